"""The Flask app: REST under /api/v3, git over HTTP, the control API; faults, logs, checks."""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from fakehub import permissions
from fakehub.auth import AuthError
from fakehub.errors import ApiError
from fakehub.faults import Fault, FaultKind, LoggedRequest
from fakehub.hub import Hub
from fakehub.limits import DOCS, MESSAGE
from fakehub.routes import (
    apps,
    checks,
    contents,
    control,
    git_http,
    issues,
    pulls,
    relations,
    repos,
)
from fakehub.routes.common import API_PREFIX, HUB_ENVIRON_KEY, hub, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

RATE_LIMIT = 5000


def create_app() -> Flask:
    """The routes and hooks; the hub each request serves comes in the WSGI environ."""
    app = Flask(__name__)
    # The stand-in answers like GitHub: JSON errors, never Flask's HTML pages.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for blueprint in (repos.bp, contents.bp, issues.bp, relations.bp, pulls.bp, checks.bp, apps.bp):
        app.register_blueprint(blueprint, url_prefix=API_PREFIX)
    app.register_blueprint(control.bp, url_prefix="/_fakehub")
    app.register_blueprint(git_http.bp)
    app.add_url_rule(f"{API_PREFIX}/", "api_root", _unknown, methods=_ALL)
    app.add_url_rule(f"{API_PREFIX}/<path:rest>", "api_catch_all", _unknown, methods=_ALL)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@functools.cache
def _shared_app() -> Flask:
    # Building the URL map is the slowest part of starting; tests start a stand-in per test,
    # so every stand-in in a process shares one app and brings its own hub.
    return create_app()


def wsgi_app(the_hub: Hub) -> WSGIApplication:
    """A WSGI application serving `the_hub`."""
    app = _shared_app()

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[HUB_ENVIRON_KEY] = the_hub
        return app(environ, start_response)

    return serve


def _area() -> str:
    if request.path.startswith(API_PREFIX):
        return "rest"
    if request.path.startswith("/_fakehub"):
        return "control"
    return "git"


def _rest_path() -> str:
    return request.path[len(API_PREFIX) :] or "/"


def _unknown(rest: str = "") -> Response:
    g.unexpected = True
    # Loud on purpose: a call the stand-in does not know is a call GitHub may answer otherwise.
    log.warning("unexpected call: %s %s", request.method, request.path)
    return json_response(
        {
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404",
        },
        404,
    )


def _before() -> Response | None:
    g.started = time.monotonic()
    g.fault = None
    g.unexpected = False
    if _area() != "rest":
        return None
    the_hub = hub()
    try:
        g.principal = the_hub.auth.from_header(request.headers.get("Authorization"))
    except AuthError as exc:
        g.principal = None
        return _error_response(ApiError(401, str(exc)))
    needed = permissions.required(request.method, _rest_path())
    if g.principal is not None and needed is not None and not g.principal.may(*needed):
        return _error_response(ApiError(403, "Resource not accessible by integration"))
    if the_hub.conformance is not None:
        payload = _json_or_none(request.get_data(cache=True))
        the_hub.add_violations(
            the_hub.conformance.check_request(request.method, _rest_path(), payload)
        )
    over = _enter_limits(the_hub)
    if over is not None:
        return over
    fault = the_hub.faults.take(request.method, _rest_path())
    g.fault = fault
    if fault is None:
        return None
    if fault.kind is FaultKind.DELAY:
        time.sleep(fault.delay)
        return None
    if fault.kind is FaultKind.ERROR_AFTER:
        return None
    return _fault_response(fault)


def _caller() -> str:
    principal = g.get("principal")
    return principal.user.login if principal is not None else "anonymous"


def _enter_limits(the_hub: Hub) -> Response | None:
    """Refuse a request past GitHub's secondary limits, when they are switched on."""
    if request.path.endswith("/access_tokens"):
        return None  # the App's own token requests: not the installation's content
    over = the_hub.limits.enter(_caller(), request.method, the_hub.clock.now())
    if over is None:
        g.limited = True
        return None
    limits = the_hub.limits.limits
    request_id = uuid.uuid4().hex[:16].upper()
    response = json_response(
        {"message": MESSAGE.format(id=request_id), "documentation_url": DOCS}, limits.status
    )
    response.headers["retry-after"] = str(limits.retry_after)
    response.headers["x-github-request-id"] = request_id
    g.fault = Fault(FaultKind.SECONDARY_RATE_LIMIT, status=limits.status, times=None)
    g.secondary = over
    return response


def _fault_response(fault: Fault) -> Response:
    if fault.kind is FaultKind.PRIMARY_RATE_LIMIT:
        response = _error_response(ApiError(403, "API rate limit exceeded for installation."))
        response.headers["x-ratelimit-remaining"] = "0"
        reset = int(hub().clock.now()) + fault.reset_after
        response.headers["x-ratelimit-reset"] = str(reset)
        return response
    if fault.kind is FaultKind.SECONDARY_RATE_LIMIT:
        message = (
            "You have exceeded a secondary rate limit. "
            "Please wait a few minutes before you try again."
        )
        response = _error_response(ApiError(fault.status, message))
        response.headers["retry-after"] = str(fault.retry_after)
        return response
    if fault.status == 502:
        # GitHub's 502s come from its front end as a plain page, not as JSON.
        return Response("Server Error", status=502, mimetype="text/plain")
    return _error_response(ApiError(fault.status, "Server Error"))


def _after(response: Response) -> Response:
    the_hub = hub()
    area = _area()
    fault: Fault | None = g.get("fault")
    if g.pop("limited", False):
        the_hub.limits.leave(_caller())
    if area == "rest":
        if fault is not None and fault.kind is FaultKind.ERROR_AFTER:
            # The work is done and stays done; only the answer is lost.
            response = _fault_response(fault)
        _rate_limit_headers(response)
        if the_hub.conformance is not None and not g.get("unexpected") and fault is None:
            problems = the_hub.conformance.check_response(
                request.method, _rest_path(), response.status_code, _response_json(response)
            )
            the_hub.add_violations(problems)
    principal = g.get("principal")
    the_hub.requests.add(
        LoggedRequest(
            method=request.method,
            path=_rest_path() if area == "rest" else request.path,
            query=request.query_string.decode(),
            status=response.status_code,
            time=time.time(),
            duration=time.monotonic() - g.get("started", time.monotonic()),
            area=area,
            unexpected=bool(g.get("unexpected")),
            fault=fault.kind.value if fault is not None else None,
            principal=principal.user.login if principal is not None else None,
        )
    )
    return response


def _rate_limit_headers(response: Response) -> None:
    """A budget per caller per hour, counted but never enforced (faults do that)."""
    principal = g.get("principal")
    the_hub = hub()
    now = int(the_hub.clock.now())
    window = now - now % 3600
    key = principal.user.login if principal is not None else "anonymous"
    with the_hub.store.lock:
        counters = the_hub.rate_counters
        start, used = counters.get(key, (window, 0))
        if start != window:
            start, used = window, 0
        used += 1
        counters[key] = (start, used)
    response.headers.setdefault("x-ratelimit-limit", str(RATE_LIMIT))
    response.headers.setdefault("x-ratelimit-remaining", str(max(0, RATE_LIMIT - used)))
    response.headers.setdefault("x-ratelimit-reset", str(window + 3600))
    response.headers.setdefault("x-ratelimit-used", str(used))
    response.headers.setdefault("x-ratelimit-resource", "core")
    response.headers.setdefault("x-github-api-version-selected", "2022-11-28")


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _response_json(response: Response) -> Any:
    if response.direct_passthrough or response.mimetype != "application/json":
        return None
    return _json_or_none(response.get_data())


def _error_response(error: ApiError) -> Response:
    response = json_response(error.body(), error.status)
    response.headers.update(error.headers)
    return response


def _api_error(error: ApiError) -> Response:
    return _error_response(error)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    messages = {404: "Not Found", 405: "Not Found"}
    if status in (404, 405) and _area() == "rest":
        g.unexpected = True
        status = 404
    return _error_response(ApiError(status, messages.get(status, error.name)))


def _crash(error: Exception) -> Response:
    log.exception("fakehub internal error on %s %s", request.method, request.path)
    # Recorded with the violations so that a test whose traffic crashed the stand-in fails.
    hub().add_violations([f"fakehub internal error on {request.method} {request.path}: {error!r}"])
    return _error_response(ApiError(500, f"fakehub internal error: {error!r}"))
