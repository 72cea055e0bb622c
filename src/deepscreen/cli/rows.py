"""Listing commands' output: rows as a table on a terminal, or as JSON (``--format json``)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


OutputOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def print_rows(
    rows: list[dict[str, Any]], output_format: OutputFormat, *, empty: str, width: int
) -> None:
    """``rows`` (same keys each) as JSON or as a table of that ``width``; ``empty`` when none."""
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(empty)
        return
    table = Table(*rows[0])
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row.values()))
    Console(width=width).print(table)
