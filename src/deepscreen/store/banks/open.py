"""Open the ``BankStore`` named by a store URL: ``memory://`` or a SQLAlchemy URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deepscreen.store.banks.memory import InMemoryBankStore
from deepscreen.store.banks.ports import BankStore

if TYPE_CHECKING:
    from deepscreen.store.sql.database import SqlDatabase


def open_bank_store(url: str, *, database: SqlDatabase | None = None) -> BankStore:
    """``memory://`` for the in-memory fake, else SQLite or PostgreSQL (the event store's URL):
    on ``database``'s engine when given (the ``SqlDatabase`` at ``url``), else on its own."""
    if url == "memory://":
        return InMemoryBankStore()
    from deepscreen.store.banks.sql import SqlBankStore  # SQLAlchemy: only for a SQL database

    return SqlBankStore(url if database is None else database)
