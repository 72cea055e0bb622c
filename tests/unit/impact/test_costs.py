"""Cost figures from the item table: every output by hand, missing inputs, assumptions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from deepscreen.impact.costs import CostModel, cost_report, observed_false_positive_rate
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.settings import CostSettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def items(rows: list[dict[str, Any]]) -> pa.Table:
    """An item table (``ITEM_SCHEMA``) from partial rows; unset columns are null."""
    defaults = {"ingested_at": T0, "enforced": False, "views_total": 0, "segment": ""}
    full = [{**defaults, **row} for row in rows]
    return pa.Table.from_pylist(full, schema=ITEM_SCHEMA)


def row(
    item_id: str,
    action: str,
    violating: bool | None,
    *,
    segment: str,
    views: int = 0,
    before: int | None = None,
    enforced_action: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    enforced = enforced_action is not None
    return {
        "item_id": item_id,
        "action": action,
        "violating": violating,
        "label_source": source if violating is not None else None,
        "segment": segment,
        "views_total": views,
        "enforced": enforced,
        "enforced_action": enforced_action,
        "views_before_action": before if enforced else None,
    }


ROWS = [
    # enforced violating: views after action avoided
    row("a", "remove", True, segment="politics", views=1000, before=100,
        enforced_action="remove", source="import"),
    row("b", "review", True, segment="news", views=300, before=200,
        enforced_action="remove", source="review"),
    # wrongful actions
    row("c", "label", False, segment="news", views=50, before=10,
        enforced_action="label", source="review"),
    row("d", "remove", False, segment="sports", views=20, before=0,
        enforced_action="remove", source="import"),
    # never actioned, viral; actioned after crossing the viral threshold
    row("e", "allow", True, segment="politics", views=20_000, source="review"),
    row("f", "label", True, segment="news", views=15_000, before=12_000,
        enforced_action="label", source="import"),
    row("g", "allow", False, segment="news", views=5, source="review"),
    # unlabelled
    row("h", "allow", None, segment="news", views=100),
    row("i", "review", None, segment="news", views=7),
]  # fmt: skip

MODEL = CostModel(
    review_cost_per_item=0.5,
    monthly_volume=10_000,
    wrongful_action_cost={"remove": 20.0, "label": 2.0},
    harm_per_violating_view={"high": 0.01, "default": 0.001},
    severity_by_segment={"politics": "high"},
    viral_views_threshold=10_000,
    brand_damage_per_viral_incident=5_000.0,
)


@pytest.fixture
def report():
    return cost_report(items(ROWS), MODEL)


def test_false_positive_review_cost_is_the_seed_formula(report) -> None:
    # non-violating items with a decision: c (label), d (remove), g (allow) → FPR 2/3
    assert observed_false_positive_rate(items(ROWS)) == (pytest.approx(2 / 3), 2, 3)
    figure = report["fp_review_cost"]
    assert figure.value == pytest.approx(2 / 3 * 0.5 * 10_000)
    assert figure.unit == "USD/month"
    assert figure.formula == "false_positive_rate_flagged × review cost per item × monthly volume"
    assert len(figure.inputs) == 3
    assert "2 of 3" in figure.inputs[0]
    assert "0.50 USD" in figure.inputs[1] and "review_cost_per_item" in figure.inputs[1]
    assert "10,000 uploads/month" in figure.inputs[2]


def test_given_false_positive_rate_is_used_and_named() -> None:
    figure = cost_report(
        items(ROWS), MODEL, false_positive_rate=0.1, false_positive_rate_source="weighted"
    )["fp_review_cost"]
    assert figure.value == pytest.approx(0.1 * 0.5 * 10_000)
    assert "(weighted)" in figure.inputs[0]


def test_review_labour_counts_human_reviews_only(report) -> None:
    # b, c, e, g were reviewed by a person; a, d, f carry imported labels
    assert report["review_labour"].value == pytest.approx(4 * 0.5)
    assert "4 items reviewed" in report["review_labour"].formula


def test_wrongful_action_cost_per_action(report) -> None:
    figure = report["wrongful_actions"]
    assert figure.value == pytest.approx(2.0 + 20.0)
    assert dict(figure.breakdown) == {"label": 2.0, "remove": 20.0}
    assert "1 label + 1 remove" in figure.formula


def test_harm_avoided_counts_views_after_action_by_severity(report) -> None:
    # a: 900 views after action × 0.01 (politics = high); b: 100 and f: 3,000 × 0.001
    figure = report["harm_avoided"]
    assert figure.value == pytest.approx(9.0 + 0.1 + 3.0)
    assert dict(figure.breakdown) == pytest.approx({"high": 9.0, "default": 3.1})
    assert any("900 views × 0.01" in i for i in figure.inputs)
    assert any("prevented or neutralised" in a for a in report.assumptions)


def test_residual_harm_is_views_of_violating_items_never_actioned(report) -> None:
    assert report["residual_harm"].value == pytest.approx(20_000 * 0.01)


def test_viral_incidents_not_actioned_before_crossing(report) -> None:
    # e: never actioned, 20,000 views; f: 12,000 views before its label; a: 1,000 views
    assert report["viral_incidents"].value == 2
    assert report["viral_damage"].value == pytest.approx(2 * 5_000.0)


def test_net_value(report) -> None:
    assert report["net_value"].value == pytest.approx(12.1 - 2.0 - 22.0)


def test_labelled_only_unless_scaling_is_asked(report) -> None:
    assert (report.items, report.labelled) == (9, 7)
    assert report["wrongful_actions"].basis == "7 labelled items"
    assert any("7 labelled items only" in a for a in report.assumptions)
    scaled = cost_report(items(ROWS), MODEL, scale_to_population=True)
    assert scaled["wrongful_actions"].value == pytest.approx(22.0 * 9 / 7)
    assert scaled["harm_avoided"].value == pytest.approx(12.1 * 9 / 7)
    assert scaled["viral_incidents"].value == pytest.approx(2 * 9 / 7)
    assert scaled["review_labour"].value == pytest.approx(2.0)  # a count, never scaled
    assert any("simple random sample" in a and "9 / 7" in a for a in scaled.assumptions)


def test_review_cost_per_item_effective() -> None:
    assert CostModel().review_cost_per_item_effective is None
    hourly = CostModel(reviewer_cost_per_hour=30.0, review_minutes_per_item=2.0)
    assert hourly.review_cost_per_item_effective == pytest.approx(1.0)
    assert CostModel(reviewer_cost_per_hour=30.0).review_cost_per_item_effective is None
    both = dataclasses.replace(hourly, review_cost_per_item=0.65)
    assert both.review_cost_per_item_effective == 0.65
    line = hourly.review_cost_input()
    assert line is not None and "30.00 USD/hour × 2 min / 60" in line


def test_assumptions_list_every_input_with_value_unit_and_source() -> None:
    lines = MODEL.assumptions()
    assert "review cost per item: 0.50 USD (settings [costs].review_cost_per_item)" in lines
    assert "monthly volume: 10,000 uploads/month (settings [costs].monthly_volume)" in lines
    assert any("wrongful-action cost, remove: 20.00 USD" in line for line in lines)
    assert any("harm per violating view, high: 0.01 USD per view" in line for line in lines)
    assert any("'politics' has severity high" in line for line in lines)
    assert any("more than 10,000 views" in line for line in lines)
    assert any("brand damage per viral incident: 5,000 USD" in line for line in lines)
    assert CostModel().assumptions() == []


def test_no_cost_is_a_default() -> None:
    empty = CostModel()
    for f in dataclasses.fields(CostModel):
        if f.name not in ("currency", "source"):
            assert getattr(empty, f.name) in (None, {}), f.name
    report = cost_report(items(ROWS), empty)
    for name in (
        "fp_review_cost",
        "review_labour",
        "wrongful_actions",
        "harm_avoided",
        "residual_harm",
        "viral_incidents",
        "viral_damage",
        "net_value",
    ):
        assert report[name].value is None, name
        assert report[name].reason, name
    assert "review_cost_per_item" in (report["review_labour"].reason or "")
    assert "label, remove" in (report["wrongful_actions"].reason or "")
    assert "viral_views_threshold" in (report["viral_incidents"].reason or "")
    assert "needs harm avoided, review labour, wrongful actions" in (
        report["net_value"].reason or ""
    )


def test_missing_inputs_name_what_is_missing() -> None:
    partial = CostModel(
        review_cost_per_item=0.5,
        wrongful_action_cost={"label": 2.0},
        harm_per_violating_view={"default": 0.001},  # politics is 'high', which has no rate
        severity_by_segment={"politics": "high"},
        viral_views_threshold=10_000,
    )
    report = cost_report(items(ROWS), partial)
    assert report["fp_review_cost"].value is None
    assert "monthly_volume" in (report["fp_review_cost"].reason or "")
    assert "for remove" in (report["wrongful_actions"].reason or "")
    assert "severity 'high' (segments politics)" in (report["harm_avoided"].reason or "")
    assert report["viral_incidents"].value == 2
    assert report["viral_damage"].value is None
    assert "brand_damage_per_viral_incident" in (report["viral_damage"].reason or "")


def test_quantities_without_items_are_zero_without_inputs() -> None:
    clean = items([row("g", "allow", False, segment="news", views=5, source="import")])
    report = cost_report(clean, CostModel())
    assert report["wrongful_actions"].value == 0.0
    assert report["harm_avoided"].value == 0.0
    assert report["review_labour"].value == 0.0
    assert report["net_value"].value == 0.0


def test_wrongful_default_key_covers_other_actions() -> None:
    model = CostModel(wrongful_action_cost={"default": 3.0})
    figure = cost_report(items(ROWS), model)["wrongful_actions"]
    assert figure.value == pytest.approx(6.0)
    assert any("wrongful_action_cost.default" in i for i in figure.inputs)


def test_from_mapping_mirrors_cost_settings() -> None:
    names = {f.name for f in dataclasses.fields(CostModel)} - {"source"}
    assert names == set(CostSettings.model_fields)
    settings = CostSettings(
        review_cost_per_item=0.65,
        monthly_volume=1000,
        wrongful_action_cost={"remove": 4},
        harm_per_violating_view={"default": 0.002},
    )
    model = CostModel.from_mapping(settings.model_dump())
    assert model.review_cost_per_item == 0.65 and model.monthly_volume == 1000
    assert model.wrongful_action_cost == {"remove": 4.0}
    assert CostModel.from_mapping(CostSettings().model_dump()) == CostModel()
    with pytest.raises(ValueError, match="unknown cost inputs"):
        CostModel.from_mapping({"review_cost": 1.0})


def test_to_dict_and_format_lines(report) -> None:
    data = report.to_dict()
    assert data["figures"]["net_value"]["value"] == pytest.approx(-11.9)
    assert data["figures"]["viral_damage"]["inputs"]
    text = "\n".join(report.format_lines())
    assert "net value: -11.90 USD = harm avoided − review labour − wrongful-action cost" in text
    assert "viral incidents: 2 incidents" in text
    empty = "\n".join(cost_report(items(ROWS), CostModel()).format_lines())
    assert "residual harm: not computed — no harm per violating view" in empty
