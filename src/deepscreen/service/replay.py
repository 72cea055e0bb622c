"""Counterfactual replay on the stored items (``impact.replay``): the event log read from the
wired services, a store or an exported table, the policy's evaluation and the store's codec
passed in. Method and caveats: docs/internals/impact.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias, Unpack

import pyarrow as pa

from deepscreen.core.events import Event
from deepscreen.impact import replay_select
from deepscreen.impact.items import EVENTS_SCHEMA
from deepscreen.impact.replay import ReplayPorts, ReplaySet
from deepscreen.impact.replay import comparison_report as comparison_report
from deepscreen.impact.replay_select import Selection
from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import evaluate, stored_inputs
from deepscreen.service.scan import Services
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.codec import decode_event, encode_event
from deepscreen.store.events.ports import EventStore

Source: TypeAlias = "Services | EventStore | pa.Table"
"""Where replay reads the log: the wired services, an event store, or an exported event table
(``deepscreen.store.events.arrow.events_table``) to avoid reading a large store more than once."""


def _encode(event: Event) -> str:
    return encode_event(event)[0]


PORTS = ReplayPorts(
    evaluate=evaluate, stored_inputs=stored_inputs, decode=decode_event, encode=_encode
)
"""The policy evaluation and the store codec, as replay uses them."""


def load_events(source: Source) -> pa.Table:
    """The event log as an Arrow table (``EVENTS_SCHEMA``); a table is passed through."""
    if isinstance(source, pa.Table):
        return source.cast(EVENTS_SCHEMA)
    store = source.store if isinstance(source, Services) else source
    return events_table(store)


def latest_revision(source: Source) -> str | None:
    """The policy revision of the most recently stored decision (None: no decision stored)."""
    return replay_select.latest_revision(load_events(source))


def select_items(source: Source, **selection: Unpack[Selection]) -> ReplaySet:
    """The stored items ingested in [since, until) whose first decision came from
    ``baseline_revision`` (any when None), ready to replay (``impact.replay_select``)."""
    replay_select.check_period(selection.get("since"), selection.get("until"))
    return replay_select.select_items(load_events(source), PORTS, **selection)


def replay(
    source: Source,
    candidate: Bundle,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
) -> pa.Table:
    """The items of the period as the candidate policy would have decided them (``ITEM_SCHEMA``).

    Same rows, in the same order, as ``baseline_items`` with the same arguments; nothing is
    written to the store. ``select_items(...).replay(candidate)`` gives both tables and the
    counts (items lacking signals, ...) from one read of the log.
    """
    selection = select_items(source, since=since, until=until, baseline_revision=baseline_revision)
    return selection.candidate(candidate)


def baseline_items(
    source: Source,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
) -> pa.Table:
    """The items of the period with their stored decisions (``ITEM_SCHEMA``), restricted to
    those ``replay`` re-evaluates (a decision, and inputs to replay it on)."""
    selection = select_items(source, since=since, until=until, baseline_revision=baseline_revision)
    return selection.baseline()


def rebuild_inputs(signals_payload: str | None, item_payload: str) -> dict[str, Any] | None:
    """The policy inputs rebuilt from the stored events (``impact.replay_select``)."""
    return replay_select.rebuild_inputs(signals_payload, item_payload, PORTS)
