"""The one SQLAlchemy Core schema of SQLite and PostgreSQL stores, created when a store opens.

There are no migrations yet: a database whose ``schema_version`` differs is refused.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

SCHEMA_VERSION = 1
# Any constant key: it serialises concurrent first opens of one PostgreSQL database.
_PG_LOCK_KEY = 0x6465_6570_7363_72

# BIGINT on PostgreSQL; plain INTEGER on SQLite, where only INTEGER PRIMARY KEY is the rowid.
_SEQ = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_type", String(32), nullable=False),
    Column("item_id", String, nullable=False, index=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_event_type_seq", "event_type", "seq"),
)

items = Table(
    "items",
    metadata,
    Column("item_id", String, primary_key=True),
    Column("seq", _SEQ, ForeignKey("events.seq"), nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", String, primary_key=True),
    Column("item_id", String, nullable=False, index=True),
    Column("policy_revision", String, nullable=False, index=True),
    Column("rule_id", String, nullable=True),
    Column("action", String(32), nullable=False, index=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("seq", _SEQ, ForeignKey("events.seq"), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)


def ensure_schema(conn: Connection, pg_schema: str | None = None) -> int:
    """Create what is missing (and ``pg_schema``, a checked name); return the stored version."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        if pg_schema is not None:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"')
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            conn.execute(CreateIndex(index, if_not_exists=True))
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(schema_version)
        .values(id=1, version=SCHEMA_VERSION)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    query = select(schema_version.c.version).where(schema_version.c.id == 1)
    return int(conn.execute(query).scalar_one())
