"""``deepscreen scan --manifest``: a backfill on an engine, with a progress bar and a summary."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from deepscreen.bootstrap import build
from deepscreen.cli.errors import ExitCode, domain_errors
from deepscreen.cli.options import settings_from
from deepscreen.core.events import DecisionMade
from deepscreen.scale.backfill import run_backfill
from deepscreen.scale.engines import EngineKind, make_engine
from deepscreen.scale.manifest import read_manifest
from deepscreen.scale.writer import Status, Written
from deepscreen.service import detector_warnings


def backfill(
    manifest: str,
    engine_kind: EngineKind,
    workers: int,
    batch_size: int,
    ray_address: str | None,
    config: Path | None,
    db: str | None,
    policy: Path | None,
    err: Console,
) -> None:
    actions: Counter[str] = Counter()
    progress = Progress(
        TextColumn("backfill"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )

    def report(written: list[Written]) -> None:
        for w in written:
            sys.stdout.write(json.dumps(_line(w)) + "\n")
            if w.status is Status.FAILED:
                progress.console.print(
                    f"[red]failed[/red] {escape(w.decided.source)}: {escape(w.decided.error or '')}"
                )
            for event in w.decided.events:
                if isinstance(event, DecisionMade):
                    actions[event.decision.action.value] += 1
        progress.advance(task, len(written))

    with domain_errors():
        settings = settings_from(config, db, policy)
        services = build(settings)
        for warning in detector_warnings(services):
            err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
        engine = make_engine(
            engine_kind, settings, workers=workers, services=services, ray_address=ray_address
        )
        try:
            with progress:
                task = progress.add_task("backfill", total=None)
                tally = run_backfill(
                    services,
                    read_manifest(manifest),
                    engine,
                    batch_size=batch_size,
                    on_batch=report,
                )
        finally:
            engine.close()
            services.store.close()
    mix = ", ".join(f"{a}={n}" for a, n in sorted(actions.items())) or "none"
    err.print(
        f"{tally.total:,} records on {engine.name} ({engine.workers} worker(s)): "
        f"{tally.stored:,} decided and stored, {tally.already_stored:,} already stored, "
        f"{tally.failed:,} failed; new decisions: {mix}"
    )
    if tally.failed:
        raise typer.Exit(ExitCode.FAILURES)


def _line(w: Written) -> dict[str, object]:
    line: dict[str, object] = {
        "source": w.decided.source,
        "item_id": w.decided.item_id,
        "status": w.status.value,
    }
    for event in w.decided.events:
        if isinstance(event, DecisionMade):
            line.update(
                action=event.decision.action.value,
                rule=event.decision.rule_id,
                decision_id=event.decision.decision_id,
                policy_revision=event.decision.policy_revision,
            )
    if w.decided.error:
        line["error"] = {"code": w.decided.error_code, "message": w.decided.error}
    return line
