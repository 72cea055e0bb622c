"""``HostedStores``: what the HTTP service keeps besides the event log — API keys, the audit
trail, the acknowledged ingest jobs, the reviewer UI sessions ended by logout and the
reviewers' UI preferences — wired by ``deepscreen.bootstrap.build_hosted``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepscreen.core.access import Principal
from deepscreen.service.audit import record_action
from deepscreen.service.scan import Services
from deepscreen.store.access.ports import AuditLog, KeyStore, SessionRevocations
from deepscreen.store.ingest.ports import IngestJobStore
from deepscreen.store.media.ports import ReviewerPreferences


@dataclass(frozen=True)
class HostedStores:
    keys: KeyStore
    audit: AuditLog
    jobs: IngestJobStore
    sessions: SessionRevocations  # in the same database: a logout holds in every process
    preferences: ReviewerPreferences  # a reviewer's UI choices survive a restart

    def close(self) -> None:
        for store in (self.keys, self.audit, self.jobs, self.sessions, self.preferences):
            store.close()


def close_all(services: Services, stores: HostedStores) -> None:
    """Close everything a server opened: the event store, the review queue, the hosted stores."""
    services.store.close()
    if services.review_queue is not None:
        services.review_queue.close()
    stores.close()


def audit_caller(
    services: Services,
    stores: HostedStores,
    principal: Principal,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """One audit-trail entry for what the HTTP caller ``principal`` did (its key id: the actor)."""
    record_action(
        stores.audit,
        actor=principal.key_id,
        action=action,
        target=target,
        clock=services.clock,
        details=details,
    )
