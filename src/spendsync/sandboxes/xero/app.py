"""The Xero sandbox's HTTP layer: ``create_app(config)`` and ``serve(host, port, config)``.

Routes are thin: parse the request, call one function of ``state.py`` under the tenant's lock,
wrap the result in Xero's envelope. Cross-cutting behaviour lives in one request gate, applied
in the order Xero's gateway applies it:

1. Bearer token (401 problem JSON, ``TokenExpired: …`` once expired on the sandbox clock),
2. injected faults from the control plane (401/429/5xx/slow/timeout),
3. ``xero-tenant-id`` must name an organisation the app is connected to (403),
4. the token's scopes must cover the endpoint (401 ``AuthorizationUnsuccessful``),
5. per-tenant/per-app rate limits (429 + ``Retry-After`` + ``X-Rate-Limit-Problem``),
6. configured latency, then the route; ``X-*Limit-Remaining`` headers on every API response.

``Idempotency-Key`` (≤ 128 chars, per tenant) is honoured on every PUT/POST: the same key with
the same method, URL and body replays the stored response (errors included) without touching
the books; the same key with anything different is a 400. Keys are kept for
``idempotency_retention_seconds`` (Xero does not document its window).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from spendsync.sandboxes.control import ControlPlane, Fault, Latency, RateLimits, SandboxClock
from spendsync.sandboxes.instance import SandboxInstance, create_sandbox_app, serve_app
from spendsync.sandboxes.instance import sandbox_of as sandbox_of_kind
from spendsync.sandboxes.xero import state
from spendsync.sandboxes.xero.dates import ms_envelope_datetime, parse_timestamp
from spendsync.sandboxes.xero.errors import (
    IdempotencyConflict,
    PostDataInvalid,
    ValidationFailed,
    XeroError,
    problem,
)
from spendsync.sandboxes.xero.oauth import (
    AppRegistration,
    ConsentSettings,
    IdentityService,
    IdentitySettings,
    OAuthError,
    Unauthenticated,
    create_identity_router,
    expired_detail,
    unauthorized,
)
from spendsync.sandboxes.xero.seed import UK_TENANT_ID, apply_seed, demo_tenants, demo_uk
from spendsync.sandboxes.xero.state import DocumentKind, ListQuery, Tenant, WriteMode

Json = dict[str, Any]
API = "/api.xro/2.0"
MAX_IDEMPOTENCY_KEY = 128
DEFAULT_APP = AppRegistration(
    client_id="spendsync-sandbox-client",
    client_secret="spendsync-sandbox-secret",  # noqa: S106 - a documented local-only default
    redirect_uris=["http://localhost:8080/callback", "http://127.0.0.1:8080/callback"],
    name="spendsync sandbox app",
)
COLLECTIONS = (
    "Organisation",
    "Accounts",
    "TaxRates",
    "TrackingCategories",
    "Contacts",
    "Currencies",
    "BankTransactions",
    "BankTransfers",
    "Invoices",
    "ManualJournals",
    "Attachments",
)
_CANONICAL = {name.lower(): name for name in COLLECTIONS}
_SCOPE_FAMILY = {
    "Organisation": "accounting.settings",
    "Accounts": "accounting.settings",
    "TaxRates": "accounting.settings",
    "TrackingCategories": "accounting.settings",
    "Currencies": "accounting.settings",
    "Contacts": "accounting.contacts",
}
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class XeroSandboxConfig(BaseModel):
    """Everything that shapes a sandbox instance; every field has a working default."""

    provider_name: str = Field(
        default="spendsync sandbox app", description="Fallback ProviderName in envelopes."
    )
    apps: list[AppRegistration] = Field(default_factory=lambda: [DEFAULT_APP.model_copy()])
    auto_consent: bool = Field(
        default=False, description="Authorize redirects with a code without the consent page."
    )
    auto_consent_tenant_ids: list[str] | None = Field(
        default=None, description="Organisations auto-consent grants (default: the first)."
    )
    seed_demo_data: bool = True
    clock_scale: float = Field(default=1.0, gt=0, description="Sandbox seconds per real second.")
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    latency: Latency = Field(default_factory=Latency)
    fault_seed: int = 0
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_attachments_per_document: int = Field(default=10, gt=0)
    idempotency_retention_seconds: float = Field(default=86_400.0, gt=0)
    enforce_scopes: bool = True


class DirectToken(BaseModel):
    client_id: str = DEFAULT_APP.client_id
    tenant_ids: list[str] = Field(default_factory=lambda: [UK_TENANT_ID])
    scope: str = (
        "openid profile email offline_access accounting.transactions accounting.contacts "
        "accounting.settings accounting.attachments"
    )


class XeroSandbox(SandboxInstance[state.XeroBackend, IdentityService]):
    """One sandbox instance: books, identity and control plane (the control hooks, too)."""

    def __init__(self, config: XeroSandboxConfig) -> None:
        self.config = config
        plane = ControlPlane(
            SandboxClock(config.clock_scale), config.rate_limits, config.fault_seed, config.latency
        )
        backend = state.XeroBackend(demo_tenants if config.seed_demo_data else list)
        identity = IdentityService(
            clock=plane.clock, settings=config.identity, organisations=backend.organisation_names
        )
        super().__init__(plane, backend, identity, config.apps)

    def reset(self) -> None:
        super().reset()
        self.identity.consent = ConsentSettings(
            auto=self.config.auto_consent, tenant_ids=self.config.auto_consent_tenant_ids
        )

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("reset"):
            self.backend.reset()
        tenant = self.backend.tenant(str(payload.get("tenantId") or UK_TENANT_ID))
        if tenant is None:
            raise ValueError("unknown tenantId")
        with tenant.lock:
            return apply_seed(tenant, payload)

    def tenant(self, request: Request) -> Tenant:
        tenant = self.backend.tenant(str(request.state.tenant_id))
        assert tenant is not None  # the gate admitted the request
        return tenant


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------
def _envelope(sandbox: XeroSandbox, request: Request, plural: str, records: Any) -> Json:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": getattr(request.state, "provider_name", sandbox.config.provider_name),
        "DateTimeUTC": ms_envelope_datetime(sandbox.clock.now()),
        plural: records,
    }


def _error_response(error: XeroError) -> Response:
    body = error.body()
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=error.status_code)
    return JSONResponse(body, status_code=error.status_code)


def _flag(request: Request, name: str, default: bool) -> bool:
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            return value.strip().lower() not in ("false", "0", "no")
    return default


def _int(request: Request, name: str) -> int | None:
    for key, value in request.query_params.items():
        if key.lower() == name.lower():
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _list_query(request: Request) -> ListQuery:
    params = {key.lower(): value for key, value in request.query_params.items()}
    since: Any = None
    header = request.headers.get("if-modified-since")
    if header:
        try:
            since = parse_timestamp(header)
        except ValueError:
            since = None  # Xero ignores a timestamp it cannot read
    ids = tuple(i.strip() for i in params.get("ids", "").split(",") if i.strip())
    return ListQuery(
        where=params.get("where") or None,
        order=params.get("order") or None,
        page=_int(request, "page"),
        page_size=_int(request, "pageSize") or 100,
        ids=ids,
        include_archived=_flag(request, "includeArchived", False),
        modified_since=since,
    )


def _list_response(
    sandbox: XeroSandbox, request: Request, plural: str, result: state.ListResult
) -> Response:
    body = _envelope(sandbox, request, plural, result.records)
    if result.pagination is not None:
        body["pagination"] = result.pagination
    return JSONResponse(body)


async def _idempotent(
    sandbox: XeroSandbox,
    request: Request,
    operation: Callable[[Tenant, bytes], Response],
) -> Response:
    """Run a write under the tenant lock, replaying or refusing a reused Idempotency-Key."""
    tenant = sandbox.tenant(request)
    body = await request.body()
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        return _error_response(
            ValidationFailed.single("The Idempotency-Key header must be 128 characters or fewer.")
        )
    fingerprint = state.request_fingerprint(
        request.method, request.url.path, str(request.url.query), body
    )

    def locked() -> Response:
        with tenant.lock:
            if key:
                stored = state.recall_response(
                    tenant,
                    key,
                    sandbox.clock.seconds(),
                    sandbox.config.idempotency_retention_seconds,
                )
                if stored is not None:
                    if stored.fingerprint != fingerprint:
                        return _error_response(IdempotencyConflict(key))
                    return Response(
                        stored.body, status_code=stored.status_code, media_type=stored.media_type
                    )
            try:
                response = operation(tenant, body)
            except XeroError as error:
                response = _error_response(error)
            if key:
                tenant.idempotency[key] = state.StoredResponse(
                    fingerprint,
                    response.status_code,
                    bytes(response.body),
                    response.media_type or "application/json",
                    sandbox.clock.seconds(),
                )
            return response

    # The write runs off the event loop, which stays free to take (and count) the requests
    # arriving meanwhile, as a platform's gateway does while its servers work.
    return await run_in_threadpool(locked)


def _parse(body: bytes) -> Any:
    if not body.strip():
        raise PostDataInvalid("The request body is empty")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PostDataInvalid(f"Unable to read the request body as JSON: {error}") from error


# --------------------------------------------------------------------------------------------
# The request gate
# --------------------------------------------------------------------------------------------
def _canonical_path(path: str) -> str:
    """Xero's paths are case-insensitive; route on the canonical spelling."""
    lowered = path.lower()
    if lowered.startswith("/connections"):
        return "/connections" + path[len("/connections") :]
    if not lowered.startswith(API):
        return path
    parts = path.split("/")
    return "/".join(_CANONICAL.get(part.lower(), part) for part in parts)


def _required_scopes(method: str, path: str) -> set[str]:
    parts = path[len(API) :].strip("/").split("/")
    family = _SCOPE_FAMILY.get(parts[0], "accounting.transactions")
    if "Attachments" in parts:
        family = "accounting.attachments"
    if method in ("GET", "HEAD"):
        return {family, f"{family}.read"}
    return {family}


def _fault_response(sandbox: XeroSandbox, fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        return Response(
            status_code=429,
            headers={
                "Retry-After": sandbox.plane.retry_after_header(fault.retry_after_seconds),
                "X-Rate-Limit-Problem": fault.problem,
            },
        )
    if fault.kind == "expired_token":
        return unauthorized(expired_detail(sandbox.clock.now()))
    if fault.kind == "timeout":
        return JSONResponse(problem(504, "Gateway Timeout", "The request timed out"), 504)
    if fault.body is not None:
        if isinstance(fault.body, str):
            return PlainTextResponse(fault.body, status_code=fault.status)
        return JSONResponse(fault.body, status_code=fault.status)
    title = _REASONS.get(fault.status, "Error")
    return JSONResponse(problem(fault.status, title, title), status_code=fault.status)


def _install_gate(app: FastAPI, sandbox: XeroSandbox) -> None:
    plane = sandbox.plane

    async def gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = _canonical_path(request.scope["path"])
        request.scope["path"] = path
        if path.startswith("/_control") or path in ("/docs", "/openapi.json"):
            return await call_next(request)
        is_api = path.startswith(API)
        if not is_api:
            plane.counters.count_request(request.method, None, None)
            fault = plane.faults.draw(request.method, path, None)
            response = await _serve(request, call_next, fault)
            plane.counters.count_response(response.status_code)
            return response

        tenant_header = (request.headers.get("xero-tenant-id") or "").strip().lower()
        try:
            access = sandbox.identity.authenticate(request.headers.get("authorization"))
        except Unauthenticated as error:
            plane.counters.count_request(request.method, tenant_header or None, None)
            plane.counters.count_response(401)
            return unauthorized(error.detail)
        plane.counters.count_request(request.method, tenant_header or None, access.client_id)
        fault = plane.faults.draw(request.method, path, tenant_header or None)
        if fault is not None and fault.kind == "expired_token":
            plane.counters.count_fault(fault.kind)
            plane.counters.count_response(401)
            return _fault_response(sandbox, fault)
        if (
            not tenant_header
            or sandbox.backend.tenant(tenant_header) is None
            or not sandbox.identity.connected(access.client_id, tenant_header)
        ):
            plane.counters.count_response(403)
            return JSONResponse(
                problem(403, "Forbidden", "AuthenticationUnsuccessful"), status_code=403
            )
        if sandbox.config.enforce_scopes and not (
            _required_scopes(request.method, path) & access.scope
        ):
            plane.counters.count_response(401)
            return unauthorized("AuthorizationUnsuccessful")
        admission = plane.limiter.admit(tenant_header, access.client_id)
        if not admission.allowed:
            response = Response(
                status_code=429,
                headers={
                    "Retry-After": plane.retry_after_header(admission.retry_after),
                    "X-Rate-Limit-Problem": admission.problem or "minute",
                },
            )
        else:
            request.state.tenant_id = tenant_header
            app_registration = sandbox.identity.apps.get(access.client_id)
            request.state.provider_name = (
                app_registration.name if app_registration else sandbox.config.provider_name
            )
            try:
                response = await _serve(request, call_next, fault)
            finally:
                plane.limiter.release(tenant_header)
        remaining = plane.limiter.remaining(tenant_header, access.client_id)
        for header, value in (
            ("X-DayLimit-Remaining", remaining.day),
            ("X-MinLimit-Remaining", remaining.minute),
            ("X-AppMinLimit-Remaining", remaining.app_minute),
        ):
            if value is not None:
                response.headers[header] = str(value)
        plane.counters.count_response(response.status_code)
        return response

    async def _serve(
        request: Request,
        call_next: Callable[[Request], Awaitable[Response]],
        fault: Fault | None,
    ) -> Response:
        return await plane.serve(
            request, call_next, fault, lambda drawn: _fault_response(sandbox, drawn)
        )

    app.middleware("http")(gate)


# --------------------------------------------------------------------------------------------
# Accounting routes
# --------------------------------------------------------------------------------------------
def _register_reference_routes(app: FastAPI, sandbox: XeroSandbox) -> None:
    @app.get(f"{API}/Organisation", response_model=None)
    def organisation(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        return JSONResponse(
            _envelope(sandbox, request, "Organisations", [tenant.organisation.to_xero()])
        )

    @app.get(f"{API}/Accounts", response_model=None)
    def accounts(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_accounts(tenant, _list_query(request))
        return _list_response(sandbox, request, "Accounts", result)

    @app.get(f"{API}/Accounts/{{account_id}}", response_model=None)
    def account(request: Request, account_id: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            record = state.get_account(tenant, account_id)
        return JSONResponse(_envelope(sandbox, request, "Accounts", [record]))

    async def account_writer(request: Request, account_id: str | None = None) -> Response:
        def operation(tenant: Tenant, body: bytes) -> Response:
            items = state.batch_items(_parse(body), "Accounts")
            if len(items) != 1:
                raise PostDataInvalid("Accounts are created and updated one at a time")
            default_tax = "INPUT2" if "INPUT2" in tenant.tax_rates else "INPUT"
            record = state.save_account(
                tenant, items[0], account_id, default_tax, sandbox.clock.now()
            )
            return JSONResponse(_envelope(sandbox, request, "Accounts", [record]))

        return await _idempotent(sandbox, request, operation)

    app.add_api_route(f"{API}/Accounts", account_writer, methods=["PUT"], response_model=None)
    app.add_api_route(
        f"{API}/Accounts/{{account_id}}", account_writer, methods=["POST"], response_model=None
    )

    @app.get(f"{API}/TaxRates", response_model=None)
    def tax_rates(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_tax_rates(tenant, _list_query(request))
        return _list_response(sandbox, request, "TaxRates", result)

    @app.get(f"{API}/TaxRates/{{tax_type}}", response_model=None)
    def tax_rate(request: Request, tax_type: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_tax_rates(tenant, _list_query(request), tax_type)
        return _list_response(sandbox, request, "TaxRates", result)

    @app.get(f"{API}/TrackingCategories", response_model=None)
    def tracking(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_tracking_categories(tenant, _list_query(request))
        return _list_response(sandbox, request, "TrackingCategories", result)

    @app.get(f"{API}/Currencies", response_model=None)
    def currencies(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_currencies(tenant, _list_query(request))
        return _list_response(sandbox, request, "Currencies", result)

    @app.put(f"{API}/Currencies", response_model=None)
    async def add_currency(request: Request) -> Response:
        def operation(tenant: Tenant, body: bytes) -> Response:
            items = state.batch_items(_parse(body), "Currencies")
            added = state.add_currencies(tenant, items)
            return JSONResponse(_envelope(sandbox, request, "Currencies", added))

        return await _idempotent(sandbox, request, operation)


def _register_contact_routes(app: FastAPI, sandbox: XeroSandbox) -> None:
    @app.get(f"{API}/Contacts", response_model=None)
    def contacts(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_contacts(tenant, _list_query(request))
        return _list_response(sandbox, request, "Contacts", result)

    @app.get(f"{API}/Contacts/{{contact_id}}", response_model=None)
    def contact(request: Request, contact_id: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            record = state.get_contact(tenant, contact_id)
        return JSONResponse(_envelope(sandbox, request, "Contacts", [record]))

    def writer(mode: WriteMode) -> Callable[..., Awaitable[Response]]:
        async def write(request: Request, contact_id: str | None = None) -> Response:
            def operation(tenant: Tenant, body: bytes) -> Response:
                items = state.batch_items(_parse(body), "Contacts")
                records = state.save_contacts(
                    tenant,
                    items,
                    mode,
                    target_id=contact_id,
                    summarize=_flag(request, "summarizeErrors", True),
                    now=sandbox.clock.now(),
                )
                return JSONResponse(_envelope(sandbox, request, "Contacts", records))

            return await _idempotent(sandbox, request, operation)

        return write

    app.add_api_route(f"{API}/Contacts", writer("create"), methods=["PUT"], response_model=None)
    app.add_api_route(f"{API}/Contacts", writer("upsert"), methods=["POST"], response_model=None)
    app.add_api_route(
        f"{API}/Contacts/{{contact_id}}", writer("update"), methods=["POST"], response_model=None
    )


def _register_document_routes(app: FastAPI, sandbox: XeroSandbox, kind: DocumentKind) -> None:
    def list_documents(request: Request) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            result = state.list_documents(tenant, kind, _list_query(request))
        return _list_response(sandbox, request, kind, result)

    def get_document(request: Request, document_id: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            record = state.get_document(tenant, kind, document_id)
        return JSONResponse(_envelope(sandbox, request, kind, [record]))

    def writer(mode: WriteMode) -> Callable[..., Awaitable[Response]]:
        async def write(request: Request, document_id: str | None = None) -> Response:
            def operation(tenant: Tenant, body: bytes) -> Response:
                items = state.batch_items(_parse(body), kind)
                records = state.save_documents(
                    tenant,
                    kind,
                    items,
                    mode,
                    target_id=document_id,
                    summarize=_flag(request, "summarizeErrors", True),
                    now=sandbox.clock.now(),
                )
                return JSONResponse(_envelope(sandbox, request, kind, records))

            return await _idempotent(sandbox, request, operation)

        return write

    def url_for(request: Request, document_id: str) -> Callable[[str], str]:
        base = str(request.base_url).rstrip("/")
        return lambda name: f"{base}{API}/{kind}/{document_id}/Attachments/{quote(name)}"

    def list_attachments(request: Request, document_id: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            records = state.list_attachments(
                tenant, kind, document_id, url_for(request, document_id)
            )
        return JSONResponse(_envelope(sandbox, request, "Attachments", records))

    def get_attachment(request: Request, document_id: str, name: str) -> Response:
        tenant = sandbox.tenant(request)
        with tenant.lock:
            attachment = state.get_attachment(tenant, kind, document_id, name)
        return Response(attachment.content, media_type=attachment.mime_type)

    async def upload(request: Request, document_id: str, name: str) -> Response:
        def operation(tenant: Tenant, body: bytes) -> Response:
            record = state.save_attachment(
                tenant,
                kind,
                document_id,
                name,
                body,
                declared_type=request.headers.get("content-type"),
                include_online=_flag(request, "IncludeOnline", False),
                limits=state.AttachmentLimits(
                    sandbox.config.max_attachment_bytes,
                    sandbox.config.max_attachments_per_document,
                ),
                url_for=url_for(request, document_id),
                now=sandbox.clock.now(),
            )
            return JSONResponse(_envelope(sandbox, request, "Attachments", [record]))

        return await _idempotent(sandbox, request, operation)

    item = f"{API}/{kind}/{{document_id}}"
    app.add_api_route(f"{API}/{kind}", list_documents, methods=["GET"], response_model=None)
    app.add_api_route(item, get_document, methods=["GET"], response_model=None)
    app.add_api_route(f"{API}/{kind}", writer("create"), methods=["PUT"], response_model=None)
    app.add_api_route(f"{API}/{kind}", writer("upsert"), methods=["POST"], response_model=None)
    app.add_api_route(item, writer("update"), methods=["POST"], response_model=None)
    app.add_api_route(f"{item}/Attachments", list_attachments, methods=["GET"], response_model=None)
    app.add_api_route(
        f"{item}/Attachments/{{name}}", get_attachment, methods=["GET"], response_model=None
    )
    app.add_api_route(
        f"{item}/Attachments/{{name}}", upload, methods=["PUT", "POST"], response_model=None
    )


class NewOrganisations(BaseModel):
    names: list[str] = Field(min_length=1, max_length=2000)


def _register_xero_control_routes(app: FastAPI, sandbox: XeroSandbox) -> None:
    """Xero-specific control endpoints: registered apps, consent behaviour, direct tokens."""

    @app.get("/_control/xero/apps")
    def list_apps() -> list[AppRegistration]:
        return list(sandbox.identity.apps.values())

    @app.post("/_control/xero/apps", status_code=201)
    def register_app(registration: AppRegistration) -> AppRegistration:
        return sandbox.identity.register(registration)

    @app.get("/_control/xero/consent")
    def get_consent() -> ConsentSettings:
        return sandbox.identity.consent

    @app.put("/_control/xero/consent")
    def set_consent(consent: ConsentSettings) -> ConsentSettings:
        sandbox.identity.consent = consent
        return consent

    @app.post("/_control/xero/tokens", response_model=None)
    def direct_token(request: DirectToken) -> Response:
        tenant_ids = [t.lower() for t in request.tenant_ids]
        if any(sandbox.backend.tenant(t) is None for t in tenant_ids):
            return JSONResponse({"error": "unknown tenant"}, status_code=422)
        try:
            body = sandbox.identity.issue_direct(
                request.client_id, tenant_ids, tuple(request.scope.split())
            )
        except OAuthError as error:
            return JSONResponse({"error": error.error}, status_code=400)
        return JSONResponse(body)

    @app.get("/_control/xero/connections")
    def app_connections(client_id: str) -> list[dict[str, Any]]:
        return sandbox.identity.list_connections(client_id, None)

    @app.post("/_control/xero/organisations", status_code=201)
    def add_organisations(request: NewOrganisations) -> list[dict[str, str]]:
        """Copies of the UK demo organisation under other names, each with its own ids."""
        added = [sandbox.backend.add(demo_uk(name)) for name in request.names]
        return [{"tenantId": t.tenant_id, "name": t.organisation.name} for t in added]

    @app.get("/_control/xero/tenants")
    def tenants() -> dict[str, str]:
        return sandbox.backend.organisation_names()


def create_app(config: XeroSandboxConfig | None = None) -> FastAPI:
    """Build a sandbox app; each call has its own independent state."""
    sandbox = XeroSandbox(config or XeroSandboxConfig())
    app = create_sandbox_app(
        sandbox,
        title="spendsync Xero sandbox",
        description="Local emulator of Xero's Accounting API 2.0 and OAuth 2.0 identity.",
    )

    @app.exception_handler(XeroError)
    async def xero_error(request: Request, error: XeroError) -> Response:
        return _error_response(error)

    _register_xero_control_routes(app, sandbox)
    app.include_router(create_identity_router(sandbox.identity))
    _register_reference_routes(app, sandbox)
    _register_contact_routes(app, sandbox)
    for kind in state.DOCUMENT_KINDS:
        _register_document_routes(app, sandbox, kind)
    _install_gate(app, sandbox)
    return app


def sandbox_of(app: FastAPI) -> XeroSandbox:
    """The sandbox behind an app, for tests that steer it in-process."""
    return sandbox_of_kind(app, XeroSandbox)


def serve(host: str, port: int, config: XeroSandboxConfig) -> None:
    """Run the sandbox with uvicorn until interrupted (the CLI's ``sandbox xero`` command)."""
    serve_app(create_app(config), host, port)


__all__ = [
    "AppRegistration",
    "XeroSandbox",
    "XeroSandboxConfig",
    "create_app",
    "sandbox_of",
    "serve",
]
