"""``POST /v1/review/tasks/{id}/decision`` over SQLite and PostgreSQL: a violation's action is
limited to the actions the loaded policy applies — exactly those the reviewer UI's picker
offers — with a 422 in the one error shape naming them; without one the routing rule's
applies; and the answer says what a takedown decision did (``takedown``; null otherwise)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepscreen.api.testing import ApiHarness
from deepscreen.api.web.testing import sign_in
from deepscreen.core.access import Role
from deepscreen.core.decisions import Action
from deepscreen.core.events import ReviewCompleted
from deepscreen.settings import Settings

POLICY = """
rules:
  - id: review_news
    when: "has(item.category) && item.category == 'news'"
    action: {type: review, queue: news, violating_action: label}
  - id: downrank_spam
    when: "has(item.category) && item.category == 'spam'"
    action: {type: downrank}
  - id: remove_banned
    when: "has(item.category) && item.category == 'banned'"
    action: {type: remove}
default: {type: allow}
"""
REASON = "manipulated_media"


@pytest.fixture
def harness(make_harness: Callable[..., ApiHarness], tmp_path: Path) -> ApiHarness:
    (tmp_path / "policy.yaml").write_text(POLICY)
    settings = Settings(
        db_url="memory://",
        policy_dir=str(tmp_path),
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0},
    )
    return make_harness(settings=settings)


@pytest.fixture
def shipped(make_harness: Callable[..., ApiHarness]) -> ApiHarness:
    """The shipped policy (it applies label and remove, and removes takedown copies)."""
    settings = Settings(
        db_url="memory://",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0},
    )
    return make_harness(settings=settings)


def picture(seed: int) -> bytes:
    """Smooth random blobs: a PDQ quality well above 50, so a removal banks the hash."""
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize((320, 240), Image.Resampling.BICUBIC).save(buffer, "PNG")
    return buffer.getvalue()


def scan(harness: ApiHarness, seed: int, category: str = "news") -> str:
    response = harness.client.post(
        "/v1/scan",
        files={"media": (f"{seed}.png", picture(seed), "image/png")},
        data={"attributes": json.dumps({"category": category})},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["item_id"])


def claim(harness: ApiHarness) -> dict:
    response = harness.client.post("/v1/review/claim", json={}, headers=harness.auth(Role.REVIEWER))
    assert response.status_code == 200 and response.json()["task"], response.text
    return dict(response.json()["task"])


def decide(harness: ApiHarness, task_id: str, **body: str):  # type: ignore[no-untyped-def]
    return harness.client.post(
        f"/v1/review/tasks/{task_id}/decision",
        json={"verdict": "violating", "reason_code": REASON, **body},
        headers=harness.auth(Role.REVIEWER),
    )


def applied(harness: ApiHarness, item_id: str) -> list[Action | None]:
    events = harness.services.store.for_item(item_id)
    return [e.action for e in events if isinstance(e, ReviewCompleted)]


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ("age_gate", "'age_gate' is not one this task allows: label, downrank, remove"),
        ("allow", "'allow' does not fit verdict 'violating'"),
        ("review", "'review' does not fit verdict 'violating'"),
    ],
)
def test_an_action_the_policy_never_applies_is_a_422_naming_the_allowed(
    harness: ApiHarness, action: str, problem: str
) -> None:
    item = scan(harness, 1)
    task = claim(harness)
    refused = decide(harness, task["task_id"], action=action)
    assert refused.status_code == 422, refused.text
    assert set(refused.json()) == {"error"}
    error = refused.json()["error"]
    assert error["code"] == "invalid_input" and problem in error["message"]
    assert "label, downrank, remove" in error["message"]
    assert applied(harness, item) == []  # nothing recorded; the task is still held
    assert decide(harness, task["task_id"]).status_code == 200


def test_without_an_action_the_routing_rules_applies(harness: ApiHarness) -> None:
    item = scan(harness, 2)
    decided = decide(harness, claim(harness)["task_id"])
    assert decided.status_code == 200, decided.text
    assert applied(harness, item) == [Action.LABEL]  # review_news names label; the setting: remove
    assert decided.json()["takedown"] is None  # an ordinary task


def test_the_api_accepts_exactly_the_actions_the_ui_offers(harness: ApiHarness) -> None:
    items = [scan(harness, seed) for seed in (3, 4, 5)]
    task = claim(harness)
    csrf = sign_in(harness.client, harness.tokens[Role.REVIEWER])  # the same key, reviewer
    page = harness.client.get(f"/ui/tasks/{task['task_id']}")
    assert page.status_code == 200, page.text[:300]
    offered = re.findall(r'<input type="radio" id="action-(\w+)" name="action"', page.text)
    assert offered == ["label", "downrank", "remove"]
    for action in (a.value for a in Action if a.value not in offered):
        assert decide(harness, task["task_id"], action=action).status_code == 422, action
        form = {"csrf_token": csrf, "verdict": "violating", "reason_code": REASON}
        ui = harness.client.post(
            f"/ui/tasks/{task['task_id']}/decide", data={**form, "action": action}
        )
        assert ui.status_code == 422, action
    assert applied(harness, task["item_id"]) == []
    decided = {}
    for action in offered:
        held = task if action == offered[0] else claim(harness)
        assert decide(harness, held["task_id"], action=action).status_code == 200, action
        decided[held["item_id"]] = action
    assert {i: [a.value for a in applied(harness, i) if a] for i in items} == {
        i: [decided[i]] for i in items
    }


def test_deciding_an_ncii_takedown_answers_what_it_did(shipped: ApiHarness) -> None:
    harness = shipped
    item = scan(harness, 6, category="other")
    notice = harness.client.post(
        "/v1/notices",
        json={
            "type": "ncii",
            "item_id": item,
            "statement": "An intimate picture of me, posted without my consent.",
            "contact": "me@example.org",
            "good_faith": True,
        },
        headers=harness.auth(Role.INGEST),
    )
    assert notice.status_code == 201, notice.text
    task = claim(harness)
    assert task["task_id"] == notice.json()["task_id"]
    refused = decide(harness, task["task_id"], action="label")
    assert refused.status_code == 422 and "removal" in refused.json()["error"]["message"]
    decided = decide(harness, task["task_id"])
    assert decided.status_code == 200, decided.text
    takedown = decided.json()["takedown"]
    assert takedown["notice_id"] == notice.json()["notice_id"]
    assert takedown["removed"] is True and takedown["banked"] >= 1
    assert takedown["not_banked_because"] is None and takedown["closed_tasks"] == []
    assert takedown["copies_removed"] == len(takedown["copy_item_ids"]) == 0
    assert applied(harness, item) == [Action.REMOVE]


def test_a_takedown_sweep_reports_the_copies_it_removed(shipped: ApiHarness) -> None:
    harness = shipped
    original = scan(harness, 9, category="other")
    copy = harness.client.post(
        "/v1/scan",
        files={"media": ("copy.png", _resized(9), "image/png")},
        data={"attributes": "{}"},
        headers=harness.auth(Role.INGEST),
    ).json()["item_id"]
    body = {"type": "other", "item_id": original, "statement": "Mine, posted without leave."}
    assert harness.client.post(
        "/v1/notices", json=body, headers=harness.auth(Role.INGEST)
    ).is_success
    decided = decide(harness, claim(harness)["task_id"])
    takedown = decided.json()["takedown"]
    assert takedown["removed"] is True and takedown["banked"] >= 1
    assert (takedown["copies_removed"], takedown["copy_item_ids"]) == (1, [copy])


def _resized(seed: int) -> bytes:
    with Image.open(io.BytesIO(picture(seed))) as image:
        buffer = io.BytesIO()
        image.resize((256, 192)).save(buffer, "PNG")
        return buffer.getvalue()
