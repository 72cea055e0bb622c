"""The policy bundles shipped inside the package, found by name wherever deepscreen runs:
``default``, ``thresholds`` and ``label-first`` (docs/internals/policy.md). Every option that takes
a bundle directory takes these names too; a directory of that name in the cwd wins."""

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
