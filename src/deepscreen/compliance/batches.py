"""Statements of reasons in submission batches: the size limit and the body of
``POST /api/v1/statements`` (what ``adapters.dsa_submission`` sends and the export writes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from deepscreen.compliance.sor import Restriction, SorConfig, statement_of_reasons
from deepscreen.compliance.validate import MAX_BATCH
from deepscreen.core.errors import InvalidInput


def build_statements(found: Iterable[Restriction], config: SorConfig) -> list[dict[str, Any]]:
    return [statement_of_reasons(r, config) for r in found]


def batches(
    statements: Sequence[dict[str, Any]], batch_size: int = MAX_BATCH
) -> Iterator[list[dict[str, Any]]]:
    """Consecutive batches of at most ``batch_size`` statements; ``InvalidInput`` unless
    ``1 <= batch_size <= MAX_BATCH`` (raised before the first batch)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvalidInput(f"batch size must be 1..{MAX_BATCH}, got {batch_size!r}")
    return (list(statements[i : i + batch_size]) for i in range(0, len(statements), batch_size))


def batch_body(batch: Sequence[Mapping[str, Any]]) -> bytes:
    """The batch file: ``{"statements": [...]}`` as UTF-8 JSON, one-space indent, newline end."""
    return (json.dumps({"statements": batch}, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
