"""``deepscreen policy test|explain``: policy tests with coverage, and decision traces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from deepscreen.cli.errors import ExitCode, domain_errors
from deepscreen.cli.options import (
    ConfigOpt,
    OutputFormat,
    PolicyOpt,
    command_group,
    parse_assignments,
    settings_from,
)
from deepscreen.core.errors import InvalidInput
from deepscreen.service.policy import CaseStatus, explain, load_bundle, run_policy_tests

app = command_group("Test and explain policy bundles.")


FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


@app.command("test")
def test_cmd(
    directory: Annotated[Path, typer.Argument(help="Policy bundle directory.", file_okay=False)],
    output_format: FormatOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
) -> None:
    """Run the bundle's *_test.yaml cases: PASS/FAIL/ERROR per case and rule coverage.

    Exit codes: 0 all passed; 1 a case failed or errored (or there are no cases);
    3 the bundle itself is invalid (every error is listed).
    """
    with domain_errors():
        from deepscreen.bootstrap import signal_names

        known = signal_names(settings_from(config))
        report = run_policy_tests(directory, known_signals=known)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILURES)


def _print_report(report: Any) -> None:
    out = Console()
    colour = {CaseStatus.PASS: "green", CaseStatus.FAIL: "red", CaseStatus.ERROR: "magenta"}
    for r in report.results:
        status = f"[{colour[r.status]}]{r.status.value}[/]"
        out.print(f"{status} {r.file}::{r.name}" + (f" — {r.message}" if r.message else ""))
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in CaseStatus)
    out.print(f"{len(report.results)} cases: {counts} (revision {report.revision})")
    out.print(
        f"rule coverage: {len(report.covered)}/{len(report.rule_ids)} "
        f"({report.coverage:.0%})"
        + (f"; not reached: {', '.join(report.uncovered)}" if report.uncovered else "")
    )
    if not report.results:
        out.print("[red]no test cases found (*_test.yaml)[/red]")


def _read_inputs(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read inputs {str(path)!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"inputs {str(path)!r} must be a mapping with 'signals' and 'item'")
    return data


@app.command("explain")
def explain_cmd(
    inputs: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="JSON/YAML file with 'signals' and 'item' maps (e.g. a test case's input).",
            dir_okay=False,
        ),
    ] = None,
    signal: Annotated[
        list[str],
        typer.Option("--signal", help="Signal value, e.g. metadata.score=1.0 (repeatable)."),
    ] = [],  # noqa: B006 - typer idiom
    item: Annotated[
        list[str], typer.Option("--item", help="Item attribute, e.g. category=news (repeatable).")
    ] = [],  # noqa: B006
    policy: PolicyOpt = None,
    output_format: FormatOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
) -> None:
    """Show which rules matched for given inputs, and which one decided."""
    with domain_errors():
        settings = settings_from(config, policy=policy)
        from deepscreen.bootstrap import load_policy, signal_names

        bundle = (
            load_policy(settings)
            if settings.policy_dir is None
            else load_bundle(settings.policy_dir, known_signals=signal_names(settings))
        )
        given = _read_inputs(inputs) if inputs else {}
        merged = {
            "signals": {**given.get("signals", {}), **parse_assignments(signal, "signal")},
            "item": {**given.get("item", {}), **parse_assignments(item, "item")},
        }
        result = explain(bundle, merged)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    table = Table("rule", "outcome", "detail", title=f"policy {bundle.name} {bundle.revision}")
    for t in result.traces:
        mark = " ← decides" if t.rule_id == result.winner else ""
        table.add_row(t.rule_id, t.outcome.value + mark, t.error or "")
    out = Console()
    out.print(table)
    if result.derived:
        out.print("derived: " + ", ".join(f"{k}={v}" for k, v in result.derived.items()))
    params = ", ".join(f"{k}={v}" for k, v in result.action_params.items())
    out.print(
        f"decision: {result.action}"
        + (f" ({params})" if params else "")
        + f" by {result.winner or 'default'}"
    )
    if result.error:
        out.print(f"[magenta]rule error[/]: {result.error} → on_error action")
