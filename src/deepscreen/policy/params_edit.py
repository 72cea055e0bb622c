"""Set a policy file's parameter values in place: a YAML round trip (ruamel.yaml) that keeps
every other line, comment and layout of the file people wrote."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.util import load_yaml_guess_indent

from deepscreen.core.errors import PolicyError


def set_params(text: str, values: Mapping[str, float]) -> str:
    """``text`` (one policy file) with each named param's value — ``name: v`` or the ``value:``
    of ``name: {value: v, …}`` — set, in the file's own indentation. Raises ``KeyError`` for a
    param the file does not define."""
    _, sequence, offset = load_yaml_guess_indent(text)
    round_trip = YAML(typ="rt")
    round_trip.preserve_quotes = True
    round_trip.width = 4096  # never re-wrap a line people wrapped (or did not)
    round_trip.indent(mapping=_mapping_indent(text), sequence=sequence or 2, offset=offset or 0)
    document = round_trip.load(text)
    _assign(document["params"], values)
    out = io.StringIO()
    round_trip.dump(document, out)
    edited = out.getvalue()
    expected = yaml.safe_load(text)
    _assign(expected["params"], values)
    if yaml.safe_load(edited) != expected:  # the round trip changed meaning
        raise PolicyError(f"setting {', '.join(values)} would change more than those params")
    return edited


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping's keys (ruamel guesses sequences only)."""
    lines = text.splitlines()
    for above, line in zip(lines, lines[1:], strict=False):
        if re.match(r"[^\s#-][^:]*:\s*(#.*)?$", above) and re.match(r" +[^\s#-]", line):
            return len(line) - len(line.lstrip(" "))
    return 2


def _assign(params: Any, values: Mapping[str, float]) -> None:
    """Set each param of a loaded ``params`` mapping: ``name: v`` or ``name: {value: v, …}``."""
    for name, value in values.items():
        if isinstance(params[name], Mapping):
            params[name]["value"] = float(value)
        else:
            params[name] = float(value)
