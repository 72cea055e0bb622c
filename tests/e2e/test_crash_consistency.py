"""Issue 17: review tasks are never lost on a crash.

``deepscreen db check`` finds a ``review`` decision without its task (seeded the way deepscreen
before the fix left it: the decision written, the task's second transaction never run) and
``--repair`` adds it; duplicate decisions and tasks without a decision are reported only.

Then the real thing: ``deepscreen scan … --attr category=news`` (declared-AI news: the shipped
policy reviews every item) and ``deepscreen scan --manifest`` are SIGKILLed at points drawn from
a seeded RNG — right after an event-store write returns (where the old code had stored a
decision but not its task) and at a random moment after writing began — then run to completion.
After every kill and at the end, ``db check`` must find nothing: every review decision has
exactly one task, every item one decision. On a SQLite file, and on PostgreSQL (a fresh schema)
when DEEPSCREEN_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.bootstrap import build
from deepscreen.bootstrap.database import check_database
from deepscreen.cli.app import app
from deepscreen.core.decisions import Action
from deepscreen.core.events import DecisionMade
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.media import load_media
from deepscreen.review.routing import review_task_id, route_as_decided
from deepscreen.service import Services, decide, scan_bytes
from deepscreen.service.integrity import Check
from deepscreen.settings import load_settings

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NEWS = {"category": "news"}
CLI = "from deepscreen.cli.app import main; main()"
KILL_AFTER_WRITE = """
import os, signal, sys
from deepscreen.store.events.sql import SqlEventStore
after, writes = int(sys.argv.pop(1)), [0]
def killing(write):
    def wrapper(self, *args, **kwargs):
        result = write(self, *args, **kwargs)
        writes[0] += 1
        if writes[0] >= after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper
SqlEventStore.record_item = killing(SqlEventStore.record_item)
SqlEventStore.record_items = killing(SqlEventStore.record_items)
from deepscreen.cli.app import main
main()
"""
"""The CLI, SIGKILLed right after its ``after``-th event-store write returns (argv[1])."""


@dataclass(frozen=True)
class Database:
    """One database: ``url`` reaches it on its own (PostgreSQL: the schema is the search path
    in the URL); ``cli`` are the ``db check`` options naming it (``--schema`` on PostgreSQL)."""

    url: str
    cli: tuple[str, ...]

    def count(self, query: str) -> int:
        engine = sa.create_engine(_sqlalchemy_url(self.url))
        try:
            with engine.connect() as conn:
                return int(conn.exec_driver_sql(query).scalar_one())
        except sa.exc.DBAPIError:  # the tables do not exist yet
            return 0
        finally:
            engine.dispose()


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(params=["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'deepscreen.db'}"
        yield Database(url, ("--db", url))
        return
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the PostgreSQL tests")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    yield Database(url, ("--db", POSTGRES_URL, "--schema", schema))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def png(rng: np.random.Generator) -> bytes:
    """Declared-AI (generator metadata) random pixels: a distinct item every call."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(
        buf, "PNG", pnginfo=info
    )
    return buf.getvalue()


def services_on(database: Database) -> Services:
    return build(load_settings(None, db_url=database.url))


def close(services: Services) -> None:
    for store in (services.store, services.review_queue, services.banks):
        if store is not None:
            store.close()


def seed_the_old_way(database: Database, data: bytes) -> DecisionMade:
    """A review decision stored without its task, as a kill between the two transactions of
    deepscreen before issue 17 left it."""
    services = services_on(database)
    try:
        item = load_media(data, source="x.png", limits=services.limits, attributes=NEWS)
        events, decision, _, _ = decide(services, item)
        assert decision.action is Action.REVIEW
        assert services.store.record_item(events)  # the first transaction; no second one
    finally:
        close(services)
    return events[-1]


def db_check(database: Database, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["db", "check", *database.cli, *options])
    return result.exit_code, result.stdout


def test_db_check_finds_a_review_decision_without_its_task_and_repair_adds_it(
    database: Database,
) -> None:
    made = seed_the_old_way(database, png(np.random.default_rng(1)))
    decision = made.decision

    code, out = db_check(database)
    assert code == 1
    assert "review_without_task" in out and f"decision {decision.decision_id}" in out
    assert "1 violation(s) remain; `deepscreen db check --repair` adds the 1 missing" in out

    code, out = db_check(database, "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["clean"] is False
    counts = {c["check"]: c["violations"] for c in report["checks"]}
    assert counts == {
        "review_without_task": 1,
        "duplicate_decisions": 0,
        "task_without_decision": 0,
    }

    code, out = db_check(database, "--repair")
    assert code == 0, out
    assert "repair: added 1 review task(s)" in out and "clean: no violations" in out

    services = services_on(database)
    try:
        assert services.review_queue is not None and services.review is not None
        task = services.review_queue.get(review_task_id(decision.decision_id))
        routed = route_as_decided(decision, services.review, services.store.for_item(made.item_id))
    finally:
        close(services)
    assert routed is not None
    assert (task.created_at, task.due_at, task.priority, task.queue) == (
        decision.decided_at,
        routed.due_at,
        routed.priority,
        "synthetic_media",
    )
    code, out = db_check(database)
    assert code == 0 and "clean: no violations" in out
    code, out = db_check(database, "--repair", "--format", "json")
    assert code == 0 and json.loads(out)["tasks_added"] == 0


def test_scanning_again_restores_the_lost_task(database: Database, tmp_path: Path) -> None:
    data = png(np.random.default_rng(3))
    decision = seed_the_old_way(database, data).decision
    (tmp_path / "again.png").write_bytes(data)
    scan = ["scan", str(tmp_path / "again.png"), "--attr", "category=news", "--db", database.url]
    result = CliRunner().invoke(app, scan)
    assert result.exit_code == 0, result.stderr
    summary = " ".join(result.stderr.split())
    assert "0 new, 1 already stored" in summary and "restored 1 lost review task(s)" in summary
    assert json.loads(result.stdout)["decision_id"] == decision.decision_id
    assert db_check(database)[0] == 0
    again = " ".join(CliRunner().invoke(app, scan).stderr.split())
    assert "1 already stored" in again and "restored" not in again


def test_duplicate_decisions_and_tasks_without_a_decision_are_reported_never_changed(
    database: Database,
) -> None:
    services = services_on(database)
    try:
        outcome = scan_bytes(
            services, png(np.random.default_rng(2)), source="a.png", attributes=NEWS
        )
        second = dataclasses.replace(
            outcome.decision, decision_id="second", action=Action.ALLOW, action_params={}
        )
        at = outcome.decision.decided_at
        services.store.append(
            [DecisionMade(item_id=outcome.item_id, occurred_at=at, decision=second)]
        )
        assert services.review_queue is not None
        services.review_queue.add([orphan_task(outcome.item_id)])
    finally:
        close(services)

    code, out = db_check(database, "--repair", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["tasks_added"] == 0
    checks = {c["check"]: c for c in report["checks"]}
    assert {name: c["violations"] for name, c in checks.items()} == {
        "review_without_task": 0,
        "duplicate_decisions": 1,
        "task_without_decision": 1,
    }
    assert checks["duplicate_decisions"]["examples"] == [
        f"item {outcome.item_id}, policy revision {outcome.decision.policy_revision}: "
        f"decisions {outcome.decision.decision_id}, second"
    ]
    assert checks["task_without_decision"]["examples"] == [
        f"task review:ghost (review, open) of item {outcome.item_id}: decision ghost is not stored"
    ]
    assert all("report only" in checks[name]["repair"] for name in list(checks)[1:])

    code, out = db_check(database)
    assert code == 1 and "2 violation(s) remain" in out  # nothing was deleted
    assert "--repair` adds" not in out  # nothing it could repair


def orphan_task(item_id: str) -> ReviewTask:
    return ReviewTask(
        task_id="review:ghost",
        item_id=item_id,
        kind=TaskKind.REVIEW,
        queue="synthetic_media",
        priority=1.0,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        decision_id="ghost",
    )


def test_db_check_on_memory_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "check", "--db", "memory://"])
    assert result.exit_code == 2
    assert "nothing to check" in result.stderr


def test_db_help_names_check_and_repair(runner: CliRunner) -> None:
    wide = {"COLUMNS": "200", "NO_COLOR": "1"}
    top = " ".join(runner.invoke(app, ["db", "--help"], env=wide).stdout.split())
    assert "db check --repair" in top and "check" in top and "upgrade" in top
    check = " ".join(runner.invoke(app, ["db", "check", "--help"], env=wide).stdout.split())
    assert "--repair" in check and "Exit code 0: clean; 1: violations remain" in check


# --------------------------------------------------------------------------- kills

IMAGES = 64


def media_folder(tmp_path: Path, n: int = IMAGES) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    rng = np.random.default_rng(17)
    for i in range(n):
        (folder / f"{i:03d}.png").write_bytes(png(rng))
    return folder


def start(argv: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    """A CLI process in its own session (so the kill takes any child with it)."""
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def kill_after_write(args: list[str], writes: int, tmp_path: Path) -> int:
    """Run the CLI until it SIGKILLs itself right after its ``writes``-th store write."""
    process = start(["-c", KILL_AFTER_WRITE, str(writes), *args], tmp_path)
    return process.wait(timeout=300)


def kill_while_writing(
    args: list[str], database: Database, delay: float, tmp_path: Path
) -> int | None:
    """Start the CLI, wait for its first new decision, then SIGKILL it ``delay`` s later."""
    before = decisions(database)
    process = start(["-c", CLI, *args], tmp_path)
    deadline = time.monotonic() + 300  # a guard against a hung run, not a timing assertion
    while process.poll() is None and decisions(database) == before:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    time.sleep(delay)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=60)


def decisions(database: Database) -> int:
    return database.count("SELECT count(*) FROM decisions")


def assert_consistent(database: Database) -> None:
    """The ``db check`` invariants, and exactly one review task per review decision."""
    report = check_database(database.url, examples=3)
    assert report.clean, report
    assert report.count(Check.REVIEW_WITHOUT_TASK) == 0
    doubled = database.count(
        "SELECT count(*) FROM (SELECT decision_id FROM review_tasks WHERE kind = 'review' "
        "GROUP BY decision_id HAVING count(*) > 1) AS doubled"
    )
    assert doubled == 0


def kill_rounds(
    args: list[str], database: Database, tmp_path: Path, *, kills: int, seed: int
) -> list[int | None]:
    """``kills`` SIGKILLs at points drawn from ``seed``: even rounds right after a store write
    (the old code's window between decision and task), odd rounds at a random moment after the
    run began writing. The invariants hold after every one.

    The first round always lands mid-run (a few writes into a fresh run of ``IMAGES`` items);
    whether a timed round finds the run still going depends on the machine, so nothing is
    asserted about where those land."""
    rng, codes = random.Random(seed), []
    for round_ in range(kills):
        left = IMAGES - decisions(database)
        if round_ % 2 == 0 and left > 0:
            code: int | None = kill_after_write(args, rng.randint(1, min(4, left)), tmp_path)
            assert code == -signal.SIGKILL
            if round_ == 0:
                assert 0 < decisions(database) < IMAGES, "the first kill must land mid-run"
        else:
            code = kill_while_writing(args, database, rng.uniform(0.0, 0.15), tmp_path)
        codes.append(code)
        assert_consistent(database)
    return codes


def finish(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def assert_every_item_decided_once_with_one_task(database: Database) -> None:
    assert_consistent(database)
    assert decisions(database) == IMAGES
    assert database.count("SELECT count(DISTINCT item_id) FROM decisions") == IMAGES
    assert database.count("SELECT count(*) FROM decisions WHERE action = 'review'") == IMAGES
    assert database.count("SELECT count(*) FROM review_tasks WHERE kind = 'review'") == IMAGES


def test_killed_scans_never_lose_a_review_task(database: Database, tmp_path: Path) -> None:
    folder = media_folder(tmp_path)
    args = ["scan", str(folder), "--attr", "category=news", "--db", database.url]
    kill_rounds(args, database, tmp_path, kills=4, seed=17)
    done = finish(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"scanned {IMAGES} files" in done.stderr and "actions: review=64" in done.stderr
    assert_every_item_decided_once_with_one_task(database)


def test_killed_manifest_backfills_never_lose_a_review_task(
    database: Database, tmp_path: Path
) -> None:
    folder = media_folder(tmp_path)
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(
        "".join(
            json.dumps({"id": f"item-{p.stem}", "uri": str(p), "category": "news"}) + "\n"
            for p in sorted(folder.iterdir())
        )
    )
    args = ["scan", "--manifest", str(manifest), "--engine", "serial", "--batch-size", "4"]
    args += ["--db", database.url]
    kill_rounds(args, database, tmp_path, kills=3, seed=29)
    done = finish(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert_every_item_decided_once_with_one_task(database)
