"""Apps as servers run them: wired from settings (``deepscreen serve``), from the environment
(each ``--workers`` process), and with nothing behind them (the OpenAPI document)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI

from deepscreen.api.app import create_app
from deepscreen.bootstrap import build, build_hosted, memory_banks
from deepscreen.service import detector_warnings
from deepscreen.settings import Settings, load_settings

log = logging.getLogger(__name__)
CONFIG_ENV = "DEEPSCREEN_SERVE_CONFIG"
"""The settings file a worker process loads (set by ``deepscreen serve --workers N``)."""


def app_from_settings(settings: Settings) -> FastAPI:
    """The server's app: stores opened from the settings, closed when the app shuts down."""
    services = build(settings)
    for warning in detector_warnings(services):
        log.warning("%s", warning)
    try:
        stores = build_hosted(settings, store=services.store)  # on the event store's engine
    except BaseException:
        services.store.close()
        if services.review_queue is not None:
            services.review_queue.close()
        raise
    return create_app(services, settings, stores, close_on_shutdown=True)


def app_from_environment() -> FastAPI:
    """``uvicorn --factory`` entry point of worker processes: settings from the file named by
    ``DEEPSCREEN_SERVE_CONFIG`` (else ``./deepscreen.toml``) and ``DEEPSCREEN_*``."""
    config = os.environ.get(CONFIG_ENV)
    return app_from_settings(load_settings(Path(config) if config else None))


def openapi_app() -> FastAPI:
    """An app over in-memory stores with default settings: only for its OpenAPI document,
    which does not depend on settings or data."""
    settings = Settings(db_url="memory://")
    services = build(settings, banks=memory_banks())
    return create_app(services, settings, build_hosted(settings), start_worker=False)
