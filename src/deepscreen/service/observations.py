"""Recording what is known of items outside a scan: ground-truth labels and observed views."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from deepscreen.core.events import Event, ReviewCompleted, Verdict, ViewsObserved
from deepscreen.service.scan import Services


def record_ground_truth(
    services: Services,
    labels: Iterable[tuple[str, datetime, bool, str]],
    *,
    reviewer: str,
    reason_code: str,
) -> int:
    """Append one ``ReviewCompleted`` per (item id, time, violating, label); returns the count."""
    events: list[Event] = [
        ReviewCompleted(
            item_id=item_id,
            occurred_at=at,
            reviewer=reviewer,
            label=label,
            verdict=Verdict.VIOLATING if violating else Verdict.NOT_VIOLATING,
            reason_code=reason_code,
        )
        for item_id, at, violating, label in labels
    ]
    services.store.append(events)
    return len(events)


def record_views(services: Services, views: Iterable[tuple[str, datetime, int]]) -> int:
    """Append one ``ViewsObserved`` per (item id, window end, views); returns the count."""
    events: list[Event] = [ViewsObserved(item_id=i, occurred_at=at, views=v) for i, at, v in views]
    services.store.append(events)
    return len(events)
