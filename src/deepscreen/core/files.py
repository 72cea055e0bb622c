"""Writing result files: whole or not at all, and JSON without NaN or infinity."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``: readers
    see the old file or the new one, never half of it, and a failure leaves no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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


def write_json_atomic(path: Path, data: Any) -> None:
    """``data`` as indented JSON, written as ``write_bytes_atomic`` writes: a reader of a
    ``--json FILE`` result never sees half a file. Non-finite floats become null
    (``json_ready``); dates and paths are written as strings."""
    text = json.dumps(json_ready(data), indent=2, allow_nan=False, default=str) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))
