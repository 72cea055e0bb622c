"""The one SQLAlchemy Core schema of the SQLite and PostgreSQL stores, at ``SCHEMA_VERSION``;
what each version added: ``migrations.MIGRATIONS`` and ``docs/internals/store.md``."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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

SCHEMA_VERSION = 4
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

# Hash banks (``deepscreen.store.banks.sql``): named lists of PDQ hashes, and their entries.
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

# --- version 2: the review queue, API keys, the audit trail, acknowledged ingests

# One row per review task: a decision routed to review, an appeal, or a gold item. A task is
# claimed under a lease (claimed_by, lease_expires_at); an expired lease makes it claimable again.
review_tasks = Table(
    "review_tasks",
    metadata,
    Column("task_id", String, primary_key=True),
    Column("item_id", String, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # review | appeal | gold
    Column("queue", String(63), nullable=False),
    Column("priority", Float, nullable=False),
    Column("status", String(16), nullable=False),  # open | claimed | done
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),  # the queue's SLA
    Column("claimed_by", String, nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Column("claims", Integer, nullable=False, default=0),
    Column("exclude_reviewer", String, nullable=True),  # appeals: not the first reviewer
    Column("decision_id", String, nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("completed_by", String, nullable=True),
    Column("payload", Text, nullable=False),  # a JSON object: routing context, gold answer
    Index("ix_review_tasks_claim", "queue", "status", "priority"),
    Index("ix_review_tasks_status_due", "status", "due_at"),
)

# API keys: the secret is shown once; only its argon2 hash is stored.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", String, nullable=False),
    Column("role", String(16), nullable=False),  # ingest | reviewer | analyst | admin
    Column("name", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Who did what, append-only (actor = an API key id or a CLI user).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String, nullable=False),
    Column("details", Text, nullable=False),  # a JSON object
    Index("ix_audit_log_actor_seq", "actor", "seq"),
)

# Asynchronous ingests, stored before they are acknowledged: processed once, resumed after a
# restart; the idempotency key returns the same job (and never a second item).
ingest_jobs = Table(
    "ingest_jobs",
    metadata,
    Column("job_id", String, primary_key=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | done | failed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("filename", String, nullable=False),
    Column("attributes", Text, nullable=False),  # a JSON object
    Column("media", LargeBinary, nullable=True),  # dropped once processed
    Column("item_id", String, nullable=True),
    Column("result", Text, nullable=True),  # a JSON object
    Column("error", Text, nullable=True),
    Index("ix_ingest_jobs_status_created", "status", "created_at"),
)

# --- version 3: applied impact imports, entries removed from banks

# One row per applied impact import file, written in the transaction of its events: the primary
# key makes a second import of the same content (kind, digest of its normalised rows) a no-op.
imports = Table(
    "imports",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("events", Integer, nullable=False),
)

# Entries taken out of ``bank_entries`` (e.g. an appeal reversed the decision that banked them),
# moved here in the same transaction with who, when and why: ``bank_entries`` keeps only the
# entries in force, so matching, export and the unique (hash, bank) key are unchanged.
bank_removals = Table(
    "bank_removals",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("bank", String(63), ForeignKey("banks.name"), nullable=False),
    Column("hash_hex", String(64), nullable=False),
    Column("item_id", String, nullable=True, index=True),
    Column("added_by", String, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    Column("quality", Integer, nullable=True),
    Column("metadata", Text, nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=False),
    Column("removed_by", String, nullable=False),
    Column("removal_reason", Text, nullable=False),
    Index("ix_bank_removals_bank_seq", "bank", "seq"),
)

# Reviewer UI sessions ended by logout before they expire. The session cookie is signed, not
# stored: without this row a copied cookie would keep working until its expiry. A row is
# needed only until that expiry (``expires_at``), then deleted by the next logout.
ui_session_revocations = Table(
    "ui_session_revocations",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# --- version 4: reviewer preferences

# One row per reviewer (API key id): their reviewer UI preferences as a JSON object, e.g. the
# wellness filters they chose. Never read by a decision, review or export.
reviewer_preferences = Table(
    "reviewer_preferences",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("preferences", Text, nullable=False),  # a JSON object
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)


def lock(conn: Connection, pg_schema: str | None = None) -> None:
    """Serialise schema changes on PostgreSQL (concurrent first opens, upgrades) and create
    ``pg_schema`` (a checked name) if needed; nothing on SQLite (its writes are serialised)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        if pg_schema is not None:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"')


def create_tables(conn: Connection, tables: list[Table]) -> None:
    for table in tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            conn.execute(CreateIndex(index, if_not_exists=True))


def stored_version(conn: Connection) -> int | None:
    """The database's schema version; None for a database deepscreen never opened."""
    conn.execute(CreateTable(schema_version, if_not_exists=True))
    query = select(schema_version.c.version).where(schema_version.c.id == 1)
    value = conn.execute(query).scalar_one_or_none()
    return None if value is None else int(value)


def set_version(conn: Connection, version: int) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(schema_version).values(id=1, version=version)
    conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"version": version}))


def ensure_schema(conn: Connection, pg_schema: str | None = None) -> int:
    """Create a new database at ``SCHEMA_VERSION``; at that version, create whatever table or
    index is missing; return the stored version (an older or newer one is left untouched for
    the caller to refuse)."""
    lock(conn, pg_schema)
    version = stored_version(conn)
    if version is None or version == SCHEMA_VERSION:
        create_tables(conn, list(metadata.sorted_tables))
        set_version(conn, SCHEMA_VERSION)
        return SCHEMA_VERSION
    return version
