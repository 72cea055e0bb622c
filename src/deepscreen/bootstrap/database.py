"""Database administration on the SQL stores bootstrap opens: schema upgrades, and the integrity
check (``--repair``: the fix) of decisions against review tasks (``service.integrity``)."""

from __future__ import annotations

from deepscreen.review.config import ReviewConfig
from deepscreen.service.integrity import IntegrityReport, RepairResult, check, repair
from deepscreen.store.sql.migrations import UpgradeResult, upgrade_url


def upgrade_database(url: str, *, schema: str | None = None) -> UpgradeResult:
    """Apply the pending migrations of the database at ``url`` (idempotent); ``memory://``
    has nothing to migrate."""
    if url == "memory://":
        raise ValueError("memory:// keeps nothing between runs: there is nothing to upgrade")
    return upgrade_url(url, schema=schema)


def check_database(url: str, *, schema: str | None = None, examples: int = 5) -> IntegrityReport:
    """Every check on the database at ``url``; nothing is written."""
    from deepscreen.store.sql.integrity import SqlIntegrity

    with SqlIntegrity(_checked(url), schema=schema) as integrity:
        return check(integrity, examples=examples)


def repair_database(
    url: str, config: ReviewConfig, *, schema: str | None = None, examples: int = 5
) -> RepairResult:
    """Check, add the missing review tasks, and check again (``service.integrity.repair``)."""
    from deepscreen.store.events.sql import SqlEventStore
    from deepscreen.store.review.sql import SqlReviewQueue
    from deepscreen.store.sql.integrity import SqlIntegrity

    url = _checked(url)
    with (
        SqlIntegrity(url, schema=schema) as integrity,
        SqlEventStore(integrity.database) as store,  # one engine for both
        SqlReviewQueue(url, schema=schema) as queue,
    ):
        return repair(integrity, store, queue, config, examples=examples)


def _checked(url: str) -> str:
    if url == "memory://":
        raise ValueError("memory:// keeps nothing between runs: there is nothing to check")
    return url
