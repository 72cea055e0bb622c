"""Ordered schema migrations: ``upgrade`` takes a database from its stored version to
``schema.SCHEMA_VERSION``, one migration at a time in one transaction, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from deepscreen.core.errors import StoreUnavailable
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.engine import make_engine, parse_url


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[Connection], None]


def _tables(*tables: object) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        s.create_tables(conn, [t for t in s.metadata.sorted_tables if t in tables])

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "event log (events, items, decisions) and hash banks (banks, bank_entries)",
        _tables(s.events, s.items, s.decisions, s.banks, s.bank_entries),
    ),
    Migration(
        2,
        "review queue (review_tasks), API keys (api_keys), audit trail (audit_log), "
        "acknowledged ingests (ingest_jobs)",
        _tables(s.review_tasks, s.api_keys, s.audit_log, s.ingest_jobs),
    ),
    Migration(
        3,
        "applied impact imports (imports), entries removed from banks (bank_removals), "
        "reviewer UI sessions ended by logout (ui_session_revocations)",
        _tables(s.imports, s.bank_removals, s.ui_session_revocations),
    ),
    Migration(
        4,
        "reviewer preferences, e.g. wellness filters (reviewer_preferences)",
        _tables(s.reviewer_preferences),
    ),
)
assert [m.version for m in MIGRATIONS] == list(range(1, s.SCHEMA_VERSION + 1))


@dataclass(frozen=True)
class UpgradeResult:
    before: int | None  # None: a new database
    after: int
    applied: tuple[Migration, ...]


def upgrade(conn: Connection, pg_schema: str | None = None) -> UpgradeResult:
    """Apply every migration above the stored version (all of them for a new database)."""
    s.lock(conn, pg_schema)
    before = s.stored_version(conn)
    if before is not None and before > s.SCHEMA_VERSION:
        raise StoreUnavailable(
            f"the database has schema version {before}, newer than this deepscreen's "
            f"{s.SCHEMA_VERSION}: upgrade deepscreen instead"
        )
    applied = tuple(m for m in MIGRATIONS if before is None or m.version > before)
    for migration in applied:
        migration.apply(conn)
        s.set_version(conn, migration.version)
    return UpgradeResult(before, s.SCHEMA_VERSION, applied)


def upgrade_url(url: str, *, schema: str | None = None) -> UpgradeResult:
    """``upgrade`` the database at ``url`` (SQLite or PostgreSQL) in one transaction."""
    engine = make_engine(parse_url(url), schema)
    try:
        with engine.begin() as conn:
            return upgrade(conn, schema)
    finally:
        engine.dispose()


def refuse_message(kind: str, url: str, version: int) -> str:
    """Why a store does not open a database at ``version`` (not ``SCHEMA_VERSION``)."""
    if version < s.SCHEMA_VERSION:
        return (
            f"{kind} {url} has schema version {version}, this deepscreen reads version "
            f"{s.SCHEMA_VERSION}: run `deepscreen db upgrade` (it keeps every event)"
        )
    return (
        f"{kind} {url} has schema version {version}, this deepscreen reads version "
        f"{s.SCHEMA_VERSION}: upgrade deepscreen"
    )
