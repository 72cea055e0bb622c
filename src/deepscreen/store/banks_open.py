"""Open the ``BankStore`` named by a store URL: ``memory://`` or a SQLAlchemy URL."""

from __future__ import annotations

from deepscreen.store.banks_memory import InMemoryBankStore
from deepscreen.store.banks_ports import BankStore


def open_bank_store(url: str) -> BankStore:
    """``memory://`` for the in-memory fake, else SQLite or PostgreSQL (the event store's URL)."""
    if url == "memory://":
        return InMemoryBankStore()
    from deepscreen.store.banks_sql import SqlBankStore  # SQLAlchemy: only for a SQL database

    return SqlBankStore(url)
