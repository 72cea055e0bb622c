"""The one error shape of the API, ``{"error": {"code", "message"}}``, and the one mapping from the
deepscreen error tree (and the framework's own errors) to HTTP statuses. 4xx messages are the
domain error's own; 5xx messages are generic (details go only to the log)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from deepscreen.core.errors import (
    BackendError,
    BankExists,
    BankNotFound,
    Conflict,
    DeepscreenError,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    PermissionDenied,
    ReviewError,
    TaskNotFound,
    Unauthenticated,
    UnsupportedMedia,
)

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `corrupt_media`.")
    message: str = Field(description="What went wrong, for people.")


class ErrorBody(BaseModel):
    error: ErrorDetail


# Most specific first: the first matching class decides. Unlisted DeepscreenErrors (settings,
# policy, plug-in errors) are the server's fault: 500.
STATUS_BY_ERROR: tuple[tuple[type[DeepscreenError], int], ...] = (
    (UnsupportedMedia, 415),
    (MediaTooLarge, 413),
    (InvalidInput, 422),
    (NotFound, 404),
    (BankNotFound, 404),
    (TaskNotFound, 404),
    (Conflict, 409),
    (BankExists, 409),
    (ReviewError, 409),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (BackendError, 503),
)
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media",
}
_DESCRIPTIONS = {
    400: "Malformed request body (e.g. broken multipart)",
    401: "No API key, or an unknown, malformed or revoked one",
    403: "The key's role may not use this endpoint",
    404: "Nothing stored under this id",
    409: "Conflicts with a stored request",
    413: "Request body or media over the size limit",
    415: "Media of a format deepscreen does not read",
    422: "Invalid request",
    500: "Internal error (details are logged, never returned)",
    503: "A backend is unavailable; retry later",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def status_for(error: DeepscreenError) -> int:
    return next((status for cls, status in STATUS_BY_ERROR if isinstance(error, cls)), 500)


def domain_error_response(error: DeepscreenError) -> JSONResponse:
    status = status_for(error)
    if status == 503:
        log.warning("backend unavailable: %s", error)
        return error_response(503, error.code, "a backend is unavailable; retry later")
    if status == 500:
        log.error("server-side error: %s: %s", type(error).__name__, error)
        return error_response(500, "internal_error", "internal server error")
    return error_response(status, error.code, str(error))


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the error shape for these statuses."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


def install_error_handlers(app: FastAPI) -> None:
    """Map every error path to the one shape, once for the whole app."""

    async def on_domain_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DeepscreenError)
        return domain_error_response(exc)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        ]
        return error_response(422, "validation_error", "; ".join(problems)[:2000])

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, dict(exc.headers or {}))

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "internal server error")

    app.add_exception_handler(DeepscreenError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
