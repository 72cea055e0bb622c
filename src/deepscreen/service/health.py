"""Readiness of a running service: the stores answer and a policy is loaded."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from deepscreen.core.errors import BackendError
from deepscreen.service.hosted import HostedStores
from deepscreen.service.scan import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]  # check name → "ok" or what is wrong (no backend details)
    policy_revision: str
    pending_jobs: int | None


def readiness(services: Services, stores: HostedStores) -> Readiness:
    checks: dict[str, str] = {}
    try:
        services.store.has_item("readiness-probe")
        checks["event_store"] = "ok"
    except BackendError as exc:
        log.warning("readiness: event store: %s", exc)
        checks["event_store"] = "unavailable"
    pending = None
    try:
        pending = stores.jobs.pending()
        checks["job_store"] = "ok"
    except BackendError as exc:
        log.warning("readiness: job store: %s", exc)
        checks["job_store"] = "unavailable"
    revision = services.bundle.revision
    checks["policy"] = "ok" if revision and services.bundle.rules is not None else "not loaded"
    ready = all(v == "ok" for v in checks.values())
    return Readiness(ready, checks, revision, pending)
