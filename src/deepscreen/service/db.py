"""Database administration: migrate a store's schema to this deepscreen's version."""

from __future__ import annotations

from deepscreen.store.sql.migrations import UpgradeResult, upgrade_url


def upgrade_database(url: str, *, schema: str | None = None) -> UpgradeResult:
    """Apply the pending migrations of the database at ``url`` (idempotent); ``memory://``
    has nothing to migrate."""
    if url == "memory://":
        raise ValueError("memory:// keeps nothing between runs: there is nothing to upgrade")
    return upgrade_url(url, schema=schema)
