"""Wellness filters of the reviewer UI: which items' media is shown blurred or greyscale by default
(by category, ``[review.wellness]``) and each reviewer's own choices on top. They change only how
the page draws media, never an input of a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.store.media.ports import ReviewerPreferences

PREFERENCES_KEY = "wellness"  # the part of a reviewer's preferences this module owns


class FilterChoice(StrEnum):
    """A reviewer's choice for one filter: the configured ``default`` (by category), ``always``
    (every item), or ``never`` (off, where ``allow_opt_out`` permits it)."""

    DEFAULT = "default"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class WellnessConfig:
    attribute: str = "category"
    blur_categories: frozenset[str] = frozenset()
    greyscale_categories: frozenset[str] = frozenset()
    blur_all: bool = False
    greyscale_all: bool = False
    allow_opt_out: bool = True


@dataclass(frozen=True)
class WellnessPrefs:
    blur: FilterChoice = FilterChoice.DEFAULT
    greyscale: FilterChoice = FilterChoice.DEFAULT

    def to_json(self) -> dict[str, str]:
        return {"blur": self.blur.value, "greyscale": self.greyscale.value}


@dataclass(frozen=True)
class Filters:
    """How one item's media is drawn for one reviewer, and why (shown on the page)."""

    blur: bool
    greyscale: bool
    category: str | None
    why: str

    @property
    def any(self) -> bool:
        return self.blur or self.greyscale


def filters_for(
    config: WellnessConfig, prefs: WellnessPrefs, attributes: Mapping[str, Any]
) -> Filters:
    raw = attributes.get(config.attribute)
    category = None if raw is None else str(raw)
    by_config = {
        "blur": config.blur_all or (category is not None and category in config.blur_categories),
        "greyscale": config.greyscale_all
        or (category is not None and category in config.greyscale_categories),
    }
    applied: dict[str, bool] = {}
    reasons: list[str] = []
    for name, choice in (("blur", prefs.blur), ("greyscale", prefs.greyscale)):
        default = by_config[name]
        if choice is FilterChoice.ALWAYS:
            applied[name] = True
            reasons.append(f"{name}: on for every item (your choice)")
        elif choice is FilterChoice.NEVER and config.allow_opt_out:
            applied[name] = False
            reasons.append(f"{name}: off (your choice)")
        else:
            applied[name] = default
            if default:
                scope = "every item" if _all(config, name) else f"category {category!r}"
                reasons.append(f"{name}: on for {scope} (the platform's setting)")
    return Filters(applied["blur"], applied["greyscale"], category, "; ".join(reasons))


def _all(config: WellnessConfig, name: str) -> bool:
    return config.blur_all if name == "blur" else config.greyscale_all


def load_prefs(store: ReviewerPreferences, key_id: str) -> WellnessPrefs:
    """The reviewer's wellness choices (the defaults for anything unset or unreadable)."""
    raw = store.get(key_id).get(PREFERENCES_KEY)
    if not isinstance(raw, Mapping):
        return WellnessPrefs()
    return WellnessPrefs(_choice(raw.get("blur")), _choice(raw.get("greyscale")))


def save_prefs(
    store: ReviewerPreferences,
    config: WellnessConfig,
    key_id: str,
    prefs: WellnessPrefs,
    *,
    at: datetime,
) -> None:
    """Keep the reviewer's choices (``InvalidInput`` for ``never`` where opting out is not
    allowed); their other preferences are left as they are."""
    if not config.allow_opt_out and FilterChoice.NEVER in (prefs.blur, prefs.greyscale):
        raise InvalidInput("wellness filters may not be turned off on this platform")
    current = store.get(key_id)
    current[PREFERENCES_KEY] = prefs.to_json()
    store.set(key_id, current, at=at)


def parse_choice(value: str, what: str) -> FilterChoice:
    try:
        return FilterChoice(value)
    except ValueError as exc:
        allowed = ", ".join(c.value for c in FilterChoice)
        raise InvalidInput(f"{what} must be one of {allowed}, got {value[:40]!r}") from exc


def _choice(value: object) -> FilterChoice:
    try:
        return FilterChoice(str(value))
    except ValueError:
        return FilterChoice.DEFAULT
