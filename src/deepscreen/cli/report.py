"""``deepscreen report``: the impact report (HTML, Markdown, PDF, JSON) and the one-page case
study of a policy change, rendered from what the impact commands compute."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.impact_compare import parse_when
from deepscreen.cli.options import (
    ConfigOpt,
    DbOpt,
    Period,
    command_group,
    input_file_option,
    open_services,
    settings_from,
)
from deepscreen.cli.progress import progress_bar
from deepscreen.core.files import write_bytes_atomic
from deepscreen.service.report import STEPS, ReportRequest, build_report
from deepscreen.service.report_output import (
    ReportFormat,
    chart_names,
    render_case_study,
    render_report,
)

app = command_group(
    "Reports rendered from the event log: the impact report and the one-page case study.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=False,
)


class CaseFormat(StrEnum):
    MD = "md"
    HTML = "html"
    PDF = "pdf"


PolicyArg = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Candidate policy: a directory, or a shipped bundle's name (default, thresholds, "
        "label-first); replayed on the stored items and compared with the stored decisions "
        "(the policy comparison section and the case study).",
        file_okay=False,
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Items ingested at or after this ISO date/time.")
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until", help="Items ingested before this ISO date/time (a bare date: whole day)."
    ),
]
BootOpt = Annotated[
    int, typer.Option("--n-boot", min=100, help="Bootstrap replicates for the intervals.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Bootstrap seed.")]
InputOpt = Annotated[Path | None, typer.Option(exists=True, dir_okay=False)]


@app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write (default: report.html, .md, .pdf or .json, after --format).",
            dir_okay=False,
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="html (one offline file), md, pdf or json.")
    ] = ReportFormat.HTML,
    period: Annotated[
        Period, typer.Option(help="Over-time sections by upload day, ISO week or month.")
    ] = Period.MONTH,
    policy: PolicyArg = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    evaluation: Annotated[
        Path | None,
        input_file_option(
            "--evaluation",
            "Detector evaluation JSON (the FILE of `deepscreen eval --json FILE`): the "
            "detector quality section (ROC/PR, reliability, per-source recall).",
        ),
    ] = None,
    simulation: Annotated[
        Path | None,
        input_file_option(
            "--simulation",
            "Simulation JSON (the FILE of `deepscreen simulate --json FILE`): the what-if section.",
        ),
    ] = None,
    optimization: Annotated[
        Path | None,
        input_file_option(
            "--optimization",
            "Threshold optimisation result (the FILE of `deepscreen impact optimize --json "
            "FILE`): the cost trade-off frontier; a file of another kind or version is refused.",
        ),
    ] = None,
    title: Annotated[str, typer.Option(help="Report title.")] = "deepscreen impact report",
    synthetic: Annotated[
        bool,
        typer.Option(
            "--synthetic",
            help="The data was generated, not measured: every statement says 'synthetic' "
            "(automatic for the demo's database).",
        ),
    ] = False,
    n_boot: BootOpt = 2000,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Render the impact report from the event log. It only shows what deepscreen computes
    elsewhere — the `deepscreen impact` metric table and cost figures, the `impact compare`
    replay of `--policy`, and the JSON results you pass — with every estimate's 95% interval
    and sample size, impact statements bound to the rows they come from (a change whose interval
    covers zero is stated as "no significant change"), and an assumptions section listing every
    cost input and data source. HTML is one self-contained file (inline SVG charts, no network).
    """
    if ctx.invoked_subcommand is not None:
        return
    request = _request(
        period.value,
        policy,
        since,
        until,
        n_boot,
        seed,
        title,
        synthetic,
        evaluation,
        simulation,
        optimization,
    )
    target = out or Path(f"report.{output_format.value}")
    with domain_errors():
        doc = _document(config, db, request)
        charts = chart_names(doc) if output_format in (ReportFormat.HTML, ReportFormat.PDF) else []
        with progress_bar("rendering", len(charts) + 1) as advance:
            data = render_report(doc, output_format, on_chart=lambda _name: advance(1))
            advance(1)
        _write(target, data)
    Console(stderr=True).print(f"wrote {escape(str(target))} ({len(data):,} bytes)")


@app.command("case-study", epilog=EXIT_CODES_HELP)
def case_study_cmd(
    policy: Annotated[
        Path,
        typer.Option(
            "--policy",
            help="The candidate policy (the change the case study is about): a directory, or a "
            "shipped bundle's name (default, thresholds, label-first).",
            file_okay=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write (default: case-study.md, .html or .pdf, after --format).",
            dir_okay=False,
        ),
    ] = None,
    output_format: Annotated[CaseFormat, typer.Option("--format", help="md, html or pdf.")] = (
        CaseFormat.MD
    ),
    since: SinceOpt = None,
    until: UntilOpt = None,
    simulation: Annotated[
        Path | None,
        input_file_option(
            "--simulation",
            "Simulation JSON of the same change: its statements are quoted, as simulated.",
        ),
    ] = None,
    synthetic: Annotated[
        bool, typer.Option("--synthetic", help="The data was generated, not measured.")
    ] = False,
    n_boot: BootOpt = 2000,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """A one-page case study of replacing the stored decisions' policy with `--policy`:
    problem, change, daily impact, cost avoided, reviewer time saved and false-positive cost,
    each with its 95% interval. The PDF is refused if it would not fit on one A4 page.
    """
    request = _request(
        "all", policy, since, until, n_boot, seed, "case study", synthetic, None, simulation, None
    )
    fmt = ReportFormat(output_format.value)
    target = out or Path(f"case-study.{output_format.value}")
    with domain_errors():
        doc = _document(config, db, request)
        data, pages = render_case_study(doc, fmt)
        _write(target, data)
    detail = (
        f"{pages} page" if pages == 1 else f"{pages} pages" if pages else f"{len(data):,} bytes"
    )
    Console(stderr=True).print(f"wrote {escape(str(target))} ({detail})")


def _request(
    period: str,
    policy: Path | None,
    since: str | None,
    until: str | None,
    n_boot: int,
    seed: int,
    title: str,
    synthetic: bool,
    evaluation: Path | None,
    simulation: Path | None,
    optimization: Path | None,
) -> ReportRequest:
    return ReportRequest(
        period=period,
        since=parse_when(since, "--since", end=False),
        until=parse_when(until, "--until", end=True),
        candidate=policy,
        evaluation=evaluation,
        simulation=simulation,
        optimization=optimization,
        synthetic=synthetic,
        title=title,
        n_boot=n_boot,
        seed=seed,
    )


def _document(config: Path | None, db: str | None, request: ReportRequest) -> dict[str, Any]:
    settings = settings_from(config, db)
    source = f"{config.name} [costs]" if config else "settings [costs]"
    with open_services(config, db) as services, progress_bar("computing", len(STEPS)) as advance:
        seen: list[str] = []

        def step(name: str) -> None:
            if seen:
                advance(1)
            seen.append(name)

        doc = build_report(
            services,
            settings.costs.model_dump(),
            request,
            now=datetime.now(UTC),
            cost_source=source,
            review_sla_hours=settings.review.default_sla_hours,
            step=step,
        )
        advance(1)
    return doc


def _write(target: Path, data: bytes) -> None:
    try:
        write_bytes_atomic(target, data)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}", ExitCode.FAILURES) from exc
