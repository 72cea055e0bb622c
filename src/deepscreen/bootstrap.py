"""The one composition root: Settings → wired adapters (stores, detectors, policy, clock)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from deepscreen.core.clock import Clock, IdFactory, system_clock, uuid4_ids
from deepscreen.core.costs import CostInputs
from deepscreen.core.decisions import Action
from deepscreen.core.errors import ConfigError
from deepscreen.media import MediaLimits
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.review.config import PriorityConfig, ReviewConfig
from deepscreen.service import Services
from deepscreen.service.banks import load_matcher
from deepscreen.service.hosted import HostedStores
from deepscreen.service.media import ReviewMedia
from deepscreen.service.media_wellness import WellnessConfig
from deepscreen.service.scan import BankingRule
from deepscreen.settings import (
    EnsembleSettings,
    MediaStoreSettings,
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
from deepscreen.signals.registry import load_detectors
from deepscreen.store.access.memory import (
    InMemoryAuditLog,
    InMemoryKeyStore,
    InMemorySessionRevocations,
)
from deepscreen.store.banks.open import open_bank_store
from deepscreen.store.banks.ports import BankStore
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.ingest.memory import InMemoryIngestJobStore
from deepscreen.store.media.memory import InMemoryReviewerPreferences
from deepscreen.store.media.ports import MediaStore
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.ports import ReviewQueueStore

if TYPE_CHECKING:
    from deepscreen.adapters.url_fetch import UrlFetcher
    from deepscreen.signals.ensemble import Ensemble
    from deepscreen.signals.vendor.config import VendorConfig
    from deepscreen.store.sql.database import SqlDatabase

# Adapters that pull in heavy libraries (onnxruntime, PyAV, scipy, httpx, fsspec, cryptography)
# are imported in the function that builds them, only when the settings enable them: a command
# pays for what it uses (``deepscreen --version`` and a provenance-only scan stay fast).


def default_policy_dir() -> Path:
    """The bundle shipped inside the package (``policies/default`` in the source tree)."""
    with as_file(files("deepscreen.policies") / "default") as path:
        return Path(path)


def open_store(url: str) -> EventStore:
    """``memory://`` for the in-memory fake, else a SQLAlchemy URL (SQLite or PostgreSQL)."""
    if url == "memory://":
        return InMemoryEventStore()
    from deepscreen.store.events.sql import SqlEventStore  # SQLAlchemy: only for a SQL database

    return SqlEventStore(url)


def database_of(store: EventStore | None, url: str) -> SqlDatabase | None:
    """The ``SqlDatabase`` ``store`` is open on, when it is the database at ``url``: the stores
    opened beside it share its engine (one engine per database)."""
    if store is None or url == "memory://":
        return None
    from deepscreen.store.events.sql import SqlEventStore
    from deepscreen.store.sql.engine import parse_url

    if isinstance(store, SqlEventStore):
        if store.url == parse_url(url).render_as_string(hide_password=True):
            return store.database
    return None


def signal_names(settings: Settings, detectors: list[Detector] | None = None) -> list[str]:
    """What a policy may read as ``signals.*``: the enabled detectors, plus ``ensemble``."""
    names = [d.name for d in detectors] if detectors is not None else list(settings.detectors)
    return [*names, "ensemble"] if settings.ensemble.enabled else names


def load_policy(settings: Settings, detectors: list[Detector] | None = None) -> Bundle:
    names = signal_names(settings, detectors)
    directory = Path(settings.policy_dir) if settings.policy_dir else default_policy_dir()
    return load_bundle(directory, known_signals=names)


def build(
    settings: Settings,
    *,
    store: EventStore | None = None,
    banks: BankStore | None = None,
    detectors: list[Detector] | None = None,
    clock: Clock = system_clock,
    new_id: IdFactory = uuid4_ids,
    review_queue: ReviewQueueStore | None = None,
) -> Services:
    """Wire everything from settings; tests pass fakes for ``store``, ``banks``,
    ``detectors``, ``clock`` and ``review_queue``. The bank store shares the event store's
    database and its engine. The review queue is the one the event store writes routed tasks
    into, in the decision's transaction (``review_queue_of``): a ``review_queue`` passed in
    must be that queue too, or the tasks of new decisions would not reach it."""
    store = store if store is not None else open_store(settings.db_url)
    if review_queue is None:
        review_queue = review_queue_of(store)
    if banks is None:
        banks = open_bank_store(settings.db_url, database=database_of(store, settings.db_url))
    matcher = load_matcher(banks)
    if detectors is None:
        detectors = load_detectors(
            settings.detectors, instances=configured_detectors(settings, matcher)
        )
    bundle = load_policy(settings, detectors)
    return Services(
        banks=banks,
        matcher=matcher,
        banking=BankingRule(
            settings.banking.enabled, settings.banking.bank, frozenset(settings.banking.labels)
        ),
        store=store,
        detectors=detectors,
        bundle=bundle,
        limits=MediaLimits(
            max_bytes=settings.media.max_bytes,
            max_pixels=settings.media.max_pixels,
            max_png_chunks=settings.media.max_png_chunks,
        ),
        item_budget_s=settings.media.item_budget_s or None,
        clock=clock,
        new_id=new_id,
        ensemble=make_ensemble(settings.ensemble),
        shadow_bundles=load_shadow_policies(settings, detectors, bundle),
        review_queue=review_queue,
        review=review_config(settings.review),
        costs=CostInputs(
            currency=settings.costs.currency,
            review_cost_per_item=settings.costs.review_cost_per_item,
            monthly_volume=settings.costs.monthly_volume,
        ),
        cascade=make_cascade(settings),
        media=review_media(settings),
    )


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


def review_queue_of(store: EventStore) -> ReviewQueueStore:
    """The review queue of the event store's database, where ``record_item`` writes routed
    tasks: an in-memory store's own queue, or the SQL queue on a SQL store's database. A store
    of another kind (a test's stand-in) gets an in-memory queue of its own."""
    if isinstance(store, InMemoryEventStore):
        return store.review_queue
    from deepscreen.store.events.sql import SqlEventStore

    if isinstance(store, SqlEventStore):
        return store.open_review_queue()
    return InMemoryReviewQueue()


def open_review_queue(settings: Settings) -> ReviewQueueStore:
    """``memory://`` for the in-memory fake, else SQLite or PostgreSQL (the event store's URL)."""
    if settings.db_url == "memory://":
        return InMemoryReviewQueue()
    from deepscreen.store.review.sql import SqlReviewQueue

    return SqlReviewQueue(settings.db_url)


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


def load_shadow_policies(
    settings: Settings, detectors: list[Detector], active: Bundle
) -> tuple[Bundle, ...]:
    """The shadow bundles, checked against the same signals as the active one; a shadow
    revision equal to the active one (or to another shadow) is refused as a mistake."""
    names = signal_names(settings, detectors)
    bundles = tuple(load_bundle(Path(d), known_signals=names) for d in settings.shadow_policy_dirs)
    seen = {active.revision: "the active policy"}
    for directory, bundle in zip(settings.shadow_policy_dirs, bundles, strict=True):
        if bundle.revision in seen:
            raise ConfigError(
                f"shadow policy {directory} has revision {bundle.revision}, the same as "
                f"{seen[bundle.revision]}: a shadow must be a different candidate"
            )
        seen[bundle.revision] = f"shadow policy {directory}"
    return bundles


def configured_detectors(settings: Settings, matcher: BankMatcher) -> dict[str, Detector]:
    """The detectors that need collaborators or settings, built only when enabled."""
    built: dict[str, Detector] = {"hashmatch": HashMatchDetector(matcher)}
    if "learned" in settings.detectors:
        from deepscreen.signals.learned.detector import LearnedDetector

        learned = settings.learned
        built["learned"] = LearnedDetector(
            Path(learned.head) if learned.head else None,
            model_config=Path(learned.model) if learned.model else None,
            threads=learned.threads,
            models_dir=models_dir(settings),
            max_video_frames=learned.max_video_frames,
            video_every_s=learned.video_every_s,
            video_top_k=learned.video_top_k,
        )
    if "faces" in settings.detectors:
        from deepscreen.signals.faces.detector import FacesDetector

        faces = settings.faces
        built["faces"] = FacesDetector(
            Path(faces.head) if faces.head else None,
            model_config=Path(faces.model) if faces.model else None,
            threads=faces.threads,
            models_dir=models_dir(settings),
            min_confidence=faces.min_confidence,
            max_faces=faces.max_faces,
            max_video_frames=faces.max_video_frames,
            video_every_s=faces.video_every_s,
            video_top_k=faces.video_top_k,
        )
    if "vendor" in settings.detectors:
        from deepscreen.signals.vendor.detector import VendorDetector

        built["vendor"] = VendorDetector(vendor_config(settings.vendor))
    return built


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


def build_hosted(settings: Settings, *, store: EventStore | None = None) -> HostedStores:
    """The HTTP service's stores — API keys, audit trail, ingest jobs, UI session revocations,
    reviewer preferences — in the event store's database (one engine for them all, ``store``'s
    when it is open on that database: closing either closes both); ``memory://`` gives
    in-memory fakes."""
    if settings.db_url == "memory://":
        return HostedStores(
            InMemoryKeyStore(),
            InMemoryAuditLog(),
            InMemoryIngestJobStore(),
            InMemorySessionRevocations(),
            InMemoryReviewerPreferences(),
        )
    from deepscreen.store.access.sql import SqlAuditLog, SqlKeyStore, SqlSessionRevocations
    from deepscreen.store.ingest.sql import SqlIngestJobStore
    from deepscreen.store.media.sql import SqlReviewerPreferences
    from deepscreen.store.sql.database import SqlDatabase

    database = database_of(store, settings.db_url) or SqlDatabase(settings.db_url)
    return HostedStores(
        SqlKeyStore(database),
        SqlAuditLog(database),
        SqlIngestJobStore(database),
        SqlSessionRevocations(database),
        SqlReviewerPreferences(database),
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


def open_media_store(media: MediaStoreSettings) -> MediaStore | None:
    """None for ``backend = "off"``; else a local directory (``"local"`` and ``path``) or an
    fsspec URL, Fernet-encrypted when ``encryption_key`` is set."""
    if media.backend == "off":
        return None
    key = media.encryption_key.get_secret_value() if media.encryption_key else ""
    if not key and media.require_encryption:
        raise ConfigError(
            "[media_store] require_encryption is set but no encryption_key is given "
            "(DEEPSCREEN_MEDIA_STORE__ENCRYPTION_KEY; make one with `deepscreen media keygen`)"
        )
    if media.backend == "local":
        if not media.path:
            raise ConfigError('[media_store] backend = "local" needs a directory: set path')
        url = str(Path(media.path).expanduser())
    else:
        url = media.backend
    from deepscreen.store.media.cipher import FernetCipher
    from deepscreen.store.media.fsspec_store import FsspecMediaStore

    cipher = FernetCipher(key) if key else None
    return FsspecMediaStore(url, cipher=cipher, storage_options=media.storage_options)


def wellness_config(wellness: WellnessSettings) -> WellnessConfig:
    return WellnessConfig(
        attribute=wellness.attribute,
        blur_categories=frozenset(wellness.blur_categories),
        greyscale_categories=frozenset(wellness.greyscale_categories),
        blur_all=wellness.blur_all,
        greyscale_all=wellness.greyscale_all,
        allow_opt_out=wellness.allow_opt_out,
    )
