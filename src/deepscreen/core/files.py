"""Writing files whole or not at all (the one atomic writer), and JSON without NaN or infinity."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal


@contextlib.contextmanager
def atomic_writer(
    path: Path,
    mode: Literal["w", "wb"] = "wb",
    *,
    newline: str | None = None,
    private: bool = False,
) -> Iterator[IO[Any]]:
    """A temporary file beside ``path``, synced and renamed over it when the block ends without
    an exception, removed otherwise: readers see the old file or the new one, never half of it.
    Created 0o600 if ``private``, else 0o666 less the umask, as ``open`` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
    try:
        encoding = None if "b" in mode else "utf-8"
        with open(fd, mode, encoding=encoding, newline=newline) as handle:  # noqa: SIM115
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """``data`` written to ``path`` by ``atomic_writer``, whole or not at all, readable by its
    owner only (0o600: results, exports and reviewer media may hold personal data)."""
    with atomic_writer(path, private=True) as out:
        out.write(data)


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±infinity) replaced by None, recursively
    through dicts, lists and tuples: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def write_json_atomic(path: Path, data: Any, *, indent: int = 2, sort_keys: bool = False) -> None:
    """``data`` as indented JSON, written as ``write_bytes_atomic`` writes: a reader of a
    ``--json FILE`` result never sees half a file. Non-finite floats become null
    (``json_ready``); dates and paths are written as strings."""
    ready = json_ready(data)
    text = json.dumps(ready, indent=indent, sort_keys=sort_keys, allow_nan=False, default=str)
    write_bytes_atomic(path, (text + "\n").encode("utf-8"))
