"""One definition per number: the registry covers every name each surface prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.core import metrics as definitions
from deepscreen.impact.compare import COMPARED
from deepscreen.impact.costs import FIGURES
from deepscreen.impact.metrics import METRICS, is_proportion
from deepscreen.impact.summary import SUMMARY_METRICS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"


def test_every_surface_names_registered_metrics() -> None:
    for name in [*METRICS, *COMPARED, *FIGURES, *SUMMARY_METRICS]:
        assert definitions.lookup(name) is not None, name
    for name in ("cost_net_value", "review_cost_per_month", "sent_to_review_per_day"):
        assert definitions.lookup(name) is not None, name
    assert definitions.lookup("action_share.remove") is not None
    assert definitions.lookup("no_such_metric") is None
    with pytest.raises(KeyError):
        definitions.metric("no_such_metric")


def test_labels_are_for_people_and_unique() -> None:
    labels = [m.label for m in definitions.REGISTRY.values()]
    assert len(labels) == len(set(labels)), "two metrics share a label"
    for m in definitions.REGISTRY.values():
        assert m.label != m.name and "_" not in m.label, m.name
        assert m.label[0].isupper() or m.label[0].isdigit(), m.name


def test_enforced_and_flagged_are_two_names_whose_labels_say_which() -> None:
    enforced = definitions.label("precision_any_action")
    flagged = definitions.label("precision_flagged")
    assert "enforced" in enforced and "flagged" in flagged and "review" in flagged
    assert definitions.metric("precision_flagged").unit == "share"


def test_units_drive_percentages() -> None:
    assert is_proportion("false_positive_rate_flagged")
    assert is_proportion("views_before_action_1_10")
    assert not is_proportion("views_before_action_mean")
    assert not is_proportion("time_to_action_median_hours")
    assert definitions.unit("review_cost_per_month") == "money"
    assert "a month" in definitions.label("review_cost_per_month")


def test_derived_per_day_label_keeps_its_qualifier() -> None:
    assert definitions.label("sent_to_review_per_day") == "Items sent to human review a day"
    assert definitions.label("review_cost_per_day").startswith("Review cost a day (")


def test_table_text_is_the_registry_text() -> None:
    for name, text in METRICS.items():
        assert text == definitions.definition(name)


def test_docs_reference_is_the_registry() -> None:
    text = DOCS.read_text()
    start = text.index(definitions.REFERENCE_START)
    end = text.index(definitions.REFERENCE_END) + len(definitions.REFERENCE_END)
    assert text[start:end] == definitions.reference_markdown(), (
        "docs/metrics.md's metric reference is stale: regenerate it from "
        "deepscreen.core.metrics.reference_markdown()"
    )
