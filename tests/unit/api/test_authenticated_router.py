"""Every resource router of the API is built by ``authenticated_router``: a principal is a
dependency of each operation, and the error statuses it names are documented."""

from __future__ import annotations

import importlib
import pkgutil

import deepscreen.api.routes
from deepscreen.api.context import authenticated_router, get_principal
from deepscreen.api.errors import ErrorBody

PUBLIC = {"status"}  # liveness and readiness probes answer without a key


def test_a_router_requires_a_principal_and_documents_its_statuses() -> None:
    router = authenticated_router("things", 401, 404)

    assert router.tags == ["things"]
    assert [d.dependency for d in router.dependencies] == [get_principal]
    assert sorted(router.responses) == [401, 404]
    assert all(r["model"] is ErrorBody for r in router.responses.values())


def test_every_resource_router_requires_a_principal() -> None:
    names = [m.name for m in pkgutil.iter_modules(deepscreen.api.routes.__path__)]
    assert len(names) > len(PUBLIC)
    for name in sorted(set(names) - PUBLIC):
        module = importlib.import_module(f"deepscreen.api.routes.{name}")
        deps = [d.dependency for d in module.router.dependencies]
        assert deps == [get_principal], module.__name__
        assert {401, 403, 422, 500, 503} <= set(module.router.responses), module.__name__
