"""The one composition root: Settings → wired adapters (stores, detectors, policy, clock)."""

from __future__ import annotations

import os
from importlib.resources import as_file, files
from pathlib import Path

from deepscreen.core.clock import Clock, IdFactory, system_clock, uuid4_ids
from deepscreen.core.errors import ConfigError
from deepscreen.impact.summary import CostInputs
from deepscreen.media import MediaLimits
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.service import Services
from deepscreen.service.banks import load_matcher
from deepscreen.service.scan import BankingRule
from deepscreen.settings import EnsembleSettings, Settings, VendorSettings
from deepscreen.signals.ensemble import Ensemble, load_stack
from deepscreen.signals.hash_banks import BankMatcher
from deepscreen.signals.hashmatch import HashMatchDetector
from deepscreen.signals.learned import LearnedDetector
from deepscreen.signals.ports import Detector
from deepscreen.signals.registry import load_detectors
from deepscreen.signals.vendor import VendorConfig, VendorDetector
from deepscreen.store.banks_open import open_bank_store
from deepscreen.store.banks_ports import BankStore
from deepscreen.store.memory import InMemoryEventStore
from deepscreen.store.ports import EventStore
from deepscreen.store.sql import SqlEventStore


def default_policy_dir() -> Path:
    """The bundle shipped inside the package (``policies/default`` in the source tree)."""
    with as_file(files("deepscreen.policies") / "default") as path:
        return Path(path)


def open_store(url: str) -> EventStore:
    """``memory://`` for the in-memory fake, else a SQLAlchemy URL (SQLite or PostgreSQL)."""
    if url == "memory://":
        return InMemoryEventStore()
    return SqlEventStore(url)


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
) -> Services:
    """Wire everything from settings; tests pass fakes for ``store``, ``banks``,
    ``detectors`` and ``clock``. The bank store shares the event store's database."""
    banks = banks if banks is not None else open_bank_store(settings.db_url)
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
        store=store if store is not None else open_store(settings.db_url),
        detectors=detectors,
        bundle=bundle,
        limits=MediaLimits(
            max_bytes=settings.media.max_bytes, max_pixels=settings.media.max_pixels
        ),
        clock=clock,
        new_id=new_id,
        ensemble=make_ensemble(settings.ensemble),
        costs=CostInputs(
            currency=settings.costs.currency,
            review_cost_per_item=settings.costs.review_cost_per_item,
            monthly_volume=settings.costs.monthly_volume,
        ),
    )


def configured_detectors(settings: Settings, matcher: BankMatcher) -> dict[str, Detector]:
    """The detectors that need collaborators or settings, built only when enabled."""
    built: dict[str, Detector] = {"hashmatch": HashMatchDetector(matcher)}
    if "learned" in settings.detectors:
        learned = settings.learned
        built["learned"] = LearnedDetector(
            Path(learned.head) if learned.head else None,
            model_config=Path(learned.model) if learned.model else None,
            threads=learned.threads,
        )
    if "vendor" in settings.detectors:
        built["vendor"] = VendorDetector(vendor_config(settings.vendor))
    return built


def vendor_config(vendor: VendorSettings) -> VendorConfig | None:
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
    return Ensemble(
        method=ensemble.method,
        trust=dict(ensemble.trust),
        band=ensemble.inconclusive,
        provenance=frozenset(ensemble.provenance),
        stack=load_stack(Path(ensemble.stack)) if ensemble.stack else None,
    )
