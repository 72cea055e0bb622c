"""How the reviewer UI writes times, spans, shares and SLA states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from deepscreen.api.web.formatting import duration, percent, timetag, words
from deepscreen.api.web.queue_views import sla_state
from deepscreen.core.tasks import ReviewTask, TaskKind

AT = datetime(2026, 12, 7, 14, 5, 30, tzinfo=UTC)


def test_a_time_is_a_time_element_in_utc_words_keeping_the_iso_time() -> None:
    tag = timetag(AT)
    assert isinstance(tag, Markup)
    assert str(tag) == (
        '<time datetime="2026-12-07T14:05:30+00:00" title="2026-12-07 14:05:30 UTC" '
        'data-local="relative">Mon 7 Dec 2026, 14:05 UTC</time>'
    )
    assert 'data-local="at"' in timetag(AT, relative=False)
    assert words(AT.astimezone(timezone(timedelta(hours=-5)))) == "Mon 7 Dec 2026, 14:05 UTC"
    assert timetag(None) == "—"


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=5), "12 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
        (timedelta(days=-1), "1 d"),
        (90.0, "1 min"),
        (None, "—"),
    ],
)
def test_a_span_is_written_with_two_units_at_most(
    span: timedelta | float | None, text: str
) -> None:
    assert duration(span) == text


def test_a_share_is_a_percentage() -> None:
    assert (percent(0.125), percent(1.0), percent(0.0), percent(None)) == (
        "12.5%",
        "100%",
        "0%",
        "n/a",
    )


def _task(created: datetime, due: datetime | None) -> ReviewTask:
    return ReviewTask(
        task_id="t",
        item_id="i",
        kind=TaskKind.REVIEW,
        queue="q",
        priority=1.0,
        created_at=created,
        due_at=due,
    )


def test_sla_states() -> None:
    task = _task(AT, AT + timedelta(hours=24))
    assert sla_state(task, AT + timedelta(hours=1)).state == "ok"
    assert sla_state(task, AT + timedelta(hours=1)).text == "ok: due in 23 h"
    soon = sla_state(task, AT + timedelta(hours=20))
    assert (soon.state, soon.text) == ("due_soon", "due soon: in 4 h")
    late = sla_state(task, AT + timedelta(hours=26, minutes=10))
    assert (late.state, late.text) == ("overdue", "overdue by 2 h 10 min")
    assert sla_state(_task(AT, None), AT).state == "none"
