"""The client of the EU DSA Transparency Database: submits statements of reasons, a batch at a
time (``adapters.dsa_submission``), on one HTTP client."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepscreen.adapters.dsa_submission import SubmitResult


def submit_batches(
    batches: Iterable[Sequence[dict[str, Any]]], *, base_url: str, token: str
) -> list[SubmitResult]:
    """Submit each batch of statements in turn (``submit_batch``: retried, already-present
    statements reported, not resubmitted)."""
    import httpx

    from deepscreen.adapters.dsa_submission import submit_batch

    with httpx.Client(timeout=30.0) as client:
        return [submit_batch(client, b, base_url=base_url, token=token) for b in batches]
