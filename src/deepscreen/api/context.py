"""What a request handler reaches: the app's ``ApiContext`` and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deepscreen.api.errors import error_responses
from deepscreen.core.access import Principal
from deepscreen.core.errors import Unauthenticated
from deepscreen.service.hosted import HostedStores
from deepscreen.service.ingest_worker import IngestWorker
from deepscreen.service.keys import KeyVerifier
from deepscreen.service.media_purge_schedule import MediaPurger
from deepscreen.service.scan import Services
from deepscreen.service.uploads import MediaFetcher
from deepscreen.settings import Settings

# Documents the scheme in the OpenAPI; ``AccessMiddleware`` has already checked the key.
_bearer = HTTPBearer(auto_error=False, description="An API key: `ds_<key id>_<secret>`.")


@dataclass(frozen=True)
class ApiContext:
    """Everything one app's handlers use, held in ``app.state.context`` (no module globals)."""

    services: Services
    stores: HostedStores
    settings: Settings
    worker: IngestWorker
    verifier: KeyVerifier
    fetcher: MediaFetcher | None  # None: fetching media from URLs is disabled
    purger: MediaPurger | None = None  # None: media retention off, or purge_every_hours = 0


# ``async`` on purpose, as ``get_principal``: FastAPI runs a plain ``def`` dependency in the
# threadpool — a thread hand-off per dependency per request for a dictionary lookup.
async def get_context(request: Request) -> ApiContext:
    context = request.app.state.context
    assert isinstance(context, ApiContext)
    return context


async def get_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):  # a protected route marked public by mistake
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
    return principal


Context = Annotated[ApiContext, Depends(get_context)]
Caller = Annotated[Principal, Depends(get_principal)]


def authenticated_router(tag: str, *statuses: int) -> APIRouter:
    """A router for ``tag`` whose every operation needs a principal (``get_principal``) and
    documents the one error shape for ``statuses``."""
    return APIRouter(
        tags=[tag], dependencies=[Depends(get_principal)], responses=error_responses(*statuses)
    )
