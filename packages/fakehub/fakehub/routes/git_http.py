"""Git smart HTTP (clone, fetch, push) through `git http-backend`, with GitHub's token auth."""

from __future__ import annotations

import base64
import os
import subprocess

from flask import Blueprint, Response, request

from fakehub import refs
from fakehub.auth import AuthError, Kind, Principal
from fakehub.routes.common import hub
from fakehub.store import Permission, Repo

bp = Blueprint("git_http", __name__)

SERVICES = ("info/refs", "git-upload-pack", "git-receive-pack", "HEAD")


def _challenge(message: str) -> Response:
    response = Response(message + "\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = 'Basic realm="GitHub"'
    return response


def _principal() -> Principal | None:
    """Basic auth as on github.com: any user name (`x-access-token` by convention), token as
    password; or the user's login with their personal token."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        _user, _, password = base64.b64decode(encoded).decode().partition(":")
        return hub().auth.verify_token(password)
    except (ValueError, AuthError):
        return None


@bp.route("/<owner>/<name>.git/<path:service>", methods=["GET", "POST"])
def git_service(owner: str, name: str, service: str) -> Response:
    the_hub = hub()
    repo = the_hub.store.repo(owner, name)
    if repo is None or service not in SERVICES:
        return Response("Repository not found.\n", status=404, mimetype="text/plain")
    who = _principal()
    if who is None:
        # Repositories are private: every git request needs a valid token.
        return _challenge("Invalid username or token.")
    pushing = service == "git-receive-pack" or request.args.get("service") == "git-receive-pack"
    if who.kind is Kind.INSTALLATION and not who.may_see(repo.id):
        return Response("Repository not found.\n", status=404, mimetype="text/plain")
    if who.kind is Kind.INSTALLATION and not who.may("contents", "write" if pushing else "read"):
        message = f"Permission to {repo.full_name}.git denied to {who.user.login}.\n"
        return Response(message, status=403, mimetype="text/plain")
    if who.kind is Kind.USER:
        role = repo.permission_of(who.user)
        if role is Permission.NONE or (pushing and role.rank < Permission.WRITE.rank):
            message = f"Permission to {repo.full_name}.git denied to {who.user.login}.\n"
            return Response(message, status=403, mimetype="text/plain")
    if service != "git-receive-pack":
        return _run_backend(repo, who, service)
    # Under the repository's git lock, so that the refs compared before and after moved by
    # this push alone and not by a REST call at the same moment.
    with the_hub.git_lock(repo):
        before = dict(the_hub.git(repo).refs())
        response = _run_backend(repo, who, service)
        after = dict(the_hub.git(repo).refs())
    moves = {
        ref: (before.get(ref, refs.ZERO_SHA), after.get(ref, refs.ZERO_SHA))
        for ref in set(before) | set(after)
        if before.get(ref) != after.get(ref)
    }
    if moves:
        refs.refs_moved(the_hub, repo, who.user, moves)
    return response


def _run_backend(repo: Repo, who: Principal, service: str) -> Response:
    the_hub = hub()
    env = {
        **os.environ,
        "GIT_PROJECT_ROOT": str(the_hub.repos_dir),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo.owner.login}/{repo.name}.git/{service}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string.decode(),
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "REMOTE_USER": who.user.login,
        # Read by the pre-receive hook (fakehub.gitrepo): what an App may not push.
        "FAKEHUB_PUSHER": who.kind.value,
        "REMOTE_ADDR": request.remote_addr or "127.0.0.1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    # Protocol v2 (what modern clients ask for, and what partial clones use) is opt-in per request.
    if "Git-Protocol" in request.headers:
        env["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
    if request.headers.get("Content-Encoding"):
        env["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
    data = request.get_data() if request.method == "POST" else b""
    env["CONTENT_LENGTH"] = str(len(data))
    proc = subprocess.run(
        ["git", "http-backend"], input=data, capture_output=True, env=env, check=False
    )
    return _cgi_response(proc.stdout, proc.stderr)


def _cgi_response(output: bytes, stderr: bytes) -> Response:
    head, sep, payload = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, payload = output.partition(b"\n\n")
    if not sep:
        return Response(stderr or b"git http-backend failed", status=500, mimetype="text/plain")
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            headers.append((key.strip(), value.strip()))
    return Response(payload, status=status, headers=headers)
