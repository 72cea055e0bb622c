"""``create_app``: the FastAPI app over wired services — routers, access control, body limit,
error mapping, and the ingest worker and the media purge schedule started and stopped with
the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from deepscreen import __version__
from deepscreen.api.access import AccessMiddleware, Endpoint, check_every_endpoint_listed
from deepscreen.api.context import ApiContext
from deepscreen.api.errors import install_error_handlers
from deepscreen.api.limits import BodyLimitMiddleware
from deepscreen.api.routes import (
    actions,
    decisions,
    items,
    metrics,
    notices,
    review,
    scan,
    status,
    views,
)
from deepscreen.api.web import mount_web_ui
from deepscreen.bootstrap import url_fetcher
from deepscreen.service.hosted import HostedStores, close_all
from deepscreen.service.ingest_worker import IngestWorker
from deepscreen.service.keys import KeyVerifier
from deepscreen.service.media_purge_schedule import MediaPurger
from deepscreen.service.scan import Services
from deepscreen.service.uploads import MediaFetcher
from deepscreen.settings import Settings

# Adding a router: append it here and give each of its routes a line in
# ``deepscreen.api.access.ENDPOINT_ROLES``.
ROUTERS = (
    status.router,
    scan.router,
    items.router,
    decisions.router,
    views.router,
    metrics.router,
    review.router,
    notices.router,
    actions.router,
)

DESCRIPTION = """Moderation of generative-AI and deepfake media: scan media synchronously or
ingest it asynchronously, read decisions and item histories, record exposure, read the impact
metrics. Every endpoint but `/status/*` needs `Authorization: Bearer <API key>`; errors have one
shape, `{"error": {"code": "...", "message": "..."}}`."""


def create_app(
    services: Services,
    settings: Settings,
    stores: HostedStores,
    *,
    fetcher: MediaFetcher | None = None,
    verifier: KeyVerifier | None = None,
    start_worker: bool = True,
    close_on_shutdown: bool = False,
) -> FastAPI:
    """Build an app over these services and stores (tests pass fakes).

    ``fetcher`` defaults to the one the settings describe (None when URL fetching is off);
    ``verifier`` to a ``KeyVerifier`` over ``stores.keys``. ``start_worker=False`` leaves
    pending jobs to ``app.state.context.worker.drain()`` and the media purge (when retention
    is on and ``[media_store] purge_every_hours`` > 0) to ``context.purger.run_once()``.
    ``close_on_shutdown`` closes the stores when the lifespan ends (the server owns them).
    """
    api = settings.api
    context = ApiContext(
        services=services,
        stores=stores,
        settings=settings,
        worker=IngestWorker(services, stores, lease_s=api.ingest_lease_s, poll_s=api.ingest_poll_s),
        verifier=verifier or KeyVerifier(stores.keys, ttl_s=api.auth_cache_ttl_s),
        fetcher=fetcher if fetcher is not None else url_fetcher(settings),
        purger=media_purger(services, settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_worker:
            context.worker.start()  # resumes jobs left pending by a crash or a restart
            if context.purger is not None:
                context.purger.start()  # purges at once, then every purge_every_hours
        try:
            yield
        finally:
            await run_in_threadpool(context.worker.stop)
            if context.purger is not None:
                await run_in_threadpool(context.purger.stop)
            if context.fetcher is not None:
                context.fetcher.close()  # its fetch threads; running fetches end by deadline
            if close_on_shutdown:
                close_all(services, stores)

    app = FastAPI(
        title="deepscreen",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    for router in ROUTERS:
        app.include_router(router)
    check_every_endpoint_listed(endpoints(app))
    install_error_handlers(app)
    app.add_middleware(AccessMiddleware, verifier=context.verifier)
    app.add_middleware(BodyLimitMiddleware, max_bytes=api.max_request_bytes)
    mount_web_ui(app)  # outermost: /ui/* goes to the reviewer UI (session cookies, not keys)
    return app


def media_purger(services: Services, settings: Settings) -> MediaPurger | None:
    """The scheduled purge of retained media; None when retention is off or the schedule is
    (``purge_every_hours = 0``: purged by ``deepscreen media purge`` from cron instead)."""
    hours = settings.media_store.purge_every_hours
    if services.media.store is None or hours <= 0:
        return None
    return MediaPurger(services, every_s=hours * 3600)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app serves: its OpenAPI operations plus the document itself."""
    operations = [
        (method.upper(), path)
        for path, item in app.openapi().get("paths", {}).items()
        for method in item
    ]
    return [*operations, ("GET", app.openapi_url or "/openapi.json")]
