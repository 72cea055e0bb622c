"""``deepscreen costs init``: a commented cost settings file with every key of ``[costs]``,
generated from ``settings.CostSettings`` and the demo's values so that it cannot drift from the
settings it documents (how, and why a group of its own: docs/internals/cli.md)."""

from __future__ import annotations

import re
import textwrap
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.core.files import write_bytes_atomic
from deepscreen.settings import CostSettings

app = typer.Typer(
    help="Cost settings: the [costs] inputs every cost figure, comparison and threshold "
    "optimisation reads.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

DEFAULT_PATH = Path("costs.toml")
SECTION = "costs"
ASSUMPTION = "assumption: set your own"
DEMO_SETTINGS = "deepscreen/demo/demo.toml"
WIDTH = 96


@dataclass(frozen=True)
class CostKey:
    """One ``[costs]`` key as the file documents it."""

    name: str
    description: str
    unit: str
    kind: str
    """``number``, ``integer``, ``text``, or ``table of …``."""
    bounds: str
    """e.g. ``≥ 0``; empty when unbounded."""
    table_keys: str | None
    """What a table's keys name (``action``, ``severity``, ``segment``); None: not a table."""


def cost_keys(model: type[BaseModel] = CostSettings) -> list[CostKey]:
    """The keys of ``model`` in declaration order, from its fields; a field without a
    description or a unit is an error (the file would have a key nobody explained)."""
    keys = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit, described = extra.get("unit"), field.description
        if not isinstance(unit, str) or not described:
            raise ValueError(f"{model.__name__}.{name} needs a description and a unit")
        table = extra.get("keys")
        keys.append(
            CostKey(
                name=name,
                description=described,
                unit=unit,
                kind=_kind(field.annotation),
                bounds=_bounds(field.metadata),
                table_keys=table if isinstance(table, str) else None,
            )
        )
    return keys


def _kind(annotation: Any) -> str:
    args = [a for a in get_args(annotation) if a is not NoneType]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return _kind(args[0])
    if get_origin(annotation) is dict:
        return f"table of {_kind(args[1])}s"
    return {float: "number", int: "integer", str: "text"}.get(annotation, str(annotation))


def _bounds(metadata: Sequence[Any]) -> str:
    signs = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            signs.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            signs.append(f"> {item.gt}")
    return ", ".join(signs)


def comment_sources(text: str) -> dict[str, str]:
    """The sources a settings file gives in comment bullets, by dotted key: ``#  - key: text``
    with more-indented ``#`` lines continuing it (demo.toml's header)."""
    sources: dict[str, str] = {}
    key: str | None = None
    indent = 0
    for line in text.splitlines():
        if not line.startswith("#"):
            key = None
            continue
        body = line[1:]
        bullet = re.match(r"^(\s*)-\s+([A-Za-z_][\w.]*):\s*(.*)$", body)
        if bullet:
            key, indent = bullet.group(2), len(bullet.group(1))
            sources[key] = bullet.group(3).strip()
        elif key is not None and body.strip() and len(body) - len(body.lstrip()) > indent + 1:
            sources[key] += " " + body.strip()
        else:
            key = None
    return sources


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml(key)


def _placeholder(key: CostKey) -> str:
    bound = f" {key.bounds}" if key.bounds else ""
    if key.table_keys is None:
        return f'"<{key.kind}>"' if key.kind == "text" else f"<{key.kind}{bound}>"
    item = key.kind.removeprefix("table of ").removesuffix("s")
    value = f'"<{item}>"' if item == "text" else f"<{item}{bound}>"
    default = f", default = {value}" if key.table_keys in ("action", "severity") else ""
    return f"{{<{key.table_keys}> = {value}{default}}}"


def _comment(text: str, hanging: str = "  ") -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent="# ",
        subsequent_indent="# " + hanging,
        break_on_hyphens=False,
        break_long_words=False,
    )


def key_block(key: CostKey, value: Any, sources: Mapping[str, str], currency: str) -> list[str]:
    """One key: what it is, its unit, where each value comes from, and the key itself —
    commented out with a placeholder when there is no value (TOML has no null)."""
    unit = key.unit.replace("{currency}", currency)
    kind = f"{key.kind} {key.bounds}".strip()
    if key.table_keys:
        kind += f", one entry per {key.table_keys}"
    lines = [*_comment(f"{key.name}: {key.description}"), *_comment(f"unit: {unit}; {kind}")]
    entries = (
        {f"{key.name}.{k}": v for k, v in value.items()}
        if isinstance(value, Mapping)
        else {key.name: value}
    )
    given = {k: v for k, v in entries.items() if v is not None}
    for dotted in given:
        source = sources.get(dotted)
        lines += _comment(
            f"{dotted} source ({DEMO_SETTINGS}): {source}"
            if source
            else f"{dotted}: the demo's value, no source given: {ASSUMPTION}"
        )
    if given:
        lines.append(f"{key.name} = {_toml(value)}")
    else:
        lines += _comment(f"not set in the demo: {ASSUMPTION}")
        lines.append(f"# {key.name} = {_placeholder(key)}")
    return lines


def cost_settings_toml(
    keys: Sequence[CostKey], values: Mapping[str, Any], sources: Mapping[str, str]
) -> str:
    """The commented ``[costs]`` file: a header, then one block per key, in ``keys`` order."""
    currency = str(values.get("currency") or "USD")
    header = (
        "Cost settings for deepscreen, written by `deepscreen costs init` from the [costs] "
        "settings model: every key, its unit, and where its value comes from. A value set "
        f"below is the demo's ({DEMO_SETTINGS}), quoted with its source; a key with no value "
        f"is commented out: {ASSUMPTION}. They are assumptions, not measurements of your "
        "platform: replace each one with your own figure."
    )
    usage = (
        "Use it with --config FILE on any command (or copy the [costs] table into "
        "./deepscreen.toml); DEEPSCREEN_COSTS__<KEY> variables override it. `deepscreen impact "
        "optimize` needs wrongful_action_cost (per action or default), a review cost and "
        "harm_per_violating_view, and [ensemble] enabled = true."
    )
    lines = [*_comment(header, ""), "#", *_comment(usage, ""), "", f"[{SECTION}]"]
    for key in keys:
        lines += ["", *key_block(key, values.get(key.name), sources, currency)]
    return "\n".join(lines) + "\n"


def demo_cost_settings() -> tuple[dict[str, Any], dict[str, str]]:
    """The demo's ``[costs]`` values and the sources its comments give for them."""
    text = files("deepscreen.demo").joinpath("demo.toml").read_text(encoding="utf-8")
    values = tomllib.loads(text).get(SECTION, {})
    return dict(values), comment_sources(text)


PathArg = Annotated[
    Path,
    typer.Argument(help="File to write.", metavar="PATH", dir_okay=False, show_default=True),
]


@app.command("init", epilog=EXIT_CODES_HELP)
def init(
    path: PathArg = DEFAULT_PATH,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented TOML file with every `[costs]` key: its description, unit, and value
    with the source it comes from (the demo's sourced assumptions), or commented out with
    "assumption: set your own". Use it with `--config FILE`.
    """
    with domain_errors():
        if path.exists() and not force:
            raise CliError(f"{path} exists; pass --force to replace it", ExitCode.USAGE)
        keys = cost_keys()
        values, sources = demo_cost_settings()
        text = cost_settings_toml(keys, values, sources)
        try:
            write_bytes_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            message = f"cannot write {path}: {exc.strerror or exc}"
            raise CliError(message, ExitCode.FAILURES) from exc
    unset = [k.name for k in keys if not _is_set(values.get(k.name))]
    typer.echo(
        f"wrote {path}: {len(keys)} [costs] keys, {len(keys) - len(unset)} set to the demo's "
        f"assumptions, {len(unset)} commented out to set yourself ({', '.join(unset)})"
    )
    Console(stderr=True).print(f"use it with --config {escape(str(path))}")


def _is_set(value: Any) -> bool:
    return value is not None and value != {}
