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
    params = document["params"]
    for name, value in values.items():
        if isinstance(params[name], Mapping):
            params[name]["value"] = float(value)
        else:
            params[name] = float(value)
    out = io.StringIO()
    round_trip.dump(document, out)
    edited = out.getvalue()
    if yaml.safe_load(edited) != _expected(text, values):  # the round trip changed meaning
        raise PolicyError(f"setting {', '.join(values)} would change more than those params")
    return edited


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping's keys (ruamel guesses sequences only)."""
    lines = text.splitlines()
    for above, line in zip(lines, lines[1:], strict=False):
        if re.match(r"[^\s#-][^:]*:\s*(#.*)?$", above) and re.match(r" +[^\s#-]", line):
            return len(line) - len(line.lstrip(" "))
    return 2


def _expected(text: str, values: Mapping[str, float]) -> Any:
    data = yaml.safe_load(text)
    for name, value in values.items():
        spec = data["params"][name]
        if isinstance(spec, dict):
            spec["value"] = float(value)
        else:
            data["params"][name] = float(value)
    return data
