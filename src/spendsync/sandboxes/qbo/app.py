"""The QBO sandbox's HTTP layer: ``create_app(config)`` and ``serve(host, port, config)``.

Routes are thin: parse, call one function of ``state.py`` under the company's lock, wrap the
result in QBO's envelope (``{"Purchase": {…}, "time": …}``). Cross-cutting behaviour lives in
one request gate for everything under ``/v3/company/{realmId}``, in the order Intuit's gateway
applies it:

1. Bearer token (401 ``AuthenticationFault`` 3200 once expired on the sandbox clock, revoked
   or unknown),
2. injected faults from the control plane (401/429/5xx/slow/timeout),
3. the token's grant must be for this realm and carry the accounting scope (403
   ``AuthorizationFault`` 3100),
4. throttles: 500 requests/min per realm, 10/s per realm+app, 10 concurrent per realm+app
   (429 ``ThrottleExceeded`` 3001; every refused request is a violation in the counters),
5. configured latency, then the route; an ``intuit_tid`` header on every API response.

``minorversion``: since 1 Aug 2025 QBO ignores values below 75 and answers every request as
minor version 75, with or without the parameter; the sandbox does the same (it accepts any
value and always answers as 75).

``requestid`` (≤ 50 chars, per realm) on POSTs: a repeated id replays the first response,
byte for byte, without doing the work again (Intuit: "instead of performing the operation
again or returning an error, the service sends the same response").
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spendsync.sandboxes.control import ControlPlane, Fault, Latency, RateLimits, SandboxClock
from spendsync.sandboxes.instance import SandboxInstance, create_sandbox_app, serve_app
from spendsync.sandboxes.instance import sandbox_of as sandbox_of_kind
from spendsync.sandboxes.oauth import AppRegistration, OAuthError, Unauthenticated
from spendsync.sandboxes.qbo import errors, state
from spendsync.sandboxes.qbo.errors import QboError
from spendsync.sandboxes.qbo.oauth import (
    ACCOUNTING_SCOPE,
    ConsentSettings,
    IdentityService,
    IdentitySettings,
    create_identity_router,
)
from spendsync.sandboxes.qbo.seed import (
    UK_REALM_ID,
    US_REALM_ID,
    apply_seed,
    demo_companies,
    uk_company,
)
from spendsync.sandboxes.qbo.state import Company

Json = dict[str, Any]
API = "/v3/company"
MINOR_VERSION = 75
MAX_REQUEST_ID = 50
MAX_BATCH_ITEMS = 30
DEFAULT_APP = AppRegistration(
    client_id="spendsync-qbo-sandbox-client",
    client_secret="spendsync-qbo-sandbox-secret",  # noqa: S106 - a documented local-only default
    redirect_uris=["http://localhost:8080/callback", "http://127.0.0.1:8080/callback"],
    name="spendsync QBO sandbox app",
)


def qbo_limits() -> RateLimits:
    """Intuit's documented throttles for the Accounting API."""
    return RateLimits(
        per_minute=500,
        per_day=None,
        app_per_minute=None,
        per_second=10,
        concurrent=10,
        concurrent_per_app=True,
    )


class QboSandboxConfig(BaseModel):
    """Everything that shapes a sandbox instance; every field has a working default."""

    apps: list[AppRegistration] = Field(default_factory=lambda: [DEFAULT_APP.model_copy()])
    auto_consent: bool = Field(
        default=False, description="Authorize redirects with a code without the consent page."
    )
    auto_consent_realm_id: str | None = Field(
        default=None, description="The company auto-consent connects (default: the US one)."
    )
    seed_demo_data: bool = True
    clock_scale: float = Field(default=1.0, gt=0, description="Sandbox seconds per real second.")
    limits: RateLimits = Field(default_factory=qbo_limits)
    latency: Latency = Field(default_factory=Latency)
    fault_seed: int = 0
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, gt=0)


class DirectToken(BaseModel):
    client_id: str = DEFAULT_APP.client_id
    realm_id: str = US_REALM_ID
    scope: str = f"{ACCOUNTING_SCOPE} openid"


class QboSandbox(SandboxInstance[state.QboBackend, IdentityService]):
    """One sandbox instance: companies, identity and control plane (the control hooks, too)."""

    def __init__(self, config: QboSandboxConfig) -> None:
        self.config = config
        plane = ControlPlane(
            SandboxClock(config.clock_scale), config.limits, config.fault_seed, config.latency
        )
        backend = state.QboBackend(demo_companies if config.seed_demo_data else list)
        identity = IdentityService(
            clock=plane.clock, settings=config.identity, companies=backend.company_names
        )
        super().__init__(plane, backend, identity, config.apps)

    def reset(self) -> None:
        super().reset()
        self.identity.consent = ConsentSettings(
            auto=self.config.auto_consent, realm_id=self.config.auto_consent_realm_id
        )

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("reset"):
            self.backend.reset()
        company = self.backend.company(str(payload.get("realmId") or US_REALM_ID))
        if company is None:
            raise ValueError("unknown realmId")
        with company.lock:
            try:
                return apply_seed(company, payload, self.clock.now())
            except QboError as error:
                raise ValueError(json.dumps(error.fault())) from error

    def company(self, request: Request) -> Company:
        company = self.backend.company(str(request.state.realm_id))
        assert company is not None  # the gate admitted the request
        return company


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------
def _time(sandbox: QboSandbox, company: Company | None) -> str:
    now = sandbox.clock.now()
    return now.astimezone(company.tz if company else None).isoformat(timespec="milliseconds")


def _ok(sandbox: QboSandbox, company: Company, body: Json) -> Response:
    return JSONResponse({**body, "time": _time(sandbox, company)})


def _fault(sandbox: QboSandbox, error: QboError, company: Company | None = None) -> Response:
    headers = {}
    if error.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return JSONResponse(
        {"Fault": error.fault(), "time": _time(sandbox, company)},
        status_code=error.status_code,
        headers=headers,
    )


def _parse(body: bytes) -> Any:
    if not body.strip():
        raise errors.request_not_understood("Request body is empty")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.request_not_understood(
            f"Request has invalid or unsupported property: unable to parse JSON ({error})"
        ) from error


def _kind(name: str) -> state.EntityKind:
    kind = state.entity_kind(name)
    if kind is None:
        raise errors.unsupported_operation(f"for entity {name}")
    return kind


async def _replayable(
    sandbox: QboSandbox,
    request: Request,
    operation: Callable[[Company, bytes], Response],
) -> Response:
    """Run a write under the company lock; a repeated ``requestid`` replays the first answer."""
    company = sandbox.company(request)
    body = await request.body()
    request_id = request.query_params.get("requestid")
    if request_id is not None and not 0 < len(request_id) <= MAX_REQUEST_ID:
        return _fault(
            sandbox,
            errors.validation(
                "Invalid requestid",
                f"requestid must be 1 to {MAX_REQUEST_ID} characters; got {len(request_id)}",
                "2010",
                "requestid",
            ),
            company,
        )

    def locked() -> Response:
        with company.lock:
            if request_id:
                stored = company.request_ids.get(request_id)
                if stored is not None:
                    return Response(
                        stored.body, status_code=stored.status_code, media_type=stored.media_type
                    )
            try:
                response = operation(company, body)
            except QboError as error:
                response = _fault(sandbox, error, company)
            if request_id:
                company.request_ids[request_id] = state.StoredResponse(
                    response.status_code,
                    bytes(response.body),
                    response.media_type or "application/json",
                )
            return response

    # The write runs off the event loop, which stays free to take (and count) the requests
    # arriving meanwhile, as a platform's gateway does while its servers work.
    return await run_in_threadpool(locked)


# --------------------------------------------------------------------------------------------
# The request gate
# --------------------------------------------------------------------------------------------
def _realm_of(path: str) -> str | None:
    parts = path.split("/")
    # ["", "v3", "company", realm, …]
    return parts[3] if len(parts) > 3 and parts[3] else None


def _fault_response(sandbox: QboSandbox, fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        response = _fault(sandbox, errors.throttled())
        response.headers["Retry-After"] = sandbox.plane.retry_after_header(
            fault.retry_after_seconds
        )
        return response
    if fault.kind == "expired_token":
        return _fault(sandbox, errors.authentication("Token expired: the access token has expired"))
    if fault.kind == "timeout":
        return _fault(sandbox, errors.system(504))
    if fault.body is not None:
        return JSONResponse(fault.body, status_code=fault.status)
    return _fault(sandbox, errors.system(fault.status))


def _install_gate(app: FastAPI, sandbox: QboSandbox) -> None:
    plane = sandbox.plane

    def render(drawn: Fault) -> Response:
        return _fault_response(sandbox, drawn)

    async def gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.scope["path"]
        if not path.startswith(f"{API}/"):
            if path.startswith("/_control") or path in ("/docs", "/openapi.json"):
                return await call_next(request)
            plane.counters.count_request(request.method, None, None)
            response = await plane.serve(
                request, call_next, plane.faults.draw(request.method, path, None), render
            )
            plane.counters.count_response(response.status_code)
            return response

        realm_id = _realm_of(path) or ""
        response = await admit_and_serve(request, call_next, realm_id)
        response.headers["intuit_tid"] = str(uuid.uuid4())
        plane.counters.count_response(response.status_code)
        return response

    async def admit_and_serve(
        request: Request, call_next: Callable[[Request], Awaitable[Response]], realm_id: str
    ) -> Response:
        try:
            access = sandbox.identity.authenticate(request.headers.get("authorization"))
        except Unauthenticated as error:
            plane.counters.count_request(request.method, realm_id or None, None)
            return _fault(sandbox, errors.authentication(error.detail))
        plane.counters.count_request(request.method, realm_id or None, access.client_id)
        fault = plane.faults.draw(request.method, request.scope["path"], realm_id or None)
        if fault is not None and fault.kind == "expired_token":
            plane.counters.count_fault(fault.kind)
            return render(fault)
        company = sandbox.backend.company(realm_id)
        if company is None or access.realm_id != realm_id or ACCOUNTING_SCOPE not in access.scope:
            return _fault(
                sandbox,
                errors.authorization(
                    "The access token does not grant access to this company or scope"
                ),
                company,
            )
        admission = plane.limiter.admit(realm_id, access.client_id)
        if not admission.allowed:
            response = _fault(sandbox, errors.throttled(), company)
            response.headers["Retry-After"] = plane.retry_after_header(admission.retry_after)
            return response
        request.state.realm_id = realm_id
        try:
            return await plane.serve(request, call_next, fault, render)
        finally:
            plane.limiter.release(realm_id, access.client_id)

    app.middleware("http")(gate)


# --------------------------------------------------------------------------------------------
# Accounting routes
# --------------------------------------------------------------------------------------------
def _write(sandbox: QboSandbox, company: Company, entity: str, body: Any, operation: str) -> Json:
    """One create / update / delete, shared by the entity route and batch items."""
    kind = _kind(entity)
    now = sandbox.clock.now()
    if operation == "delete":
        return {kind.name: state.delete_entity(company, kind.name, body)}
    if operation == "update" and (not isinstance(body, dict) or body.get("Id") in (None, "")):
        raise errors.required("Id")
    if operation not in ("create", "update"):
        raise errors.unsupported_operation(operation)
    return {kind.name: state.save_entity(company, kind.name, body, now)}


def _register_routes(app: FastAPI, sandbox: QboSandbox) -> None:
    base = f"{API}/{{realm_id}}"

    @app.get(f"{base}/companyinfo/{{company_id}}", response_model=None)
    def company_info(request: Request, realm_id: str, company_id: str) -> Response:
        company = sandbox.company(request)
        with company.lock:
            if company_id not in (realm_id, "1"):
                raise errors.object_not_found(f"CompanyInfo with Id {company_id} was not found")
            return _ok(
                sandbox, company, {"CompanyInfo": state.get_entity(company, "CompanyInfo", "1")}
            )

    @app.get(f"{base}/exchangerate", response_model=None)
    def exchange_rate(request: Request) -> Response:
        company = sandbox.company(request)
        params = request.query_params
        with company.lock:
            rate = state.exchange_rate(
                company,
                params.get("sourcecurrencycode"),
                params.get("asofdate"),
                sandbox.clock.now(),
            )
            return _ok(sandbox, company, {"ExchangeRate": rate})

    @app.get(f"{base}/preferences", response_model=None)
    def preferences(request: Request) -> Response:
        company = sandbox.company(request)
        with company.lock:
            return _ok(
                sandbox, company, {"Preferences": state.get_entity(company, "Preferences", "1")}
            )

    async def query(request: Request) -> Response:
        company = sandbox.company(request)
        text = request.query_params.get("query")
        if text is None and request.method == "POST":
            raw = await request.body()
            text = raw.decode("utf-8", "replace") if raw else None
        if not text:
            raise errors.required("query")
        with company.lock:
            return _ok(sandbox, company, {"QueryResponse": state.run_query(company, text)})

    app.add_api_route(f"{base}/query", query, methods=["GET", "POST"], response_model=None)

    @app.post(f"{base}/batch", response_model=None)
    async def batch(request: Request) -> Response:
        def operation(company: Company, body: bytes) -> Response:
            parsed = _parse(body)
            items = parsed.get("BatchItemRequest") if isinstance(parsed, dict) else None
            if not isinstance(items, list) or not items:
                raise errors.required("BatchItemRequest")
            if len(items) > MAX_BATCH_ITEMS:
                raise errors.validation(
                    "Batch request size exceeds limit",
                    f"The maximum number of BatchItemRequest is {MAX_BATCH_ITEMS}; "
                    f"got {len(items)}",
                    "1040",
                    "BatchItemRequest",
                )
            answers = [_batch_item(sandbox, company, item) for item in items]
            return _ok(sandbox, company, {"BatchItemResponse": answers})

        return await _replayable(sandbox, request, operation)

    @app.post(f"{base}/upload", response_model=None)
    async def upload(request: Request) -> Response:
        company = sandbox.company(request)
        limit = sandbox.config.max_upload_bytes
        declared = int(request.headers.get("content-length") or 0)
        if declared > limit:
            return _fault(sandbox, errors.upload_too_large(limit, declared), company)
        await request.body()  # cached, so the form parser and the requestid check share it
        form = await request.form(max_files=100, max_fields=100)
        parts = {key: value for key, value in form.multi_items()}
        base_url = str(request.base_url).rstrip("/")

        def operation(company: Company, _: bytes) -> Response:
            answers = _upload(sandbox, company, parts, limit, base_url)
            return _ok(sandbox, company, {"AttachableResponse": answers})

        try:
            return await _replayable(sandbox, request, operation)
        finally:
            await form.close()

    @app.get(f"{base}/download/{{attachable_id}}", response_model=None)
    def download(request: Request, attachable_id: str) -> Response:
        company = sandbox.company(request)
        with company.lock:
            stored = company.files.get(attachable_id)
            if stored is None:
                raise errors.object_not_found(f"Attachable with Id {attachable_id} was not found")
            return Response(stored.content, media_type=stored.content_type)

    @app.post(f"{base}/{{entity}}", response_model=None)
    async def write(request: Request, entity: str) -> Response:
        operation_name = (request.query_params.get("operation") or "").lower()

        def operation(company: Company, body: bytes) -> Response:
            parsed = _parse(body)
            mode = operation_name or (
                "update" if isinstance(parsed, dict) and parsed.get("Id") else "create"
            )
            return _ok(sandbox, company, _write(sandbox, company, entity, parsed, mode))

        return await _replayable(sandbox, request, operation)

    @app.get(f"{base}/{{entity}}/{{record_id}}", response_model=None)
    def read(request: Request, entity: str, record_id: str) -> Response:
        company = sandbox.company(request)
        kind = _kind(entity)
        with company.lock:
            return _ok(
                sandbox, company, {kind.name: state.get_entity(company, kind.name, record_id)}
            )


def _register_fallback(app: FastAPI) -> None:
    """Anything else under a company answers like QBO: a Fault, not the framework's 404/405."""

    def unsupported(request: Request, rest: str) -> Response:
        raise errors.unsupported_operation(f"{request.method} /{rest}")

    app.add_api_route(
        f"{API}/{{realm_id}}/{{rest:path}}",
        unsupported,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        response_model=None,
    )


def _batch_item(sandbox: QboSandbox, company: Company, item: Any) -> Json:
    if not isinstance(item, dict):
        return {"Fault": errors.request_not_understood("BatchItemRequest item").fault()}
    answer: Json = {"bId": str(item.get("bId", ""))}
    try:
        if not answer["bId"]:
            raise errors.required("bId")
        if "Query" in item:
            answer["QueryResponse"] = state.run_query(company, str(item["Query"]))
            return answer
        names = [key for key in item if state.entity_kind(key) is not None]
        if len(names) != 1:
            raise errors.request_not_understood("A BatchItemRequest must carry one entity")
        operation = str(item.get("operation") or "create").lower()
        answer.update(_write(sandbox, company, names[0], item[names[0]], operation))
    except QboError as error:
        answer["Fault"] = error.fault()
    return answer


def _upload(
    sandbox: QboSandbox,
    company: Company,
    parts: dict[str, str | UploadFile],
    limit: int,
    base_url: str,
) -> list[Json]:
    """``file_metadata_NN`` (Attachable JSON) + ``file_content_NN`` → one Attachable each."""
    suffixes = sorted(
        {key.removeprefix("file_content_") for key in parts if key.startswith("file_content_")}
    )
    if not suffixes:
        raise errors.required("file_content_01")
    files: dict[str, tuple[bytes, str, str]] = {}
    total = 0
    for suffix in suffixes:
        part = parts[f"file_content_{suffix}"]
        if isinstance(part, UploadFile):
            content = part.file.read()
            encoding = (part.headers.get("content-transfer-encoding") or "").strip().lower()
            content_type = part.content_type or "application/octet-stream"
            file_name = part.filename or f"attachment-{suffix}"
        else:
            content, encoding = part.encode("latin-1", "replace"), ""
            content_type, file_name = "application/octet-stream", f"attachment-{suffix}"
        if encoding == "base64":
            try:
                content = base64.b64decode(content, validate=False)
            except (binascii.Error, ValueError) as error:
                raise errors.request_not_understood("file content is not valid base64") from error
        total += len(content)
        files[suffix] = (content, content_type, file_name)
    if total > limit:
        raise errors.upload_too_large(limit, total)
    answers: list[Json] = []
    for suffix, (content, content_type, file_name) in files.items():
        try:
            raw_meta = parts.get(f"file_metadata_{suffix}")
            meta: Any = {}
            if isinstance(raw_meta, UploadFile):
                meta = _parse(raw_meta.file.read())
            elif raw_meta:
                meta = _parse(raw_meta.encode())
            if not isinstance(meta, dict):
                raise errors.validation(
                    "The file metadata must be of Attachable type",
                    "The file metadata submitted must be of Attachable type.",
                    "6040",
                )
            meta.pop("Id", None)
            meta.setdefault("FileName", file_name)
            meta.setdefault("ContentType", content_type)
            record = state.save_entity(company, "Attachable", meta, sandbox.clock.now())
            stored = company.table("Attachable")[record["Id"]]
            uri = f"/v3/company/{company.realm_id}/download/{record['Id']}"
            extra = {
                "Size": len(content),
                "FileAccessUri": uri,
                "TempDownloadUri": f"{base_url}{uri}",
            }
            stored.update(extra)
            record.update(extra)
            company.files[record["Id"]] = state.StoredFile(
                content, str(meta["ContentType"]), str(meta["FileName"])
            )
            answers.append({"Attachable": record})
        except QboError as error:
            answers.append({"Fault": error.fault()})
    return answers


class NewCompanies(BaseModel):
    names: list[str] = Field(min_length=1, max_length=2000)


def _register_qbo_control_routes(app: FastAPI, sandbox: QboSandbox) -> None:
    """QBO-specific control endpoints: registered apps, consent, direct tokens, companies."""

    @app.get("/_control/qbo/apps")
    def list_apps() -> list[AppRegistration]:
        return list(sandbox.identity.apps.values())

    @app.post("/_control/qbo/apps", status_code=201)
    def register_app(registration: AppRegistration) -> AppRegistration:
        return sandbox.identity.register(registration)

    @app.get("/_control/qbo/consent")
    def get_consent() -> ConsentSettings:
        return sandbox.identity.consent

    @app.put("/_control/qbo/consent")
    def set_consent(consent: ConsentSettings) -> ConsentSettings:
        sandbox.identity.consent = consent
        return consent

    @app.post("/_control/qbo/tokens", response_model=None)
    def direct_token(request: DirectToken) -> Response:
        if sandbox.backend.company(request.realm_id) is None:
            return JSONResponse({"error": "unknown realm"}, status_code=422)
        try:
            body = sandbox.identity.issue_direct(
                request.client_id, request.realm_id, tuple(request.scope.split())
            )
        except OAuthError as error:
            return JSONResponse({"error": error.error}, status_code=400)
        return JSONResponse(body)

    @app.get("/_control/qbo/realms")
    def realms() -> dict[str, str]:
        return sandbox.backend.company_names()

    @app.post("/_control/qbo/companies", status_code=201)
    def add_companies(request: NewCompanies) -> list[dict[str, str]]:
        """Copies of the UK demo company under other names, each with its own realm id."""
        first = 9341453100000000 + len(sandbox.backend.companies)
        added = [
            sandbox.backend.add(uk_company(name, str(first + n)))
            for n, name in enumerate(request.names)
        ]
        return [{"realmId": c.realm_id, "name": c.name} for c in added]


def create_app(config: QboSandboxConfig | None = None) -> FastAPI:
    """Build a sandbox app; each call has its own independent state."""
    sandbox = QboSandbox(config or QboSandboxConfig())
    app = create_sandbox_app(
        sandbox,
        title="spendsync QuickBooks Online sandbox",
        description="Local emulator of QuickBooks Online's Accounting API v3 and Intuit OAuth.",
    )

    @app.exception_handler(QboError)
    async def qbo_error(request: Request, error: QboError) -> Response:
        realm = getattr(request.state, "realm_id", None)
        return _fault(sandbox, error, sandbox.backend.company(realm) if realm else None)

    _register_qbo_control_routes(app, sandbox)
    app.include_router(create_identity_router(sandbox.identity))
    _register_routes(app, sandbox)
    _register_fallback(app)
    _install_gate(app, sandbox)
    return app


def sandbox_of(app: FastAPI) -> QboSandbox:
    """The sandbox behind an app, for tests that steer it in-process."""
    return sandbox_of_kind(app, QboSandbox)


def serve(host: str, port: int, config: QboSandboxConfig) -> None:
    """Run the sandbox with uvicorn until interrupted (``spendsync sandbox quickbooksonline``)."""
    serve_app(create_app(config), host, port)


__all__ = [
    "DEFAULT_APP",
    "UK_REALM_ID",
    "US_REALM_ID",
    "AppRegistration",
    "QboSandbox",
    "QboSandboxConfig",
    "create_app",
    "qbo_limits",
    "sandbox_of",
    "serve",
]
