"""A small Python client for the control API, for tests and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests


class ControlError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"fakehub control API answered {status}: {body}")
        self.status = status
        self.body = body


class FakeHubControl:
    """Acts as people on the stand-in and reads what it saw. `base_url` is like http://h:p."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        response = self.session.request(
            method,
            f"{self.base_url}/_fakehub{path}",
            json=json,
            params=params or None,
            timeout=30,
        )
        if response.status_code >= 400:
            raise ControlError(response.status_code, response.text)
        return response.json() if response.content else None

    # -- setup ------------------------------------------------------------------------------

    def app(self) -> dict[str, Any]:
        """The App's credentials: app_id, private_key, webhook_secret, installation_id, ..."""
        return self._call("GET", "/app")

    def create_repo(
        self,
        full_name: str,
        source: Path | str | None = None,
        files: dict[str, str] | None = None,
        default_branch: str = "main",
        description: str | None = None,
    ) -> dict[str, Any]:
        """A repository whose first commit holds `source` (a local directory) and/or `files`."""
        owner, name = full_name.split("/", 1)
        return self._call(
            "POST",
            "/repos",
            {
                "owner": owner,
                "name": name,
                "source": str(source) if source is not None else None,
                "files": files,
                "default_branch": default_branch,
                "description": description,
            },
        )

    def add_user(self, login: str) -> str:
        """Create a person; returns a personal token for the REST API and git."""
        return str(self._call("POST", "/users", {"login": login})["token"])

    def add_collaborator(self, full_name: str, login: str, permission: str = "write") -> str:
        """Give a person a role (read, triage, write, maintain, admin); returns their token."""
        data = self._call(
            "PUT", f"/repos/{full_name}/collaborators/{login}", {"permission": permission}
        )
        return str(data["token"])

    # -- acting as people -------------------------------------------------------------------

    def open_issue(
        self, full_name: str, user: str, title: str, body: str = "", labels: list[str] | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/repos/{full_name}/issues",
            {"user": user, "title": title, "body": body, "labels": labels},
        )

    def comment(self, full_name: str, number: int, user: str, body: str) -> dict[str, Any]:
        return self._call(
            "POST", f"/repos/{full_name}/issues/{number}/comments", {"user": user, "body": body}
        )

    def update_issue(
        self, full_name: str, number: int, user: str, **changes: Any
    ) -> dict[str, Any]:
        """Edit an issue: title, body, state ("closed" closes it), state_reason."""
        return self._call("PATCH", f"/repos/{full_name}/issues/{number}", {"user": user, **changes})

    def add_sub_issue(self, full_name: str, parent: int, child: int, user: str) -> dict[str, Any]:
        """Make issue `child` a sub-issue of `parent` (both numbers in `full_name`)."""
        return self._call(
            "POST",
            f"/repos/{full_name}/issues/{parent}/sub_issues",
            {"user": user, "number": child},
        )

    def add_blocked_by(
        self, full_name: str, number: int, blocker: int, user: str
    ) -> dict[str, Any]:
        """Mark issue `number` as blocked by issue `blocker` (both in `full_name`)."""
        return self._call(
            "POST",
            f"/repos/{full_name}/issues/{number}/blocked_by",
            {"user": user, "number": blocker},
        )

    def edit_comment(
        self, full_name: str, comment_id: int, body: str, user: str | None = None
    ) -> dict[str, Any]:
        return self._call(
            "PATCH",
            f"/repos/{full_name}/issues/comments/{comment_id}",
            {"user": user, "body": body},
        )

    def open_pull(
        self,
        full_name: str,
        user: str,
        title: str,
        head: str,
        base: str | None = None,
        body: str = "",
        draft: bool = False,
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/repos/{full_name}/pulls",
            {
                "user": user,
                "title": title,
                "head": head,
                "base": base,
                "body": body,
                "draft": draft,
            },
        )

    def review(
        self,
        full_name: str,
        number: int,
        user: str,
        event: str,
        body: str = "",
        *,
        commit_id: str | None = None,
        comments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Submit a review: event is APPROVE, REQUEST_CHANGES or COMMENT; `commit_id` the
        commit reviewed (default: the head); `comments` inline ones ({path, line, body})."""
        return self._call(
            "POST",
            f"/repos/{full_name}/pulls/{number}/reviews",
            {
                "user": user,
                "event": event,
                "body": body,
                "commit_id": commit_id,
                "comments": comments or [],
            },
        )

    def dismiss_review(
        self, full_name: str, number: int, review_id: int, user: str, message: str = "outdated"
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/repos/{full_name}/pulls/{number}/reviews/{review_id}/dismissals",
            {"user": user, "message": message},
        )

    def merge_pull(
        self, full_name: str, number: int, user: str, merge_method: str = "merge"
    ) -> str:
        data = self._call(
            "POST",
            f"/repos/{full_name}/pulls/{number}/merge",
            {"user": user, "merge_method": merge_method},
        )
        return str(data["sha"])

    def ready_for_review(self, full_name: str, number: int, user: str) -> None:
        self._call("POST", f"/repos/{full_name}/pulls/{number}/ready_for_review", {"user": user})

    def rerun_check(self, full_name: str, run_id: int, user: str) -> None:
        """Press the check run's "Re-run" button."""
        self._call("POST", f"/repos/{full_name}/check-runs/{run_id}/rerequest", {"user": user})

    def press_action(self, full_name: str, run_id: int, identifier: str, user: str) -> None:
        """Press one of the check run's action buttons."""
        self._call(
            "POST", f"/repos/{full_name}/check-runs/{run_id}/actions/{identifier}", {"user": user}
        )

    def send_installation_event(self, action: str = "created") -> None:
        self._call("POST", "/installation/events", {"action": action})

    def ping(self) -> None:
        """Send a `ping` webhook, as GitHub does when the App's webhook is set up."""
        self._call("POST", "/ping")

    # -- webhooks ---------------------------------------------------------------------------

    def set_webhook_url(self, url: str | None) -> None:
        self._call("PUT", "/webhook", {"url": url})

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every webhook queued so far has been delivered (or has failed)."""
        self._call("POST", "/deliveries/flush", timeout=timeout)

    def deliveries(self, event: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/deliveries")
        return [d for d in found if event is None or d["event"] == event]

    def redeliver(self, guid: str) -> dict[str, Any]:
        return self._call("POST", f"/deliveries/{guid}/redeliver")

    # -- faults and observation -------------------------------------------------------------

    def add_fault(
        self, kind: str, method: str = "*", path: str = "*", **options: Any
    ) -> dict[str, Any]:
        """kind: error, error_after, primary_rate_limit, secondary_rate_limit, delay.

        Options: status, times (None: unlimited), delay, retry_after, reset_after (seconds
        from now to a primary limit's reset).
        """
        return self._call(
            "POST", "/faults", {"kind": kind, "method": method, "path": path, **options}
        )

    def set_limits(self, enabled: bool = True, **numbers: int) -> dict[str, Any]:
        """Enforce GitHub's secondary limits (80 writes a minute, 500 an hour, 100 at once),
        or other numbers, answering as GitHub does; `enabled=False` switches them off."""
        return dict(self._call("PUT", "/limits", {"enabled": enabled, **numbers}))

    def limits(self) -> dict[str, Any]:
        """The secondary limits in force (`enabled` False: none)."""
        return dict(self._call("GET", "/limits"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self) -> list[dict[str, Any]]:
        """The REST and git requests seen so far: method, path, status, time, ..."""
        return self._call("GET", "/requests")

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def violations(self) -> list[str]:
        return self._call("GET", "/violations")

    def advance_clock(self, seconds: float) -> float:
        """Move the stand-in's clock forward (tokens and JWTs are judged by it)."""
        return float(self._call("POST", "/clock", {"advance": seconds})["now"])
