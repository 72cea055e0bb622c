"""``deepscreen worker`` and ``deepscreen publish`` without a broker: a one-line error and exit
code 4 (backend unavailable); the help says how the worker scales. The streaming behaviour is
tested against a real JetStream server in tests/integration/stream."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.cli.app import app


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


def test_the_worker_without_a_broker_exits_4(runner: CliRunner, tmp_path: Path) -> None:
    url = f"nats://127.0.0.1:{closed_port()}"
    db = f"sqlite:///{tmp_path / 'w.db'}"
    result = runner.invoke(app, ["worker", "--nats", url, "--db", db, "--idle-exit", "1"])
    assert result.exit_code == 4, result.output
    assert "error: NATS server" in result.output and "unavailable" in result.output


def test_publish_without_a_broker_exits_4(runner: CliRunner) -> None:
    url = f"nats://127.0.0.1:{closed_port()}"
    result = runner.invoke(app, ["publish", "--nats", url, "--count", "1"])
    assert result.exit_code == 4, result.output


def test_publish_refuses_a_malformed_attribute(runner: CliRunner) -> None:
    result = runner.invoke(app, ["publish", "--attr", "category"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_worker_help_names_the_scaling_unit(runner: CliRunner) -> None:
    result = runner.invoke(app, ["worker", "--help"])
    assert result.exit_code == 0
    assert "one worker process per core" in " ".join(result.output.split()).lower()
