"""Detector discovery through the ``deepscreen.signals`` entry-point group, then loading the
enabled ones. Nothing happens at import: ``bootstrap`` decides which detectors run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, Protocol

from deepscreen.core.errors import DetectorLoadFailed, PluginConflict, PluginError
from deepscreen.signals.ports import Detector

GROUP = "deepscreen.signals"
_REQUIRED_ATTRIBUTES = ("name", "version", "media_kinds", "load", "detect", "get_examples")


class EntryPointLike(Protocol):
    """What ``discover`` needs of an ``importlib.metadata.EntryPoint`` (fakes welcome)."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    def load(self) -> Any: ...


def discover(points: Iterable[EntryPointLike] | None = None) -> dict[str, type[Detector]]:
    """Every registered detector class by name; ``points`` defaults to the installed entry points.

    Raises ``DetectorLoadFailed`` when an entry point cannot be imported, ``PluginError`` when it
    is not a detector class or its name differs from ``cls.name``, and ``PluginConflict`` when two
    entry points claim one name.
    """
    if points is None:
        points = entry_points(group=GROUP)
    found: dict[str, type[Detector]] = {}
    origins: dict[str, str] = {}
    for point in points:
        cls = _load_class(point)
        if point.name in found:
            if found[point.name] is cls:  # the same class registered twice is harmless
                continue
            raise PluginConflict(
                f"detector name {point.name!r} is claimed by both "
                f"{origins[point.name]!r} and {point.value!r}"
            )
        found[point.name] = cls
        origins[point.name] = point.value
    return found


def load_detectors(
    names: Sequence[str],
    available: Mapping[str, type[Detector]] | None = None,
    instances: Mapping[str, Detector] | None = None,
) -> list[Detector]:
    """Instantiate the named detectors, in order, and call ``load()`` on each.

    ``available`` defaults to ``discover()``. ``instances`` supplies detectors the composition
    root built itself because they need collaborators (e.g. ``hashmatch`` and its banks).
    Raises ``PluginError`` for an unknown name and ``DetectorLoadFailed`` (chained to the
    cause) when construction or ``load()`` fails.
    """
    instances = instances or {}
    if available is None:  # import only the plug-ins asked for (each may pull in a big library)
        points = list(entry_points(group=GROUP))
        wanted = set(names) - set(instances)
        available = discover(p for p in points if p.name in wanted)
        known = {p.name for p in points} | set(instances)
    else:
        known = set(available) | set(instances)
    unknown = [name for name in names if name not in available and name not in instances]
    if unknown:
        raise PluginError(
            f"unknown detector(s) {', '.join(map(repr, unknown))}; "
            f"available: {', '.join(sorted(known - set(instances))) or '(none)'}"
        )
    detectors: list[Detector] = []
    for name in dict.fromkeys(names):  # de-duplicated, order kept
        try:
            detector = instances[name] if name in instances else available[name]()
            detector.load()
        except Exception as exc:  # third-party plug-in code: any failure is a load failure
            raise DetectorLoadFailed(f"detector {name!r} failed to load: {exc!r}") from exc
        detectors.append(detector)
    return detectors


def _load_class(point: EntryPointLike) -> type[Detector]:
    try:
        obj = point.load()
    except Exception as exc:  # an import error in a plug-in is reported, not propagated raw
        raise DetectorLoadFailed(
            f"entry point {point.name!r} = {point.value!r} in group {GROUP!r} "
            f"could not be imported: {exc!r}"
        ) from exc
    if not isinstance(obj, type):
        raise PluginError(
            f"entry point {point.name!r} = {point.value!r} must name a detector class, "
            f"got {type(obj).__name__}"
        )
    missing = [attr for attr in _REQUIRED_ATTRIBUTES if not hasattr(obj, attr)]
    if missing:
        raise PluginError(
            f"entry point {point.name!r} = {point.value!r}: {obj.__qualname__} is not a "
            f"Detector (missing {', '.join(missing)})"
        )
    cls_name = getattr(obj, "name", None)
    if cls_name != point.name:
        raise PluginError(
            f"entry point name {point.name!r} does not match {obj.__qualname__}.name "
            f"{cls_name!r}; register the detector under its own name"
        )
    return obj
