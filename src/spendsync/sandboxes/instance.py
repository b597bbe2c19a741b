"""What every platform sandbox instance is made of, and how its app is built and served.

A sandbox instance owns a control plane, a per-tenant backend and an identity service, and
answers the control plane's ``reset``/``seed`` hooks. The platform decides what its backend and
identity are, how it seeds and which consent it starts with (a Xero tenant list, a QBO realm);
this module holds only the wiring that is the same for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI

from spendsync.sandboxes.control import ControlPlane, SandboxClock, create_control_router
from spendsync.sandboxes.oauth import AppRegistration, IdentityProvider


class Backend(Protocol):
    def reset(self) -> None: ...


BackendT = TypeVar("BackendT", bound=Backend)
IdentityT = TypeVar("IdentityT", bound=IdentityProvider)
SandboxT = TypeVar("SandboxT")


class SandboxInstance(ABC, Generic[BackendT, IdentityT]):
    """One sandbox: its control plane, books and identity, reset to the configured state.

    A platform extends ``reset`` to restore its consent settings and implements ``seed``.
    """

    def __init__(
        self,
        plane: ControlPlane,
        backend: BackendT,
        identity: IdentityT,
        apps: list[AppRegistration],
    ) -> None:
        self.plane = plane
        self.backend = backend
        self.identity = identity
        self._apps = apps
        self.reset()

    @property
    def clock(self) -> SandboxClock:
        return self.plane.clock

    def reset(self) -> None:
        """Fresh books (the demo data when configured), no grants, and only the configured apps
        (copies, so a test that edits a registration does not change the configuration)."""
        self.backend.reset()
        self.identity.reset_grants()
        self.identity.apps = {app.client_id: app.model_copy() for app in self._apps}

    @abstractmethod
    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add records to one tenant's books (the control plane's ``POST /_control/seed``)."""


def create_sandbox_app(
    sandbox: SandboxInstance[Any, Any], *, title: str, description: str
) -> FastAPI:
    """A FastAPI app for ``sandbox`` with the shared control plane's routes; the platform adds
    its own routes, identity router and request gate."""
    app = FastAPI(title=title, description=description, docs_url="/docs", redoc_url=None)
    app.state.sandbox = sandbox
    app.include_router(create_control_router(sandbox.plane, sandbox))
    return app


def sandbox_of(app: FastAPI, kind: type[SandboxT]) -> SandboxT:
    """The sandbox behind an app, for tests that steer it in-process."""
    sandbox = app.state.sandbox
    assert isinstance(sandbox, kind)
    return sandbox


def serve_app(app: FastAPI, host: str, port: int) -> None:
    """Run a sandbox app with uvicorn until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=2)
