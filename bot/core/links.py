"""Web addresses of what a run made on GitHub, derived from the API's address alone.

GitHub serves its API at https://api.github.com for pages on https://github.com, and GitHub
Enterprise (and the local stand-in) at `https://HOST/api/v3` for pages on `https://HOST`; the
pages of an issue, a PR and a check run follow from there, so nothing asks GitHub for them.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def web_base(api_url: str) -> str:
    """`https://github.com` for `https://api.github.com`; `https://HOST` for `…/api/v3`."""
    parts = urlsplit(api_url.rstrip("/"))
    if parts.netloc == "api.github.com":
        return "https://github.com"
    path = parts.path
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def repo_url(base: str, repo: str) -> str:
    return f"{base}/{repo}"


def issue_url(base: str, repo: str, number: int) -> str:
    return f"{base}/{repo}/issues/{number}"


def pull_url(base: str, repo: str, number: int) -> str:
    return f"{base}/{repo}/pull/{number}"


def check_run_url(base: str, repo: str, check_run_id: int) -> str:
    return f"{base}/{repo}/runs/{check_run_id}"
