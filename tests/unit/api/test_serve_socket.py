"""``deepscreen serve --workers N`` listens on a socket that asyncio recognises as TCP, so
accepted connections get TCP_NODELAY (without it every keep-alive response waited for a
delayed ACK, about 40 ms, in bench/api_load.py)."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from deepscreen.cli.errors import CliError
from deepscreen.cli.serve import tcp_socket


def test_listening_socket_says_tcp_and_accepted_connections_get_nodelay() -> None:
    sock = tcp_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()
    port = sock.getsockname()[1]
    nodelay: list[int] = []

    async def main() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            nodelay.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert nodelay and nodelay[0] != 0


def test_a_port_in_use_is_a_clear_error() -> None:
    taken = tcp_socket("127.0.0.1", 0)
    taken.listen()
    try:
        with pytest.raises(CliError, match="cannot listen on 127.0.0.1"):
            tcp_socket("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_workers_share_one_pseudonym_and_session_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from deepscreen.cli.serve import PSEUDONYM_SECRET_ENV, share_secret

    monkeypatch.delenv(PSEUDONYM_SECRET_ENV, raising=False)
    share_secret(configured=False, workers=1)
    assert PSEUDONYM_SECRET_ENV not in os.environ  # one process: its own key
    share_secret(configured=True, workers=2)
    assert PSEUDONYM_SECRET_ENV not in os.environ  # configured: left as it is
    share_secret(configured=False, workers=2)
    first = os.environ[PSEUDONYM_SECRET_ENV]
    assert len(first) == 64  # set once in the parent, inherited by every worker
