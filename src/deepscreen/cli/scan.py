"""``deepscreen scan``: files and directories → signals → policy → recorded decisions."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, PolicyOpt, parse_assignments, services_from
from deepscreen.core.media import AttributeValue
from deepscreen.core.signals import SignalResult
from deepscreen.scale.engines import MIN_RAY_BATCH, EngineKind
from deepscreen.service import (
    ScanFailure,
    ScanOutcome,
    detector_warnings,
    iter_media_files,
    scan_paths,
)


class ScanFormat(StrEnum):
    JSONL = "jsonl"
    TABLE = "table"


def outcome_record(result: ScanOutcome | ScanFailure) -> dict[str, Any]:
    if isinstance(result, ScanFailure):
        return {
            "source": result.source,
            "error": {"code": result.error.code, "message": str(result.error)},
        }
    d = result.decision
    return {
        "item_id": result.item_id,
        "source": result.source,
        "action": d.action.value,
        "action_params": dict(d.action_params),
        "rule": d.rule_id,
        "policy_revision": d.policy_revision,
        "decision_id": d.decision_id,
        "already_stored": result.already_stored,
        "current_action": (result.current_action or d.action).value,
        "signals": {
            s.detector: {
                "score": s.score,
                "abstained": s.abstained,
                "reason": s.abstain_reason,
                "version": s.version,
                "evidence": dict(s.evidence),
            }
            for s in result.signals
        },
        "errors": list(d.errors),
    }


def scan(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (recursive).")
    ] = None,
    output_format: Annotated[ScanFormat, typer.Option("--format", help="Output format.")] = (
        ScanFormat.JSONL
    ),
    config: ConfigOpt = None,
    db: DbOpt = None,
    policy: PolicyOpt = None,
    attr: Annotated[
        list[str],
        typer.Option(
            "--attr",
            help="Item attribute for every file of this run, e.g. category=news or "
            "ai_disclosure=not_ai (repeatable); the policy reads it as item.<name>.",
        ),
    ] = [],  # noqa: B006 - typer idiom
    manifest: Annotated[
        str | None,
        typer.Option(
            "--manifest",
            help="Backfill from a JSONL or Parquet manifest (a path or fsspec URI) instead of "
            "PATHS: one upload per line/row (id, uri, uploader, uploaded_at, declared_ai, "
            "category, attributes). Streamed, decided by --engine, written in batched "
            "transactions; a re-run skips what is already stored (resume).",
        ),
    ] = None,
    engine: Annotated[
        EngineKind,
        typer.Option(
            "--engine",
            help="With --manifest: local (process pool), ray (Ray actors), serial (this process).",
        ),
    ] = EngineKind.LOCAL,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Worker processes or Ray actors (default: CPU count)."
        ),
    ] = max(1, os.cpu_count() or 1),
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=10_000, help="Records per task and write.")
    ] = 32,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="An existing Ray cluster (e.g. ray://head:10001; default: a local Ray instance).",
        ),
    ] = None,
) -> None:
    """Scan media files, decide with the policy, and record every decision in the event store.

    Formats are sniffed from bytes, not extensions. An item already in the store (same content
    hash) is not scanned again: its stored decision is reported. Unreadable files are reported
    with their typed error and counted; the run goes on.
    """
    err = Console(stderr=True)
    if manifest is not None:
        if paths:
            raise typer.BadParameter("give PATHS or --manifest, not both", param_hint="--manifest")
        if attr:
            raise typer.BadParameter(
                "--attr applies to PATHS; a manifest carries each item's attributes",
                param_hint="--attr",
            )
        if engine is EngineKind.RAY and batch_size < MIN_RAY_BATCH:
            raise typer.BadParameter(
                f"Ray needs batches of at least {MIN_RAY_BATCH} records: each task costs about "
                "0.6 ms of scheduling (docs/performance.md, 'Library reference measurements')",
                param_hint="--batch-size",
            )
        from deepscreen.cli.scan_manifest import backfill  # pyarrow, fsspec: only here

        backfill(manifest, engine, workers, batch_size, ray_address, config, db, policy, err)
        return
    if not paths:
        raise typer.BadParameter("give files or directories to scan, or --manifest FILE")
    with domain_errors():
        attributes = scalar_attributes(parse_assignments(attr, "attr"))
        services = services_from(config, db, policy)
        for warning in detector_warnings(services):
            err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
        try:
            files = list(iter_media_files(paths))
            missing = [p for p in files if not p.exists()]
            for p in missing:
                err.print(f"[red]no such file:[/red] {escape(str(p))}")
            present = [p for p in files if p.exists()]
            results = _run(services, present, attributes, err, output_format)
        finally:
            for store in (services.store, services.review_queue, services.banks):
                if store is not None:
                    store.close()
    failures = sum(1 for r in results if isinstance(r, ScanFailure)) + len(missing)
    _print_summary(err, results, failures)
    if failures:
        raise typer.Exit(ExitCode.FAILURES)


def scalar_attributes(values: dict[str, Any]) -> dict[str, AttributeValue]:
    for name, value in values.items():
        if not isinstance(value, str | int | float | bool):
            raise CliError(f"--attr {name}: expected a scalar, got {value!r}", ExitCode.USAGE)
    return values


def _run(
    services: Any,
    files: list[Path],
    attributes: dict[str, AttributeValue],
    err: Console,
    output_format: ScanFormat,
) -> list[ScanOutcome | ScanFailure]:
    results: list[ScanOutcome | ScanFailure] = []
    progress = Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("scan", total=len(files))
        for result in scan_paths(services, files, attributes):
            results.append(result)
            if isinstance(result, ScanFailure):
                progress.console.print(f"[red]unreadable[/red] {escape(str(result.error))}")
            if output_format is ScanFormat.JSONL:
                sys.stdout.write(json.dumps(outcome_record(result)) + "\n")
            progress.advance(task)
    if output_format is ScanFormat.TABLE:
        _print_table(results)
    return results


def _signal_line(s: SignalResult) -> str:
    """``c2pa 1.00 — <summary>`` or ``metadata abstain — <reason>``, escaped for rich."""
    head = f"{s.detector} {'abstain' if s.abstained else f'{s.score:.2f}'}"
    detail = s.evidence.get("summary") or s.abstain_reason or ""
    style = "dim" if s.abstained and "summary" not in s.evidence else "bold"
    return f"[{style}]{escape(head)}[/{style}] — {escape(str(detail))}"


def _print_table(results: list[ScanOutcome | ScanFailure]) -> None:
    """One row per file: the decision, the rule behind it, and each signal's evidence in words."""
    table = Table(show_lines=True, expand=True)
    for name, ratio in (("file", 3), ("decision (rule)", 3), ("provenance and signals", 5)):
        table.add_column(name, ratio=ratio, overflow="fold")
    for r in results:
        if isinstance(r, ScanFailure):
            detail = str(getattr(r.error, "detail", r.error))
            table.add_row(escape(r.source), f"[red]{r.error.code}[/red]", escape(detail))
            continue
        d = r.decision
        params = ", ".join(d.action_params.values())
        decision = d.action.value + (f": {params}" if params else "")
        if r.already_stored:
            decision += " (stored)"
        why = f"by {escape(d.rule_id or 'default')}"
        if d.errors:
            why += f"\n[red]policy error[/red]: {escape(d.errors[0])}"
        signals = "\n".join(_signal_line(s) for s in r.signals)
        table.add_row(escape(r.source), f"[bold]{escape(decision)}[/bold]\n{why}", signals)
    Console().print(table)


def _print_summary(err: Console, results: list[ScanOutcome | ScanFailure], failures: int) -> None:
    outcomes = [r for r in results if isinstance(r, ScanOutcome)]
    actions = Counter(r.decision.action.value for r in outcomes)
    stored = sum(1 for r in outcomes if r.already_stored)
    mix = ", ".join(f"{a}={n}" for a, n in sorted(actions.items())) or "none"
    restored = sum(1 for r in outcomes if r.review_task_restored)
    healed = f"; restored {restored} lost review task(s)" if restored else ""
    err.print(
        f"scanned {len(outcomes) + failures} files: {len(outcomes) - stored} new, "
        f"{stored} already stored, {failures} unreadable; actions: {mix}{healed}"
    )
