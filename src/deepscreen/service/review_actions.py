"""Which action a reviewer's "violating" applies to a task: the choices, their default, and the
check every decision passes (pure; the CLI, the API and the UI's picker alike). The rules,
takedown tasks included: docs/internals/service.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import NoticeType, Verdict
from deepscreen.policy.bundle import Bundle

_Choice = TypeVar("_Choice", bound=StrEnum)


@dataclass(frozen=True)
class ActionChoices:
    """The actions to pick from (mildest first), the default one, and where it comes from."""

    actions: tuple[Action, ...]
    default: Action
    why: str


def parse_choice(choices: type[_Choice], value: str, name: str) -> _Choice:
    """``value`` as a member of the enum ``choices``; ``InvalidInput`` naming the valid ones."""
    try:
        return choices(value)
    except ValueError:
        valid = ", ".join(c.value for c in choices)
        raise InvalidInput(f"{name} {value!r} is not one of: {valid}") from None


def bundle_actions(bundle: Bundle) -> tuple[Action, ...]:
    """The restricting actions ``bundle`` applies anywhere, mildest first."""
    specs = [r.rule.action for r in bundle.rules] + [bundle.default, bundle.on_error]
    used = {s.type for s in specs} | {s.violating_action for s in specs if s.violating_action}
    return tuple(a for a in Action if a.is_enforcement and a in used)


def action_choices(
    bundle: Bundle, context: Mapping[str, Any], *, configured: Action
) -> ActionChoices:
    """The choices for a task whose reviewer context (``Assignment.context``) is ``context``;
    ``configured`` is ``[review] violating_action``."""
    used = bundle_actions(bundle)
    takedown = context.get("takedown")
    if isinstance(takedown, Mapping):
        if takedown.get("notice_type") == NoticeType.NCII.value:
            why = "an NCII takedown request is answered by removal (TAKE IT DOWN Act)"
            return ActionChoices((Action.REMOVE,), Action.REMOVE, why)
        actions = tuple(a for a in Action if a in {*used, Action.REMOVE})
        why = "a takedown request is answered by removal unless you choose otherwise"
        return ActionChoices(actions, Action.REMOVE, why)
    actions = used or (configured,)
    params = context.get("action_params")
    named = params.get("violating_action") if isinstance(params, Mapping) else None
    rule = context.get("rule_id")
    if named in {a.value for a in actions}:
        return ActionChoices(actions, Action(named), f"named by the routing rule {rule}")
    if configured in actions:
        why = "the platform's setting ([review] violating_action)"
        return ActionChoices(actions, configured, why)
    why = (
        f"the strongest action the policy applies ([review] violating_action, "
        f"{configured.value}, is not among them)"
    )
    return ActionChoices(actions, actions[-1], why)


def applied_action(choices: ActionChoices, verdict: Verdict, action: str | None) -> Action:
    """The action a decision applies: for a violation ``action`` when it is one of the
    choices, their default when None; for a clearance ``allow``, the only one it takes.
    ``InvalidInput`` naming the allowed actions otherwise."""
    chosen = None if action is None else parse_choice(Action, action, "action")
    allowed = ", ".join(a.value for a in choices.actions)
    if verdict is not Verdict.VIOLATING:
        if chosen is not None and chosen is not Action.ALLOW:
            raise InvalidInput(
                f"action {chosen.value!r} does not fit verdict {verdict.value!r}: a clearance "
                f"applies allow (a violation of this task takes one of: {allowed})"
            )
        return Action.ALLOW
    if chosen is None:
        return choices.default
    if chosen not in choices.actions:
        problem = (
            "is not one this task allows"
            if chosen.is_enforcement
            else "does not fit verdict 'violating', which takes one this task allows"
        )
        raise InvalidInput(
            f"action {chosen.value!r} {problem}: {allowed} "
            f"(default {choices.default.value}: {choices.why})"
        )
    return chosen


def form_action(verdict: Verdict, value: str) -> Action | None:
    """The action a decision form's picker ``value`` names: none for a clearance (the picker
    is for violations only) or an empty value (the task's default applies)."""
    if verdict is not Verdict.VIOLATING or not value:
        return None
    return parse_choice(Action, value, "action")
