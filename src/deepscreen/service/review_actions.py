"""Which action a reviewer's "violating" applies to a task: the choices and their default.

The choices are the restricting actions the loaded policy bundle uses (its rules, default and
``on_error``, and any ``violating_action`` its review rules name) — a reviewer applies what the
policy applies, nothing it never does. The default is the ``violating_action`` the rule that
routed the item names (``action: {type: review, queue: …, violating_action: label}``, recorded
in the decision's ``action_params``), else ``[review] violating_action`` — what the CLI's
``review decide`` and the API apply without ``--action`` — else the strongest the policy uses.

A takedown task is answered by removal: an NCII notice by nothing else (TAKE IT DOWN Act), a
DSA or other notice by removal unless the reviewer picks another restricting action
(``service.takedown_resolve.takedown_action`` enforces the same at decision time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import NoticeType, Verdict
from deepscreen.policy.bundle import Bundle
from deepscreen.review.assignment import assignment
from deepscreen.service.review_queue import configured, parse_choice
from deepscreen.service.scan import Services


@dataclass(frozen=True)
class ActionChoices:
    """The actions to pick from (mildest first), the default one, and where it comes from."""

    actions: tuple[Action, ...]
    default: Action
    why: str


def bundle_actions(bundle: Bundle) -> tuple[Action, ...]:
    """The restricting actions ``bundle`` applies anywhere, mildest first."""
    specs = [r.rule.action for r in bundle.rules] + [bundle.default, bundle.on_error]
    used = {s.type for s in specs} | {s.violating_action for s in specs if s.violating_action}
    return tuple(a for a in Action if a.is_enforcement and a in used)


def action_choices(services: Services, context: Mapping[str, Any]) -> ActionChoices:
    """The choices for a task whose reviewer context (``Assignment.context``) is ``context``."""
    _, config = configured(services)
    used = bundle_actions(services.bundle)
    takedown = context.get("takedown")
    if isinstance(takedown, Mapping):
        if takedown.get("notice_type") == NoticeType.NCII.value:
            why = "an NCII takedown request is answered by removal (TAKE IT DOWN Act)"
            return ActionChoices((Action.REMOVE,), Action.REMOVE, why)
        actions = tuple(a for a in Action if a in {*used, Action.REMOVE})
        why = "a takedown request is answered by removal unless you choose otherwise"
        return ActionChoices(actions, Action.REMOVE, why)
    actions = used or (config.violating_action,)
    params = context.get("action_params")
    named = params.get("violating_action") if isinstance(params, Mapping) else None
    rule = context.get("rule_id")
    if named in {a.value for a in actions}:
        return ActionChoices(actions, Action(named), f"named by the routing rule {rule}")
    if config.violating_action in actions:
        why = "the platform's setting ([review] violating_action)"
        return ActionChoices(actions, config.violating_action, why)
    why = (
        f"the strongest action the policy applies ([review] violating_action, "
        f"{config.violating_action.value}, is not among them)"
    )
    return ActionChoices(actions, actions[-1], why)


def chosen_action(choices: ActionChoices, verdict: Verdict, value: str) -> Action | None:
    """The action a decision form's ``value`` applies with ``verdict``: none for a clearance
    (the review then records ``allow``), the default when the form names none, else one of
    the choices (``InvalidInput`` for any other)."""
    if verdict is not Verdict.VIOLATING:
        return None
    if not value:
        return choices.default
    action = parse_choice(Action, value, "action")
    if action not in choices.actions:
        valid = ", ".join(a.value for a in choices.actions)
        raise InvalidInput(f"action {action.value!r} is not one this task allows: {valid}")
    return action


def task_action_choices(services: Services, task_id: str) -> ActionChoices:
    """The choices of the task ``task_id`` (``TaskNotFound`` for an unknown one), from what
    its reviewer is shown of it (a gold task reads as the review task it stands in for)."""
    queue, _ = configured(services)
    return action_choices(services, assignment(queue.get(task_id)).context)
