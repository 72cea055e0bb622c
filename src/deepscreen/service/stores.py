"""The store ports the use cases take (what ``bootstrap`` opens and a shell passes on): events,
banks, the review queue and retained media."""

from __future__ import annotations

from deepscreen.store.banks.ports import BankStore as BankStore
from deepscreen.store.events.ports import EventStore as EventStore
from deepscreen.store.media.ports import MediaStore as MediaStore
from deepscreen.store.review.ports import ReviewQueueStore as ReviewQueueStore
