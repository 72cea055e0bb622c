"""The one composition root, and the only importer of adapters: Settings → wired stores
(``stores``), detectors and fetchers (``detectors``), models (``models``, ``learn``), DSA
submission (``dsa``) and database upkeep (``database``); ``build`` gives a use case its Services."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from deepscreen.bootstrap.detectors import (
    configured_detectors,
    make_cascade,
    make_ensemble,
    models_dir,
    review_config,
    review_media,
    url_fetcher,
    vendor_config,
    wellness_config,
)
from deepscreen.bootstrap.stores import (
    build_hosted,
    database_of,
    memory_banks,
    memory_store,
    new_media_key,
    open_media_store,
    open_review_queue,
    open_store,
    opened_banks,
    review_queue_of,
)
from deepscreen.core.clock import Clock, IdFactory, system_clock, uuid4_ids
from deepscreen.core.costs import CostInputs
from deepscreen.core.errors import ConfigError
from deepscreen.media import MediaLimits
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.service import Services
from deepscreen.service.banks import load_matcher
from deepscreen.service.scan import BankingRule
from deepscreen.settings import Settings
from deepscreen.signals.ports import Detector
from deepscreen.signals.registry import load_detectors
from deepscreen.store.banks.open import open_bank_store
from deepscreen.store.banks.ports import BankStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.review.ports import ReviewQueueStore

__all__ = [
    "build",
    "build_hosted",
    "build_worker",
    "configured_detectors",
    "database_of",
    "default_policy_dir",
    "load_policy",
    "load_shadow_policies",
    "make_cascade",
    "make_ensemble",
    "media_limits",
    "memory_banks",
    "memory_store",
    "models_dir",
    "new_media_key",
    "open_media_store",
    "open_review_queue",
    "open_store",
    "opened_banks",
    "review_config",
    "review_media",
    "review_queue_of",
    "signal_names",
    "size_limits",
    "url_fetcher",
    "vendor_config",
    "wellness_config",
]


def default_policy_dir() -> Path:
    """The bundle shipped inside the package (``policies/default`` in the source tree)."""
    with as_file(files("deepscreen.policies") / "default") as path:
        return Path(path)


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
        limits=media_limits(settings),
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


def build_worker(settings: Settings, *, banks: BankStore | None = None) -> Services:
    """A batch worker's services: everything from ``settings``, but an in-memory event store
    (workers never write decisions), and ``banks`` when given instead of the settings' own."""
    return build(settings, store=memory_store(), banks=banks)


def media_limits(settings: Settings) -> MediaLimits:
    """The ``[media]`` limits on what is decoded (bytes, pixels, PNG chunks)."""
    return MediaLimits(
        max_bytes=settings.media.max_bytes,
        max_pixels=settings.media.max_pixels,
        max_png_chunks=settings.media.max_png_chunks,
    )


def size_limits(settings: Settings) -> MediaLimits:
    """Only the ``[media]`` size limits (bytes, pixels): what ``bank`` and ``train`` check."""
    return MediaLimits(max_bytes=settings.media.max_bytes, max_pixels=settings.media.max_pixels)
