"""A test harness for the HTTP API: an app over in-memory (or given) stores, one API key per
role made with a cheap argon2 setting, and a ``TestClient``. For deepscreen's own tests and for
code built on the API (new routers test their role lines with it)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from PIL import Image, PngImagePlugin

from deepscreen.api.app import create_app
from deepscreen.bootstrap import build, build_hosted, memory_banks
from deepscreen.core.access import Role
from deepscreen.core.clock import Clock, system_clock
from deepscreen.service.hosted import HostedStores, close_all
from deepscreen.service.keys import KeyVerifier, create_key
from deepscreen.service.scan import Services
from deepscreen.service.stores import EventStore
from deepscreen.service.uploads import MediaFetcher
from deepscreen.settings import Settings

with warnings.catch_warnings():
    # Starlette asks for the httpx2 package; with plain httpx its TestClient works the same.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

# Minimal argon2 cost: verification stays argon2, tests stay fast. Never for real keys.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


@dataclass
class ApiHarness:
    app: FastAPI
    client: TestClient
    services: Services
    stores: HostedStores
    settings: Settings
    tokens: dict[Role, str] = field(default_factory=dict)

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def drain(self) -> int:
        """Process pending ingest jobs now, in this thread."""
        worker = self.app.state.context.worker
        return int(worker.drain())

    def close(self) -> None:
        self.client.close()
        close_all(self.services, self.stores)


def api_harness(
    *,
    settings: Settings | None = None,
    store: EventStore | None = None,
    stores: HostedStores | None = None,
    fetcher: MediaFetcher | None = None,
    clock: Clock = system_clock,
    start_worker: bool = False,
    raise_server_exceptions: bool = True,
    **client_options: Any,
) -> ApiHarness:
    """An app with in-memory stores unless ``store``/``stores`` are given, and a key per role.

    ``start_worker`` only matters when the client's lifespan runs (``with harness.client``).
    """
    settings = settings or Settings(db_url="memory://")
    services = build(settings, store=store, banks=memory_banks(), clock=clock)
    stores = stores or build_hosted(settings)
    verifier = KeyVerifier(stores.keys, ttl_s=settings.api.auth_cache_ttl_s, hasher=CHEAP_HASHER)
    tokens = {
        role: create_key(
            stores.keys,
            stores.audit,
            role=role,
            name=f"test {role.value}",
            actor="test",
            clock=clock,
            hasher=CHEAP_HASHER,
        ).token
        for role in Role
    }
    app = create_app(
        services, settings, stores, fetcher=fetcher, verifier=verifier, start_worker=start_worker
    )
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions, **client_options)
    return ApiHarness(app, client, services, stores, settings, tokens)


def png_bytes(color: tuple[int, int, int] = (200, 10, 10), *, ai_metadata: bool = True) -> bytes:
    """A small PNG; with ``ai_metadata`` it carries Automatic1111 parameters (metadata 1.0)."""
    info = PngImagePlugin.PngInfo()
    if ai_metadata:
        info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()
