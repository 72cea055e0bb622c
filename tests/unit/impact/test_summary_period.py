"""The impact summary reads the whole-store rows only: a table by month is refused, not read
as whichever month came last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import DecisionMade, ItemIngested
from deepscreen.core.media import MediaKind
from deepscreen.impact.items import build_items
from deepscreen.impact.metrics import metric_table
from deepscreen.impact.summary import summarise
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.memory import InMemoryEventStore

JAN = datetime(2026, 1, 10, tzinfo=UTC)


def _items(per_month: dict[datetime, int]):
    store = InMemoryEventStore()
    for start, n in per_month.items():
        for i in range(n):
            at = start + timedelta(minutes=i)
            item = f"{start:%m}-{i}"
            store.append(
                [
                    ItemIngested(
                        item_id=item, occurred_at=at, kind=MediaKind.IMAGE, mime="image/png",
                        width=1, height=1, size_bytes=1,
                    ),
                    DecisionMade(
                        item_id=item,
                        occurred_at=at,
                        decision=Decision(
                            decision_id=f"d-{item}", item_id=item, policy_revision="r-1",
                            rule_id=None, action=Action.ALLOW, decided_at=at,
                        ),
                    ),
                ]
            )  # fmt: skip
    return build_items(events_table(store))


def test_the_summary_counts_every_period() -> None:
    items = _items({JAN: 3, JAN + timedelta(days=31): 2})
    whole = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    assert summarise(whole, items).uploads == 5


def test_a_table_by_month_is_refused_not_read_as_its_last_month() -> None:
    items = _items({JAN: 3, JAN + timedelta(days=31): 2})
    monthly = metric_table(
        items, period="month", by_segment=False, by_policy=False, bootstrap=False
    )
    with pytest.raises(ValueError, match="period='all'"):
        summarise(monthly, items)
