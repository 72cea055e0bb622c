"""``deepscreen keys``: the printed key works against an app on the same database; revoked
keys stop working; only hashes are stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.api.testing import TestClient
from deepscreen.cli.app import app as cli


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keys.db'}"


def test_create_list_revoke(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = _db(tmp_path)
    created = runner.invoke(
        cli, ["keys", "create", "--role", "analyst", "--name", "bi", "--db", db]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("ds_") and "only time" in created.stderr
    key_id = token.split("_")[1]

    listed = runner.invoke(cli, ["keys", "list", "--format", "json", "--db", db])
    (record,) = json.loads(listed.stdout)
    assert record["key_id"] == key_id and record["role"] == "analyst"
    assert record["revoked_at"] is None and token.split("_", 2)[2] not in listed.stdout

    rows = sqlite3.connect(tmp_path / "keys.db").execute("SELECT secret_hash FROM api_keys")
    (stored_hash,) = rows.fetchone()
    assert stored_hash.startswith("$argon2id$") and token.split("_", 2)[2] not in stored_hash

    from deepscreen.api.serving import app_from_settings
    from deepscreen.settings import load_settings

    app = app_from_settings(load_settings(db_url=db))
    with TestClient(app) as client:
        ok = client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        denied = client.post(
            "/v1/views", json={"observations": []}, headers={"Authorization": f"Bearer {token}"}
        )
        assert denied.status_code == 403

    revoked = runner.invoke(cli, ["keys", "revoke", key_id, "--db", db])
    assert revoked.exit_code == 0 and f"revoked key {key_id}" in revoked.stdout
    app = app_from_settings(load_settings(db_url=db))
    with TestClient(app) as client:
        refused = client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401

    audit = sqlite3.connect(tmp_path / "keys.db").execute(
        "SELECT actor, action, target FROM audit_log"
    )
    assert list(audit) == [("cli", "keys.create", key_id), ("cli", "keys.revoke", key_id)]


def test_revoking_an_unknown_key_fails(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["keys", "revoke", "0123456789abcdef", "--db", _db(tmp_path)])
    assert result.exit_code != 0 and "no API key" in result.output


def test_a_role_must_be_one_of_the_four(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["keys", "create", "--role", "root", "--name", "x", "--db", _db(tmp_path)]
    )
    assert result.exit_code == 2
