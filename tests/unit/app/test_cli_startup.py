"""The CLI imports only what a command uses: ``deepscreen --version`` pays for Typer and the
command list, a provenance-only scan for its detectors and store, never for the statistics,
report, API or model stacks (issue 20; bench/cli_startup.py measures the time)."""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import deepscreen.cli
from deepscreen.cli.app import COMMANDS, app
from deepscreen.cli.lazy import LazyGroup, load_command

HEAVY = [
    "statsmodels",
    "duckdb",
    "pyarrow",
    "ray",
    "weasyprint",
    "altair",
    "onnxruntime",
    "fastapi",
    "torch",
    "scipy",
    "sklearn",
    "pandas",
    "sqlalchemy",
    "PIL",
    "numpy",
    "httpx",
    "av",
    "cel",
    "jinja2",
    "pydantic",
    "prompt_toolkit",
]
"""Not one of these is needed to print the version or the command list."""

SCAN_NEVER = [*(p for p in HEAVY if p not in {"PIL", "numpy", "cel", "pydantic"}), "fsspec"]
"""A scan of one still image into ``memory://`` with the four provenance and hash detectors
needs none of these (``cel`` without its REPL: ``policy.cel_runtime``)."""


def _modules_after(
    code: str, *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=cwd,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _loaded(modules: set[str], packages: list[str]) -> list[str]:
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


def test_cli_app_import_when_no_command_runs_imports_no_heavy_library() -> None:
    assert _loaded(_modules_after("import deepscreen.cli.app"), HEAVY) == []


def test_version_and_help_when_run_import_no_command_module() -> None:
    for argv in (["--version"], ["--help"]):
        code = (
            "import sys\nfrom deepscreen.cli.app import app\n"
            f"try:\n    app({argv!r}, prog_name='deepscreen')\nexcept SystemExit:\n    pass"
        )
        modules = _modules_after(code)
        commands = sorted(m for m in modules if m.startswith("deepscreen.cli."))
        assert commands == ["deepscreen.cli.app", "deepscreen.cli.errors", "deepscreen.cli.lazy"]
        assert _loaded(modules, HEAVY) == []


def test_scan_when_only_provenance_detectors_imports_no_model_or_report_stack(
    tmp_path: Path, png_bytes: bytes
) -> None:
    image = tmp_path / "one.png"
    image.write_bytes(png_bytes)
    env = {
        "DEEPSCREEN_DETECTORS": json.dumps(["c2pa", "hashmatch", "metadata", "watermark"]),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    code = (
        "from deepscreen.cli.app import app\n"
        f"try:\n    app(['scan', {str(image)!r}, '--db', 'memory://'], prog_name='deepscreen')\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code"
    )
    modules = _modules_after(code, env=env, cwd=tmp_path)
    assert "deepscreen.service.scan" in modules  # it did scan
    assert _loaded(modules, SCAN_NEVER) == []


@pytest.fixture
def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_lazy_entry_when_loaded_has_the_listed_help_and_epilog(name: str) -> None:
    lazy = COMMANDS[name]
    command = load_command(name, lazy, markup="markdown")
    assert command.name == name
    listed = (command.short_help or command.help or "").split("\n\n")[0]
    assert " ".join(listed.split()) == lazy.help  # what --help lists is the command's own
    if not isinstance(command, typer.core.TyperGroup):
        assert command.epilog == lazy.epilog


def test_help_when_every_command_is_loaded_is_the_same_as_lazily(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")

    def rendered(load: bool) -> str:
        group = typer.main.get_command(app)
        assert isinstance(group, LazyGroup)
        if load:
            for name in COMMANDS:
                group.commands[name] = group.load(name)
        with pytest.raises(SystemExit):
            group.main(["--help"], prog_name="deepscreen")
        return capsys.readouterr().out

    assert rendered(load=False) == rendered(load=True)


def test_every_command_module_is_registered() -> None:
    """A new ``cli`` module with a Typer app or a command must be listed in ``COMMANDS``."""
    registered = {lazy.target.split(":")[0] for lazy in COMMANDS.values()}
    helpers = set()
    for info in pkgutil.iter_modules(deepscreen.cli.__path__):
        module = __import__(f"deepscreen.cli.{info.name}", fromlist=["_"])
        if isinstance(getattr(module, "app", None), typer.Typer) and info.name != "app":
            assert module.__name__ in registered, f"{module.__name__} is not in COMMANDS"
        else:
            helpers.add(info.name)
    assert "options" in helpers  # shared option modules are not commands


def test_help_when_listing_shows_every_command_in_registry_order() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    listed = re.findall(r"^│ ([a-z]+) {2,}", result.output, flags=re.MULTILINE)
    assert listed == list(COMMANDS)


def test_unknown_command_when_close_to_a_lazy_one_suggests_it() -> None:
    result = CliRunner().invoke(app, ["impcat"])
    assert result.exit_code == 2
    assert "Did you mean 'impact'?" in result.output


def test_lazy_group_when_run_parses_its_own_options() -> None:
    result = CliRunner().invoke(app, ["policy", "test", "--help"])
    assert result.exit_code == 0
    assert "Run the bundle's" in result.output
