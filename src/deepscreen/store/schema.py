"""The one SQLAlchemy Core schema of SQLite and PostgreSQL stores, created when a store opens.

There are no migrations yet: a database whose ``schema_version`` differs is refused. Tables added
since (``banks``, ``bank_entries``) are additive, so version 1 stays: opening a version-1 database
creates them with ``CREATE TABLE/INDEX IF NOT EXISTS``, like every table, and touches nothing else.
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
    UniqueConstraint,
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

# Hash banks (``deepscreen.store.banks_sql``): named lists of PDQ hashes, and their entries.
banks = Table(
    "banks",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("signal_type", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String, nullable=False),
)

bank_entries = Table(
    "bank_entries",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("bank", String(63), ForeignKey("banks.name"), nullable=False),
    Column("hash_hex", String(64), nullable=False),
    Column("item_id", String, nullable=True),
    Column("added_by", String, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    Column("quality", Integer, nullable=True),
    Column("metadata", Text, nullable=False),  # a JSON object of strings
    # UNIQUE(bank, hash_hex), with hash_hex first so that the one index also serves hash lookups
    # (a second index on hash_hex doubled the cost of a 1,000,000-entry import on SQLite).
    UniqueConstraint("hash_hex", "bank", name="uq_bank_entries_hash_bank"),
    Index("ix_bank_entries_bank_seq", "bank", "seq"),
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
