"""The conformance checks (sklearn's ``parametrize_with_checks`` with TX's SignalTypeAutoTest):
each ``check_*`` takes a detector and raises a clear ``AssertionError``."""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import math
import pickle
import re
import socket
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, NoReturn
from unittest import mock

from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.signals.ports import Detector
from deepscreen.signals.registry import GROUP

if TYPE_CHECKING:
    import pytest

Check = Callable[[Any], None]
_LOWER_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make any socket connection or DNS lookup fail with AssertionError."""

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("network I/O attempted")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
    ):
        yield


@contextlib.contextmanager
def no_io() -> Iterator[None]:
    """``no_network`` plus: opening any file fails with AssertionError."""

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"file I/O attempted: open{args!r}")

    with (
        no_network(),
        mock.patch.object(builtins, "open", refuse),
        mock.patch.object(io, "open", refuse),
    ):
        yield


def check_name_is_lower_snake(detector: Any) -> None:
    cls = type(detector)
    name = getattr(cls, "name", None)
    assert isinstance(name, str), f"{cls.__qualname__}.name must be a class-level str, got {name!r}"
    assert _LOWER_SNAKE.match(name), f"{cls.__qualname__}.name {name!r} is not lower_snake"
    assert detector.name == name, f"instance name {detector.name!r} shadows class name {name!r}"


def check_version_is_nonempty_str(detector: Any) -> None:
    version = getattr(type(detector), "version", None)
    assert isinstance(version, str) and version.strip(), (
        f"{type(detector).__qualname__}.version must be a non-empty class-level str, "
        f"got {version!r}"
    )


def check_media_kinds_declared(detector: Any) -> None:
    kinds = getattr(type(detector), "media_kinds", None)
    assert isinstance(kinds, frozenset) and kinds, (
        f"media_kinds must be a non-empty frozenset, got {kinds!r}"
    )
    bad = [k for k in kinds if not isinstance(k, MediaKind)]
    assert not bad, f"media_kinds holds values that are not MediaKind: {bad!r}"


def check_satisfies_detector_protocol(detector: Any) -> None:
    assert isinstance(detector, Detector), (
        f"{type(detector).__qualname__} lacks part of the Detector protocol "
        "(name, version, media_kinds, load, detect, get_examples)"
    )


def check_matches_entry_point(detector: Any) -> None:
    cls = type(detector)
    for point in entry_points(group=GROUP):
        if point.attr == cls.__qualname__ and _names_class(point.module, cls):
            assert point.name == cls.name, (
                f"{cls.__qualname__} is registered as entry point {point.name!r} in group "
                f"{GROUP!r} but its name is {cls.name!r}"
            )


def _names_class(module_name: str, cls: type) -> bool:
    """Whether module ``module_name`` defines ``cls`` or re-exports it (a detector sub-package's
    ``__init__``); only an already imported module is looked at, so nothing new is imported."""
    if module_name == cls.__module__:
        return True
    module = sys.modules.get(module_name)
    return module is not None and getattr(module, cls.__qualname__, None) is cls


def check_init_does_no_io(detector: Any) -> None:
    cls = type(detector)
    try:
        with no_io():
            cls()
    except TypeError as exc:
        raise AssertionError(
            f"{cls.__qualname__}() must be constructible without arguments (defaults for every "
            f"parameter): {exc}"
        ) from exc
    except AssertionError as exc:
        raise AssertionError(
            f"{cls.__qualname__}() did I/O in __init__ ({exc}); move it to load()"
        ) from exc


def check_load_is_idempotent(detector: Any) -> None:
    detector.load()
    example = _examples(detector)[0]
    before = detector.detect(example)
    detector.load()
    after = detector.detect(example)
    assert before == after, f"a second load() changed the result: {before!r} != {after!r}"


def check_examples_cover_media_kinds(detector: Any) -> None:
    examples = _examples(detector)
    kinds = {e.kind for e in examples}
    missing = set(detector.media_kinds) - kinds
    assert not missing, (
        f"get_examples() has no example of declared media kind(s) {sorted(missing)!r}"
    )
    extra = kinds - set(detector.media_kinds)
    assert not extra, f"get_examples() has examples of undeclared media kind(s) {sorted(extra)!r}"


def check_detect_returns_signal_result(detector: Any) -> None:
    for example, result in _results(detector):
        assert isinstance(result, SignalResult), (
            f"detect({example.item_id!r}) returned {type(result).__name__}, not SignalResult"
        )
        assert result.detector == detector.name, (
            f"result.detector {result.detector!r} != name {detector.name!r}"
        )
        assert result.version == detector.version, (
            f"result.version {result.version!r} != version {detector.version!r}"
        )


def check_detect_is_deterministic(detector: Any) -> None:
    for example, first in _results(detector):
        second = detector.detect(example)
        assert first == second, (
            f"detect({example.item_id!r}) differs between calls: {first!r} != {second!r}"
        )


def check_detect_does_no_network_io(detector: Any) -> None:
    detector.load()
    examples = _examples(detector)
    with no_network():
        for example in examples:
            detector.detect(example)


def check_scores_in_unit_interval_or_abstained(detector: Any) -> None:
    for example, result in _results(detector):
        if result.score is None:
            assert isinstance(result.abstain_reason, str) and result.abstain_reason.strip(), (
                f"detect({example.item_id!r}) abstained without a reason"
            )
        else:
            score = result.score
            assert isinstance(score, float) and not math.isnan(score) and 0.0 <= score <= 1.0, (
                f"detect({example.item_id!r}) score {score!r} is not a float in [0, 1]"
            )


def check_result_is_serialisable(detector: Any) -> None:
    for example, result in _results(detector):
        try:
            json.dumps(dict(result.evidence), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AssertionError(f"evidence of {example.item_id!r} is not JSON: {exc}") from exc
        assert pickle.loads(pickle.dumps(result)) == result, (
            f"result of {example.item_id!r} does not pickle"
        )


def check_examples_include_a_scored_result(detector: Any) -> None:
    assert any(not r.abstained for _, r in _results(detector)), (
        "no example yields a score: add an example the detector can decide"
    )


def check_examples_exercise_both_outcomes(detector: Any) -> None:
    """Soft: a detector that never abstains may exclude this check by name."""
    outcomes = {r.abstained for _, r in _results(detector)}
    assert outcomes == {True, False}, (
        "examples should include one scored and one abstained result; "
        f"got only {'abstentions' if True in outcomes else 'scores'}"
    )


CHECKS: tuple[Check, ...] = (
    check_name_is_lower_snake,
    check_version_is_nonempty_str,
    check_media_kinds_declared,
    check_satisfies_detector_protocol,
    check_matches_entry_point,
    check_init_does_no_io,
    check_load_is_idempotent,
    check_examples_cover_media_kinds,
    check_detect_returns_signal_result,
    check_detect_is_deterministic,
    check_detect_does_no_network_io,
    check_scores_in_unit_interval_or_abstained,
    check_result_is_serialisable,
    check_examples_include_a_scored_result,
    check_examples_exercise_both_outcomes,
)
OPTIONAL_CHECKS = frozenset({"check_examples_exercise_both_outcomes"})


def parametrize_with_checks(
    detectors: Sequence[Any], *, exclude: Collection[str] = ()
) -> pytest.MarkDecorator:
    """A ``pytest.mark.parametrize("detector, check", ...)`` over every check of every detector.

    ``exclude`` names optional checks to skip (only those in ``OPTIONAL_CHECKS``).
    """
    import pytest  # lazily: the package does not depend on pytest

    not_optional = set(exclude) - OPTIONAL_CHECKS
    if not_optional:
        raise ValueError(f"only optional checks can be excluded, not {sorted(not_optional)!r}")
    params = [
        pytest.param(detector, check, id=f"{_label(detector)}-{check.__name__}")
        for detector in detectors
        for check in CHECKS
        if check.__name__ not in exclude
    ]
    return pytest.mark.parametrize("detector, check", params)


def _label(detector: Any) -> str:
    name = getattr(type(detector), "name", None)
    return name if isinstance(name, str) else type(detector).__qualname__


def _examples(detector: Any) -> list[MediaItem]:
    with no_network():
        examples = detector.get_examples()
    assert isinstance(examples, list) and examples, "get_examples() must return a non-empty list"
    bad = [type(e).__name__ for e in examples if not isinstance(e, MediaItem)]
    assert not bad, f"get_examples() returned non-MediaItem values: {bad!r}"
    return examples


def _results(detector: Any) -> list[tuple[MediaItem, SignalResult]]:
    detector.load()
    return [(example, detector.detect(example)) for example in _examples(detector)]
