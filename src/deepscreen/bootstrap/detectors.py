"""The detectors and collaborators bootstrap wires from settings: configured detectors, the
ensemble, the cascade, the URL fetcher, the reviewers' media and the review parameters."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from deepscreen.bootstrap.stores import open_media_store
from deepscreen.core.decisions import Action
from deepscreen.core.errors import ConfigError
from deepscreen.review.config import PriorityConfig, ReviewConfig
from deepscreen.service.media import ReviewMedia
from deepscreen.service.media_wellness import WellnessConfig
from deepscreen.settings import (
    EnsembleSettings,
    FacesSettings,
    LearnedSettings,
    ReviewSettings,
    Settings,
    VendorSettings,
    WellnessSettings,
)
from deepscreen.signals.cascade import Cascade
from deepscreen.signals.hashmatch.banks import BankMatcher
from deepscreen.signals.hashmatch.detector import HashMatchDetector
from deepscreen.signals.models.catalogue import default_models_dir
from deepscreen.signals.ports import Detector

if TYPE_CHECKING:
    from deepscreen.adapters.url_fetch import UrlFetcher
    from deepscreen.signals.ensemble import Ensemble
    from deepscreen.signals.learned.head_detector import ModelOptions
    from deepscreen.signals.vendor.config import VendorConfig

# Adapters that pull in heavy libraries (onnxruntime, PyAV, scipy, httpx, fsspec, cryptography)
# are imported in the function that builds them, only when the settings enable them: a command
# pays for what it uses (``deepscreen --version`` and a provenance-only scan stay fast).


def make_cascade(settings: Settings) -> Cascade:
    cascade = settings.cascade
    return Cascade(
        enabled=cascade.enabled,
        expensive=frozenset(cascade.expensive),
        settle_min_score=cascade.settle_min_score,
        expensive_share=cascade.expensive_share,
    )


def models_dir(settings: Settings) -> Path:
    """The model cache: ``models_dir`` or ``$XDG_CACHE_HOME/deepscreen/models``."""
    return Path(settings.models_dir).expanduser() if settings.models_dir else default_models_dir()


def review_config(review: ReviewSettings) -> ReviewConfig:
    """The ``[review]`` settings as the pure review package's parameters. Without a configured
    pseudonym secret, a random one for this process (pseudonyms then differ between runs)."""
    secret = review.pseudonym_secret
    return ReviewConfig(
        priority=PriorityConfig(
            score_signals=tuple(review.score_signals),
            prior_probability=review.prior_probability,
            segment_attribute=review.segment_attribute,
            severity_by_segment=dict(review.severity_by_segment),
            default_severity=review.default_severity,
            handling_minutes_by_kind=dict(review.handling_minutes_by_kind),
            default_handling_minutes=review.default_handling_minutes,
            default_predicted_views=review.default_predicted_views,
        ),
        lease_seconds=review.lease_seconds,
        sla_hours_by_queue=dict(review.sla_hours),
        default_sla_hours=review.default_sla_hours,
        default_queue=review.default_queue,
        appeals_queue=review.appeals_queue,
        gold_queue=review.gold_queue,
        gold_share=review.gold_share,
        reason_codes=tuple(review.reason_codes),
        violating_action=Action(review.violating_action),
        pseudonym_secret=(
            secret.get_secret_value().encode() if secret is not None else secrets.token_bytes(32)
        ),
    )


def configured_detectors(settings: Settings, matcher: BankMatcher) -> dict[str, Detector]:
    """The detectors that need collaborators or settings, built only when enabled."""
    built: dict[str, Detector] = {"hashmatch": HashMatchDetector(matcher)}
    if "learned" in settings.detectors:
        from deepscreen.signals.learned.detector import LearnedDetector

        learned = settings.learned
        built["learned"] = LearnedDetector(
            Path(learned.head) if learned.head else None, **_model_options(learned, settings)
        )
    if "faces" in settings.detectors:
        from deepscreen.signals.faces.detector import FacesDetector

        faces = settings.faces
        built["faces"] = FacesDetector(
            Path(faces.head) if faces.head else None,
            min_confidence=faces.min_confidence,
            max_faces=faces.max_faces,
            **_model_options(faces, settings),
        )
    if "vendor" in settings.detectors:
        from deepscreen.signals.vendor.detector import VendorDetector

        built["vendor"] = VendorDetector(vendor_config(settings.vendor))
    return built


def _model_options(section: LearnedSettings | FacesSettings, settings: Settings) -> ModelOptions:
    """What both model detectors take: the model, its threads and cache, the video sampling."""
    return {
        "model_config": Path(section.model) if section.model else None,
        "threads": section.threads,
        "models_dir": models_dir(settings),
        "max_video_frames": section.max_video_frames,
        "video_every_s": section.video_every_s,
        "video_top_k": section.video_top_k,
    }


def vendor_config(vendor: VendorSettings) -> VendorConfig | None:
    from deepscreen.signals.vendor.config import VendorConfig

    if vendor.url is None:
        return None
    api_key = None
    if vendor.api_key_env:
        api_key = os.environ.get(vendor.api_key_env)
        if not api_key:
            raise ConfigError(
                f"[vendor] api_key_env names {vendor.api_key_env!r}, which is not set"
            )
    settings = vendor.model_dump(exclude={"url", "api_key_env"})
    return VendorConfig(url=vendor.url, api_key=api_key, **settings)


def make_ensemble(ensemble: EnsembleSettings) -> Ensemble | None:
    if not ensemble.enabled:
        return None
    from deepscreen.signals.ensemble import Ensemble, load_stack

    return Ensemble(
        method=ensemble.method,
        trust=dict(ensemble.trust),
        band=ensemble.inconclusive,
        provenance=frozenset(ensemble.provenance),
        stack=load_stack(Path(ensemble.stack)) if ensemble.stack else None,
    )


def url_fetcher(settings: Settings) -> UrlFetcher | None:
    """The fetcher of media URLs for ``POST /v1/scan``; None unless ``[api] url_fetch_enabled``."""
    api = settings.api
    if not api.url_fetch_enabled:
        return None
    return _fetcher(settings, concurrency=api.url_fetch_concurrency)


def _fetcher(settings: Settings, *, concurrency: int = 4) -> UrlFetcher:
    """A fetcher bounded by ``[media]`` and ``[api]`` (size, deadline, redirects, networks)."""
    from deepscreen.adapters.url_fetch import UrlFetcher, address_check

    api = settings.api
    try:
        check = address_check(api.url_fetch_allowed_networks)
    except ValueError as exc:
        raise ConfigError(f"[api] url_fetch_allowed_networks: {exc}") from exc
    return UrlFetcher(
        max_bytes=settings.media.max_bytes,
        timeout_s=api.url_fetch_timeout_s,
        max_redirects=api.url_fetch_max_redirects,
        is_allowed=check,
        concurrency=concurrency,
    )


def review_media(settings: Settings) -> ReviewMedia:
    """Media kept for reviewers (``[media_store]``) and the wellness filters
    (``[review.wellness]``)."""
    media = settings.media_store
    fetch = None
    if media.url_template is not None:
        fetcher = _fetcher(settings)

        def fetch(url: str) -> bytes:
            return fetcher.fetch(url).content

    return ReviewMedia(
        store=open_media_store(media),
        retention=timedelta(days=media.retention_days),
        url_template=media.url_template,
        fetch=fetch,
        wellness=wellness_config(settings.review.wellness),
    )


def wellness_config(wellness: WellnessSettings) -> WellnessConfig:
    return WellnessConfig(
        attribute=wellness.attribute,
        blur_categories=frozenset(wellness.blur_categories),
        greyscale_categories=frozenset(wellness.greyscale_categories),
        blur_all=wellness.blur_all,
        greyscale_all=wellness.greyscale_all,
        allow_opt_out=wellness.allow_opt_out,
    )
