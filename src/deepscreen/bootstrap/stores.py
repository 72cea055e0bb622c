"""The stores bootstrap opens from settings: the event store, the review queue, the bank store,
the HTTP service's stores and the reviewers' media store (SQL, fsspec or in-memory)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from deepscreen.core.banks import Bank, BankEntry
from deepscreen.core.errors import ConfigError
from deepscreen.service.hosted import HostedStores
from deepscreen.settings import MediaStoreSettings, Settings
from deepscreen.store.access.memory import (
    InMemoryAuditLog,
    InMemoryKeyStore,
    InMemorySessionRevocations,
)
from deepscreen.store.banks.memory import InMemoryBankStore
from deepscreen.store.banks.open import open_bank_store
from deepscreen.store.banks.ports import BankStore
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.ingest.memory import InMemoryIngestJobStore
from deepscreen.store.media.memory import InMemoryReviewerPreferences
from deepscreen.store.media.ports import MediaStore
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.ports import ReviewQueueStore

if TYPE_CHECKING:
    from deepscreen.store.sql.database import SqlDatabase


def open_store(url: str) -> EventStore:
    """``memory://`` for the in-memory fake, else a SQLAlchemy URL (SQLite or PostgreSQL)."""
    if url == "memory://":
        return InMemoryEventStore()
    from deepscreen.store.events.sql import SqlEventStore  # SQLAlchemy: only for a SQL database

    return SqlEventStore(url)


def database_of(store: EventStore | None, url: str) -> SqlDatabase | None:
    """The ``SqlDatabase`` ``store`` is open on, when it is the database at ``url``: the stores
    opened beside it share its engine (one engine per database)."""
    if store is None or url == "memory://":
        return None
    from deepscreen.store.events.sql import SqlEventStore
    from deepscreen.store.sql.engine import parse_url

    if isinstance(store, SqlEventStore):
        if store.url == parse_url(url).render_as_string(hide_password=True):
            return store.database
    return None


def review_queue_of(store: EventStore) -> ReviewQueueStore:
    """The review queue of the event store's database, where ``record_item`` writes routed
    tasks: an in-memory store's own queue, or the SQL queue on a SQL store's database. A store
    of another kind (a test's stand-in) gets an in-memory queue of its own."""
    if isinstance(store, InMemoryEventStore):
        return store.review_queue
    from deepscreen.store.events.sql import SqlEventStore

    if isinstance(store, SqlEventStore):
        return store.open_review_queue()
    return InMemoryReviewQueue()


def open_review_queue(settings: Settings) -> ReviewQueueStore:
    """``memory://`` for the in-memory fake, else SQLite or PostgreSQL (the event store's URL)."""
    if settings.db_url == "memory://":
        return InMemoryReviewQueue()
    from deepscreen.store.review.sql import SqlReviewQueue

    return SqlReviewQueue(settings.db_url)


def build_hosted(settings: Settings, *, store: EventStore | None = None) -> HostedStores:
    """The HTTP service's stores — API keys, audit trail, ingest jobs, UI session revocations,
    reviewer preferences — in the event store's database (one engine for them all, ``store``'s
    when it is open on that database: closing either closes both); ``memory://`` gives
    in-memory fakes."""
    if settings.db_url == "memory://":
        return HostedStores(
            InMemoryKeyStore(),
            InMemoryAuditLog(),
            InMemoryIngestJobStore(),
            InMemorySessionRevocations(),
            InMemoryReviewerPreferences(),
        )
    from deepscreen.store.access.sql import SqlAuditLog, SqlKeyStore, SqlSessionRevocations
    from deepscreen.store.ingest.sql import SqlIngestJobStore
    from deepscreen.store.media.sql import SqlReviewerPreferences
    from deepscreen.store.sql.database import SqlDatabase

    database = database_of(store, settings.db_url) or SqlDatabase(settings.db_url)
    return HostedStores(
        SqlKeyStore(database),
        SqlAuditLog(database),
        SqlIngestJobStore(database),
        SqlSessionRevocations(database),
        SqlReviewerPreferences(database),
    )


def open_media_store(media: MediaStoreSettings) -> MediaStore | None:
    """None for ``backend = "off"``; else a local directory (``"local"`` and ``path``) or an
    fsspec URL, Fernet-encrypted when ``encryption_key`` is set."""
    if media.backend == "off":
        return None
    key = media.encryption_key.get_secret_value() if media.encryption_key else ""
    if not key and media.require_encryption:
        raise ConfigError(
            "[media_store] require_encryption is set but no encryption_key is given "
            "(DEEPSCREEN_MEDIA_STORE__ENCRYPTION_KEY; make one with `deepscreen media keygen`)"
        )
    if media.backend == "local":
        if not media.path:
            raise ConfigError('[media_store] backend = "local" needs a directory: set path')
        url = str(Path(media.path).expanduser())
    else:
        url = media.backend
    from deepscreen.store.media.cipher import FernetCipher
    from deepscreen.store.media.fsspec_store import FsspecMediaStore

    cipher = FernetCipher(key) if key else None
    return FsspecMediaStore(url, cipher=cipher, storage_options=media.storage_options)


@contextmanager
def opened_banks(settings: Settings) -> Iterator[BankStore]:
    """The bank store in the event store's database (``db_url``), closed on exit."""
    store = open_bank_store(settings.db_url)
    try:
        yield store
    finally:
        store.close()


def memory_banks(banks: Iterable[Bank] = (), entries: Iterable[BankEntry] = ()) -> BankStore:
    """An in-memory bank store holding ``banks`` and their ``entries`` (in the order given)."""
    store = InMemoryBankStore()
    for bank in banks:
        store.create_bank(bank)
    for bank_name, run in groupby(entries, key=lambda e: e.bank):
        store.add_entries(bank_name, list(run))
    return store


def memory_store() -> EventStore:
    """An in-memory event store: a batch worker's, which never writes decisions."""
    return InMemoryEventStore()


def new_media_key() -> str:
    """A new encryption key for ``[media_store] encryption_key`` (Fernet)."""
    from deepscreen.store.media.cipher import new_key

    return new_key()
