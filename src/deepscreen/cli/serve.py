"""``deepscreen serve``: run the HTTP API (uvicorn), or print its OpenAPI document."""

from __future__ import annotations

import os
import secrets
import socket
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from deepscreen.api.openapi import openapi_json
from deepscreen.api.serving import CONFIG_ENV, app_from_settings, openapi_app
from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, PolicyOpt, settings_from


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default [api] host: 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default [api] port: 8000).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default [api] workers: 1)."),
    ] = None,
    print_openapi: Annotated[
        bool, typer.Option("--print-openapi", help="Print the OpenAPI document and exit.")
    ] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Serve the HTTP API: scan, asynchronous ingest, items, decisions, views, metrics.

    Settings come from deepscreen.toml (`[api]` section) and DEEPSCREEN_* variables; every
    endpoint but /status/* needs an API key (`deepscreen keys create`). Pending ingests left
    by a crash or a restart are processed when the server starts.
    """
    if print_openapi:
        with domain_errors():
            typer.echo(openapi_json(openapi_app()), nl=False)
        return
    with domain_errors():
        settings = settings_from(config, db, policy)
        api = settings.api
        host, port = host or api.host, port or api.port
        workers = workers or api.workers
        if workers == 1:
            app = app_from_settings(settings)
            uvicorn.run(app, host=host, port=port, server_header=False)
            return
        # Each worker process builds its own app (own stores, own ingest thread) from the same
        # settings; claims on ingest jobs keep them from processing one job twice at once.
        if config is not None:
            os.environ[CONFIG_ENV] = str(config)
        if db is not None:
            os.environ["DEEPSCREEN_DB_URL"] = db
        if policy is not None:
            os.environ["DEEPSCREEN_POLICY_DIR"] = str(policy)
        share_secret(settings.review.pseudonym_secret is not None, workers)
        server = uvicorn.Config(
            "deepscreen.api.serving:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            server_header=False,
        )
        Multiprocess(server, sockets=[tcp_socket(host, port)]).run()


PSEUDONYM_SECRET_ENV = "DEEPSCREEN_REVIEW__PSEUDONYM_SECRET"


def share_secret(configured: bool, workers: int) -> None:
    """Give every worker process one key for reviewer pseudonyms and UI sessions: the
    configured one, else a random one made here for this server's lifetime (a key drawn per
    process would sign a UI session that the next request, on another worker, refuses)."""
    if not configured and workers > 1:
        os.environ[PSEUDONYM_SECRET_ENV] = secrets.token_hex(32)


def tcp_socket(host: str, port: int) -> socket.socket:
    """The workers' shared listening socket, made with ``IPPROTO_TCP``: asyncio turns on
    TCP_NODELAY only for sockets whose protocol says TCP, and uvicorn's own ``bind_socket``
    leaves it 0 — every keep-alive response then waited ~40 ms for a delayed ACK (Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}", ExitCode.USAGE) from exc
    sock.set_inheritable(True)
    return sock
