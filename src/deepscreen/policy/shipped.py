"""The policy bundles that ship inside the package, found by name wherever deepscreen runs.

A user who installed deepscreen has no ``policies/`` folder in the working directory, so every
option that takes a bundle directory also takes one of these names: ``default`` (the shipped
policy), ``thresholds`` (the same provenance rules, then ensemble-score thresholds to tune),
and ``label-first`` (the demo's candidate: declared-AI media in sensitive categories labelled
at upload). A directory of that name in the working directory wins: a path is always a path.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

SHIPPED: dict[str, tuple[str, str]] = {
    "default": ("deepscreen.policies", "default"),
    "thresholds": ("deepscreen.policies", "thresholds"),
    "label-first": ("deepscreen.demo", "candidate"),
}


def shipped_bundle(name: str) -> Path:
    """The installed directory of the shipped bundle ``name`` (a key of ``SHIPPED``)."""
    package, folder = SHIPPED[name]
    with as_file(files(package) / folder) as path:
        return Path(path)


def resolve_bundle_dir(directory: str | Path) -> Path:
    """``directory`` if it exists, else the shipped bundle it names, else ``directory`` as
    given (loading then reports it missing, listing the shipped names)."""
    path = Path(directory)
    if not path.exists() and str(directory) in SHIPPED:
        return shipped_bundle(str(directory))
    return path
