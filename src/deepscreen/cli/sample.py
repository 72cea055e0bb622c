"""``deepscreen sample``: draw a score-stratified labelling sample and write it for labellers."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, services_from
from deepscreen.service.sample import SampleRun, draw_sample, write_sample_csv


class SampleFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def sample(
    size: Annotated[int, typer.Argument(min=1, help="Items to draw over all strata.")],
    out: Annotated[Path, typer.Argument(help="CSV to write for labellers.", dir_okay=False)],
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Random seed (default: a fresh one).")
    ] = None,
    floor: Annotated[int, typer.Option("--floor", min=1, help="Least items per stratum.")] = 5,
    exploration: Annotated[
        float,
        typer.Option(
            "--exploration", min=0.0, max=0.99, help="Share of the remaining non-actioned items."
        ),
    ] = 0.02,
    edges: Annotated[
        str | None,
        typer.Option("--edges", help="Score bin edges, e.g. 0.2,0.5,0.8 (default: deciles)."),
    ] = None,
    output_format: Annotated[
        SampleFormat, typer.Option("--format", help="Output format.")
    ] = SampleFormat.TABLE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Draw a labelling sample to estimate precision and recall, and record it.

    Items split into the **actioned** population (an enforcement action, or sent to review)
    and the **non-actioned** one, each cut into score bins (deciles unless `--edges`; items
    without a score form a `no_score` stratum). `SIZE` items are spread by Neyman allocation
    (more where labels vary most), at least `--floor` per stratum, each stratum drawn at
    random; then `--exploration` of the non-actioned items not drawn are added uniformly at
    random. Every drawn item is recorded as a `LabelSampled` event with its stratum and
    inclusion probability, so estimates weight it correctly.

    Labels come back through `deepscreen review record`, or fill the CSV's `violating` column
    (true/false) and import it as labels (`deepscreen impact import labels FILE`). Precision
    needs only the actioned strata; **recall needs the non-actioned strata labelled too**:
    the violations the policy missed are only found there.
    """
    with domain_errors():
        cuts = _edges(edges)
        services = services_from(config, db, None)
        try:
            run = draw_sample(
                services,
                size=size,
                seed=secrets.randbelow(2**32) if seed is None else seed,
                floor=floor,
                exploration_share=exploration,
                edges=cuts,
            )
        finally:
            services.store.close()
        write_sample_csv(run, out)
    if output_format is SampleFormat.JSON:
        typer.echo(json.dumps(_record(run, out)))
    else:
        _print(run, out)


def _edges(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CliError(
            f"--edges expects numbers like 0.2,0.5,0.8, got {text!r}", ExitCode.USAGE
        ) from exc


def _record(run: SampleRun, out: Path) -> dict[str, object]:
    plan = run.plan
    return {
        "sample_id": plan.sample_id,
        "seed": plan.seed,
        "csv": str(out),
        "units": len(plan.units),
        "exploration": plan.exploration_size,
        "strata": [
            {
                "population": s.population,
                "stratum": s.name,
                "population_size": s.population_size,
                "allocated": s.allocated,
                "explored": s.explored,
                "inclusion_probability": s.inclusion_probability,
            }
            for s in plan.strata
        ],
        "notes": list(plan.notes),
    }


def _print(run: SampleRun, out: Path) -> None:
    plan = run.plan
    table = Table(
        "population",
        Column("stratum", overflow="fold"),
        Column("N_h", justify="right"),
        Column("n_h", justify="right"),
        Column("explored", justify="right"),
        Column("incl. prob.", justify="right"),
        title=f"sample {plan.sample_id} (seed {plan.seed})",
    )
    for s in plan.strata:
        short = s.name.partition(":")[2]
        table.add_row(
            s.population,
            short,
            f"{s.population_size:,}",
            f"{s.allocated:,}",
            f"{s.explored:,}",
            f"{s.inclusion_probability:.4g}",
        )
    console = Console(highlight=False)
    console.print(table)
    err = Console(stderr=True, highlight=False)
    for note in plan.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    console.print(
        f"wrote {len(plan.units)} items ({plan.exploration_size} by exploration) to "
        f"{escape(str(out))}; fill `violating` and import it as labels, or record reviews",
        soft_wrap=True,
    )
