"""Read an uploaded file within the media byte limit, and name it safely."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from fastapi import UploadFile

from deepscreen.core.errors import MediaTooLarge

MAX_FILENAME = 255


def upload_name(upload: UploadFile) -> str:
    """The upload's base name, without directories or control characters (``upload`` if none)."""
    raw = (upload.filename or "").replace("\\", "/")
    name = "".join(c for c in PurePosixPath(raw).name if unicodedata.category(c)[0] != "C")
    return name[:MAX_FILENAME] or "upload"


def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The file's bytes; ``MediaTooLarge`` past ``max_bytes`` (read no further than that)."""
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MediaTooLarge(upload_name(upload), f"over the limit of {max_bytes:,} bytes")
    return data
