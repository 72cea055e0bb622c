"""``[review]`` settings → the review package's parameters, and the queue bootstrap opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.bootstrap import open_review_queue, review_config
from deepscreen.core.decisions import Action
from deepscreen.core.errors import ConfigError
from deepscreen.settings import ReviewSettings, Settings, load_settings
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.sql import SqlReviewQueue

TOML = """
[review]
lease_seconds = 300
sla_hours = {provenance = 12, appeals = 72}
gold_share = 0.1
violating_action = "label"
severity_by_segment = {politics = 3.0}
handling_minutes_by_kind = {image = 1.5}
"""


def test_review_section_from_toml_and_secret_from_env(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text(TOML)
    monkeypatch.setenv("DEEPSCREEN_REVIEW__PSEUDONYM_SECRET", "from-env")
    review = review_config(load_settings(config).review)
    assert review.lease_seconds == 300 and review.gold_share == 0.1
    assert review.sla_hours_by_queue == {"provenance": 12.0, "appeals": 72.0}
    assert review.violating_action is Action.LABEL and review.pseudonym_secret == b"from-env"
    assert review.priority.handling_minutes_by_kind == {"image": 1.5}
    assert "from-env" not in repr(load_settings(config).review)  # a secret is never printed


def test_without_a_secret_each_process_draws_one() -> None:
    first, second = review_config(ReviewSettings()), review_config(ReviewSettings())
    assert len(first.pseudonym_secret) == 32 and first.pseudonym_secret != second.pseudonym_secret


@pytest.mark.parametrize(
    "bad",
    [
        "gold_share = 1.5",
        "lease_seconds = 0",
        "reason_codes = []",
        "handling_minutes_by_kind = {video = 0}",
        'violating_action = "allow"',
        "unknown = 1",
    ],
)
def test_bad_review_settings_are_refused(tmp_path: Path, bad: str) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text(f"[review]\n{bad}\n")
    with pytest.raises(ConfigError, match="review"):
        load_settings(config)


def test_queue_follows_the_event_store_url(tmp_path: Path) -> None:
    assert isinstance(open_review_queue(Settings(db_url="memory://")), InMemoryReviewQueue)
    queue = open_review_queue(Settings(db_url=f"sqlite:///{tmp_path / 'q.db'}"))
    assert isinstance(queue, SqlReviewQueue)
    queue.close()
