"""The one error tree of deepscreen: every error raised on purpose derives from ``DeepscreenError``.
A leaf module: it imports nothing from the project. The tree, with what each error means, is
in docs/internals/core.md."""

from __future__ import annotations

from collections.abc import Sequence


class DeepscreenError(Exception):
    """Base class of every error deepscreen raises on purpose."""

    code: str = "deepscreen_error"


class InvalidInput(DeepscreenError):
    code = "invalid_input"


class _MediaError(InvalidInput):
    """A media error always names the file (or stream) it is about."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.detail = message
        super().__init__(f"{source}: {message}")


class UnsupportedMedia(_MediaError):
    code = "unsupported_media"


class MediaTooLarge(_MediaError):
    code = "media_too_large"


class CorruptMedia(_MediaError):
    code = "corrupt_media"


class ProcessingTimeout(_MediaError):
    """The item's detectors and policy did not finish within the per-item work budget
    (``media.item_budget_s``): abandoned, nothing recorded, the run goes on."""

    code = "processing_timeout"


class BankFileInvalid(InvalidInput):
    """A bank import file was refused whole; ``errors`` lists 'line N: message' entries."""

    code = "bank_file_invalid"

    def __init__(self, source: str, errors: Sequence[str], *, total_errors: int | None = None):
        self.source = source
        self.errors = tuple(errors)
        count = total_errors if total_errors is not None else len(self.errors)
        shown = "\n".join(f"  - {e}" for e in self.errors)
        more = f"\n  … and {count - len(self.errors)} more" if count > len(self.errors) else ""
        super().__init__(f"{source}: refused, nothing imported ({count} bad lines):\n{shown}{more}")


class ImportFileInvalid(InvalidInput):
    """An impact import file (views, labels, appeals, notices) was refused whole: nothing was
    imported. ``problems`` lists what is wrong — ``line N: …`` (CSV) or ``row N: …`` (Parquet)
    for bad rows, else one problem with the file itself (unreadable, empty, a duplicated,
    nested or missing column) — the first few of ``total``."""

    code = "import_file_invalid"

    def __init__(
        self, source: str, problems: Sequence[str], *, total: int | None = None, rows: bool = False
    ) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.total = total if total is not None else len(self.problems)
        shown = "; ".join(self.problems)
        more = self.total - len(self.problems)
        tail = f" (and {more} more)" if more > 0 else ""
        if rows:
            message = f"{source}: {self.total} bad row(s), nothing imported: {shown}{tail}"
        else:
            message = f"{source}: {shown}{tail}; nothing imported"
        super().__init__(message)


class ResultFileInvalid(InvalidInput):
    """A result file one deepscreen command wrote (``--json FILE``) and another reads is not
    what the reader expects: not JSON, another command's result, an unsupported version, or
    missing or mistyped fields. ``problems`` names each, so the user knows which file and
    which command to run again."""

    code = "result_file_invalid"

    def __init__(self, source: str, expected: str, problems: Sequence[str]) -> None:
        self.source = source
        self.expected = expected
        self.problems = tuple(problems)
        super().__init__(f"{source}: not {expected}: {'; '.join(self.problems)}")


class BankError(DeepscreenError):
    code = "bank_error"


class BankNotFound(BankError):
    code = "bank_not_found"


class BankExists(BankError):
    code = "bank_exists"


class UrlRefused(InvalidInput):
    """Media named by a URL was not fetched: fetching is disabled, the address or a redirect
    is not allowed, or the fetch failed."""

    code = "url_refused"


class UrlFetchTimedOut(UrlRefused):
    """A media URL was not fetched within the fetch's one deadline (resolution, connect,
    headers and body together): a slow or trickling server cannot hold a request longer."""

    code = "url_fetch_timeout"


class NotFound(DeepscreenError):
    code = "not_found"


class Conflict(DeepscreenError):
    code = "conflict"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class AccessError(DeepscreenError):
    code = "access_error"


class Unauthenticated(AccessError):
    code = "unauthenticated"


class PermissionDenied(AccessError):
    code = "permission_denied"


class ConfigError(DeepscreenError):
    code = "config_error"


class PolicyError(DeepscreenError):
    code = "policy_error"


class BundleInvalid(PolicyError):
    """A policy bundle was refused; ``errors`` lists every problem as 'file: rule: message'."""

    code = "bundle_invalid"

    def __init__(self, directory: str, errors: Sequence[str]) -> None:
        self.directory = directory
        self.errors = tuple(errors)
        lines = "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(
            f"policy bundle {directory!r} is invalid ({len(self.errors)} errors):\n{lines}"
        )


class UnknownSignal(PolicyError):
    code = "unknown_signal"


class PolicyTestError(PolicyError):
    code = "policy_test_error"


class PluginError(DeepscreenError):
    code = "plugin_error"


class PluginConflict(PluginError):
    code = "plugin_conflict"


class DetectorLoadFailed(PluginError):
    code = "detector_load_failed"


class BackendError(DeepscreenError):
    code = "backend_error"


class StoreUnavailable(BackendError):
    code = "store_unavailable"


class ReviewError(DeepscreenError):
    code = "review_error"


class TaskNotFound(ReviewError):
    code = "task_not_found"


class LeaseNotHeld(ReviewError):
    """Complete, renew or release by a reviewer without a valid lease (never claimed, claimed
    by someone else, lease expired, or the task is already done)."""

    code = "lease_not_held"


class NothingToAppeal(ReviewError):
    code = "nothing_to_appeal"
