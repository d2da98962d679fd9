"""The read-only dashboard: the list of runs and one page per run, drawn from Redis alone.

Private by default. A run's page answers a link signed for that run (posted in its status
comment) or the operator's token; the list of runs answers the token only. Anything else gets
the same 404 as a run that does not exist, so a stranger learns nothing, not even which run
ids exist. The process never calls GitHub: its links are built from GITHUB_API_URL.
"""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, Response, abort, redirect, render_template, request

from bot.adapters.store import RunStore, reader
from bot.core import access, links, swimlanes
from bot.web.context import web_context

log = logging.getLogger(__name__)

dashboard = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static")

COOKIE = "porch_dashboard"
COOKIE_SECONDS = 7 * 24 * 3600
REFRESH_SECONDS = 3  # how often a live run's page reloads itself
LIST_LIMIT = 200


def _store() -> RunStore:
    return reader(web_context().redis)


def operator() -> bool:
    """Whether the request carries the operator token (bearer header or cookie)."""
    token = web_context().settings.dashboard_token
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    offered = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    offered = offered or request.cookies.get(COOKIE, "")
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


def _signed_for(run_id: str) -> bool:
    key = access.link_key(web_context().settings.github_webhook_secret)
    expires, sig = request.args.get("exp", ""), request.args.get("sig", "")
    return bool(sig) and access.valid(key, run_id, expires, sig, time.time())


@dashboard.before_request
def token_to_cookie() -> Response | None:
    """`?token=…` once, from the operator: kept in a cookie, dropped from the address."""
    offered = request.args.get("token")
    if offered is None:
        return None
    token = web_context().settings.dashboard_token
    if not token or not hmac.compare_digest(offered.encode(), token.encode()):
        abort(404)
    response = redirect(request.path, code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response  # type: ignore[return-value]


@dashboard.after_request
def private_headers(response: Response) -> Response:
    # A signed link must not leak through the Referer of a link to GitHub, a cache or a frame.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    return response


@dashboard.get("/runs")
@dashboard.get("/runs/")
def run_list() -> str:
    if not operator():
        abort(404)
    store, web, now = _store(), _web(), time.time()
    rows = []
    for run_id in store.run_ids(limit=LIST_LIMIT):
        state = store.load(run_id)
        if state is not None:
            rows.append(swimlanes.run_row(state, web, now))
    live = any(row.status in ("pending", "running") for row in rows)
    return render_template("runs.html", rows=rows, refresh=REFRESH_SECONDS if live else None)


@dashboard.get("/runs/<run_id>")
def run_page(run_id: str) -> str:
    if not (operator() or _signed_for(run_id)):
        abort(404)
    store = _store()
    state = store.load(run_id)
    if state is None:
        abort(404)
    page = swimlanes.run_page(
        state,
        store.history(run_id),
        web=_web(),
        now=time.time(),
        # Set once runs open an integration PR; older states have no such field.
        integration_pr=getattr(state, "integration_pr", None),
    )
    return render_template(
        "run.html",
        page=page,
        refresh=REFRESH_SECONDS if page.live else None,
        operator=operator(),
    )


def _web() -> str:
    return links.web_base(web_context().settings.github_api_url)
