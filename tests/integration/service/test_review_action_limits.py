"""``review_queue.decide`` is the one place that limits a decision's action — the CLI, the API
and the reviewer UI all go through it: a violation applies one of the restricting actions the
loaded policy applies (by default the routing rule's ``violating_action``), a clearance
``allow``; a takedown is removed (an NCII notice by nothing else); a gold item is checked as
any task. A refused decision leaves the task held and records nothing."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import NoticeType, ReviewCompleted, Verdict
from deepscreen.core.tasks import TaskStatus
from deepscreen.policy.bundle import load_bundle
from deepscreen.service import Services, record_ground_truth, scan_bytes
from deepscreen.service.review_actions import ActionChoices, action_choices, applied_action
from deepscreen.service.review_queue import claim_next, decide, task_action_choices
from deepscreen.service.takedown import NoticeRequest, TakedownConfig, submit_notice
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
NO_GOLD = random.Random(0)
POLICY = """
rules:
  - id: review_news
    when: "has(item.category) && item.category == 'news'"
    action: {type: review, queue: news, violating_action: label}
  - id: review_sport
    when: "has(item.category) && item.category == 'sport'"
    action: {type: review, queue: sport}
  - id: downrank_spam
    when: "has(item.category) && item.category == 'spam'"
    action: {type: downrank}
  - id: remove_banned
    when: "has(item.category) && item.category == 'banned'"
    action: {type: remove}
default: {type: allow}
"""
LIMITED = ("label", "downrank", "remove")  # what POLICY applies, mildest first


def services(policy_dir: Path | None = None, **review: Any) -> Services:
    ids = count()
    settings = load_settings(
        None,
        db_url="memory://",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        policy_dir=None if policy_dir is None else str(policy_dir),
        review={"gold_share": 0.0, "pseudonym_secret": "s3", **review},
    )
    return build(
        settings, store=InMemoryEventStore(), clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}"
    )


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    return tmp_path


def picture(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize((320, 240), Image.Resampling.BICUBIC).save(buffer, "PNG")
    return buffer.getvalue()


def routed(svc: Services, category: str, seed: int = 1) -> str:
    """A claimed task for an item of ``category`` (``review`` by POLICY: news or sport)."""
    item = scan_bytes(svc, picture(seed), source=f"{seed}.png", attributes={"category": category})
    assert item.decision.action is Action.REVIEW
    task = claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert task is not None and task.item_id == item.item_id
    return task.task_id


def violating(svc: Services, task_id: str, action: Action | str | None = None) -> Any:
    return decide(
        svc,
        task_id,
        "ann",
        verdict=Verdict.VIOLATING,
        reason_code="manipulated_media",
        action=action,  # type: ignore[arg-type]
        now=T0,
    )


def reviews(svc: Services) -> list[ReviewCompleted]:
    return [e for e in svc.store.read(kinds=["review_completed"]) if isinstance(e, ReviewCompleted)]


def held_untouched(svc: Services, task_id: str) -> bool:
    assert svc.review_queue is not None
    return svc.review_queue.get(task_id).status is TaskStatus.CLAIMED and reviews(svc) == []


@pytest.mark.parametrize("action", ["age_gate", Action.AGE_GATE])
def test_decide_refuses_an_action_the_policy_never_applies(policy: Path, action: str) -> None:
    svc = services(policy)
    task_id = routed(svc, "news")
    with pytest.raises(InvalidInput) as refused:
        violating(svc, task_id, action)
    message = str(refused.value)
    assert "'age_gate' is not one this task allows: label, downrank, remove" in message
    assert "named by the routing rule review_news" in message
    assert held_untouched(svc, task_id)


@pytest.mark.parametrize("action", [Action.ALLOW, Action.REVIEW])
def test_decide_refuses_a_non_restricting_action_for_a_violation(
    policy: Path, action: Action
) -> None:
    svc = services(policy)
    task_id = routed(svc, "news")
    with pytest.raises(InvalidInput, match="does not fit verdict 'violating'") as refused:
        violating(svc, task_id, action)
    assert "label, downrank, remove" in str(refused.value)
    assert held_untouched(svc, task_id)


def test_decide_refuses_a_restricting_action_for_a_clearance(policy: Path) -> None:
    svc = services(policy)
    task_id = routed(svc, "news")
    with pytest.raises(InvalidInput, match="a clearance applies allow"):
        decide(
            svc,
            task_id,
            "ann",
            verdict=Verdict.NOT_VIOLATING,
            reason_code="authentic_media",
            action=Action.LABEL,
            now=T0,
        )
    assert held_untouched(svc, task_id)


@pytest.mark.parametrize("action", LIMITED)
def test_decide_applies_any_action_the_policy_applies(policy: Path, action: str) -> None:
    svc = services(policy)
    task_id = routed(svc, "news")
    done = violating(svc, task_id, Action(action))
    assert done.review.action is Action(action)
    assert done.task.payload["outcome"]["action"] == action


def test_without_an_action_the_routing_rules_violating_action_applies(policy: Path) -> None:
    svc = services(policy)  # [review] violating_action: remove (the default setting)
    task_id = routed(svc, "news")
    assert task_action_choices(svc, task_id).default is Action.LABEL
    assert violating(svc, task_id).review.action is Action.LABEL  # was: remove, the setting


def test_without_a_rules_action_the_setting_then_the_strongest_applies(
    policy: Path, tmp_path: Path
) -> None:
    svc = services(policy, violating_action="downrank")
    task_id = routed(svc, "sport")  # its rule names none: the setting
    assert violating(svc, task_id).review.action is Action.DOWNRANK
    (tmp_path / "no_downrank").mkdir()
    no_downrank = POLICY.replace("action: {type: downrank}", "action: {type: remove}")
    (tmp_path / "no_downrank" / "policy.yaml").write_text(no_downrank)
    svc = services(tmp_path / "no_downrank", violating_action="age_gate")
    task_id = routed(svc, "sport")
    with pytest.raises(InvalidInput, match="not one this task allows: label, remove"):
        violating(svc, task_id, Action.AGE_GATE)  # the setting, yet not among the policy's
    assert violating(svc, task_id).review.action is Action.REMOVE  # the strongest it applies


def _notice(svc: Services, notice_type: NoticeType, seed: int) -> str:
    item = scan_bytes(svc, picture(seed), source=f"{seed}.png").item_id
    request = NoticeRequest(
        notice_type=notice_type,
        item_id=item,
        statement="This is an intimate image of me, shared without my consent.",
        contact="requester@example.org",
        good_faith=True,
    )
    submit_notice(svc, TakedownConfig(), request, now=T0)
    task = claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert task is not None and task.task_id.startswith("takedown:")
    return task.task_id


def test_an_ncii_takedown_takes_remove_only(policy: Path) -> None:
    svc = services(policy)
    task_id = _notice(svc, NoticeType.NCII, 7)
    assert task_action_choices(svc, task_id).actions == (Action.REMOVE,)
    for action in (Action.LABEL, Action.AGE_GATE, Action.ALLOW):
        with pytest.raises(InvalidInput, match="answered by removal"):
            violating(svc, task_id, action)
    assert held_untouched(svc, task_id)
    assert violating(svc, task_id).review.action is Action.REMOVE


def test_a_dsa_takedown_takes_the_policys_actions_defaulting_to_remove() -> None:
    svc = services()  # the shipped policy: label, remove
    task_id = _notice(svc, NoticeType.DSA_ILLEGAL_CONTENT, 8)
    with pytest.raises(InvalidInput, match="'downrank' is not one this task allows: label"):
        violating(svc, task_id, Action.DOWNRANK)
    assert violating(svc, task_id, Action.LABEL).review.action is Action.LABEL


def test_a_gold_item_is_checked_as_any_task(policy: Path) -> None:
    """A gold item must not give itself away by accepting what a review task refuses."""
    svc = services(policy, gold_share=1.0)
    item = scan_bytes(svc, picture(3), source="g.png", attributes={"category": "news"})
    record_ground_truth(
        svc, [(item.item_id, T0, True, "deepfake")], reviewer="label-import:t", reason_code="x"
    )
    served = claim_next(svc, "ann", now=T0, rng=random.Random(1))
    assert served is not None and served.task_id.startswith("gold:")
    with pytest.raises(InvalidInput, match="not one this task allows: label, downrank"):
        violating(svc, served.task_id, Action.AGE_GATE)
    done = violating(svc, served.task_id)
    assert done.review is None and done.task.status is TaskStatus.DONE


# ------------------------------------------------------------------ the pure check


CHOICES = ActionChoices((Action.LABEL, Action.REMOVE), Action.LABEL, "named by the rule r")


def test_applied_action_defaults_and_limits() -> None:
    assert applied_action(CHOICES, Verdict.VIOLATING, None) is Action.LABEL
    assert applied_action(CHOICES, Verdict.VIOLATING, "remove") is Action.REMOVE
    assert applied_action(CHOICES, Verdict.NOT_VIOLATING, None) is Action.ALLOW
    assert applied_action(CHOICES, Verdict.NOT_VIOLATING, "allow") is Action.ALLOW
    with pytest.raises(InvalidInput, match="'ban' is not one of: allow, label"):
        applied_action(CHOICES, Verdict.VIOLATING, "ban")
    with pytest.raises(InvalidInput, match=r"allows: label, remove \(default label: named by"):
        applied_action(CHOICES, Verdict.VIOLATING, "downrank")


def test_the_choices_are_the_policys_actions(policy: Path) -> None:
    bundle = load_bundle(policy)
    news = {"rule_id": "review_news", "action_params": {"violating_action": "label"}}
    found = action_choices(bundle, news, configured=Action.REMOVE)
    assert [a.value for a in found.actions] == list(LIMITED) and found.default is Action.LABEL
    other = action_choices(bundle, {"rule_id": "x"}, configured=Action.AGE_GATE)
    assert other.default is Action.REMOVE and "strongest" in other.why
