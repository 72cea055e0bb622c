"""One mapping from the error tree to HTTP statuses."""

from __future__ import annotations

import pytest

from deepscreen.api.errors import status_for
from deepscreen.core.errors import (
    BundleInvalid,
    ConfigError,
    CorruptMedia,
    DeepscreenError,
    IdempotencyConflict,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    Unauthenticated,
    UnsupportedMedia,
    UrlRefused,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnsupportedMedia("f", "x"), 415),
        (MediaTooLarge("f", "x"), 413),
        (CorruptMedia("f", "x"), 422),
        (InvalidInput("x"), 422),
        (UrlRefused("x"), 422),
        (NotFound("x"), 404),
        (IdempotencyConflict("x"), 409),
        (Unauthenticated("x"), 401),
        (PermissionDenied("x"), 403),
        (StoreUnavailable("x"), 503),
        (ConfigError("x"), 500),
        (BundleInvalid("p", ["e"]), 500),
        (DeepscreenError("x"), 500),
    ],
)
def test_status_for_each_error_class(error: DeepscreenError, status: int) -> None:
    assert status_for(error) == status
