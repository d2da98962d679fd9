"""Check runs: created and updated by the App, re-run and action buttons pressed by people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fakehub import render
from fakehub.errors import ApiError, not_found, validation
from fakehub.hub import Hub
from fakehub.render import JSON
from fakehub.store import CheckRun, Repo, User

STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
# GitHub's limits on action buttons.
MAX_ACTIONS = 3
ACTION_LIMITS = {"label": 20, "description": 40, "identifier": 20}
# GitHub's limit on `output.summary` and `output.text`, counted in UTF-8 bytes (its docs say
# characters; its answer says "exceeds a maximum bytesize").
MAX_OUTPUT_BYTES = 65535


def get_check_run(repo: Repo, run_id: int) -> CheckRun:
    found = repo.check_runs.get(run_id)
    if found is None:
        raise not_found()
    return found


def check_run_json(hub: Hub, repo: Repo, run: CheckRun) -> JSON:
    pulls = []
    git = hub.git(repo)
    with hub.store.lock:
        open_pulls = [i for i in repo.issues.values() if i.pull and i.state == "open"]
    for issue in open_pulls:
        assert issue.pull is not None
        if hub.head_sha(repo, issue) == run.head_sha:
            base_sha = git.ref_sha(f"refs/heads/{issue.pull.base_ref}") or run.head_sha
            pulls.append(
                {
                    "id": issue.pull.id,
                    "number": issue.number,
                    "url": f"{hub.urls.repo_api(repo)}/pulls/{issue.number}",
                    "head": render.pull_ref_min(hub.urls, repo, issue.pull.head_ref, run.head_sha),
                    "base": render.pull_ref_min(hub.urls, repo, issue.pull.base_ref, base_sha),
                }
            )
    return render.check_run(hub.urls, repo, run, hub.app_json(), pulls)


def _validate(fields: dict[str, Any]) -> None:
    if "status" in fields and fields["status"] not in STATUSES:
        raise validation("CheckRun", "status", "invalid")
    if fields.get("conclusion") is not None and fields["conclusion"] not in CONCLUSIONS:
        raise validation("CheckRun", "conclusion", "invalid")
    if fields.get("status") == "completed" and not fields.get("conclusion"):
        raise validation("CheckRun", "conclusion", "missing_field")
    _validate_actions(fields.get("actions"))
    _validate_output(fields.get("output"))
    for key in ("started_at", "completed_at"):
        try:
            _timestamp(fields.get(key))
        except ValueError as exc:
            raise validation("CheckRun", key, "invalid") from exc


def _validate_actions(actions: list[dict[str, Any]] | None) -> None:
    if actions is None:
        return
    if len(actions) > MAX_ACTIONS:
        raise validation(
            "CheckRun", "actions", "invalid", f"Only {MAX_ACTIONS} actions can be added"
        )
    for action in actions:
        for key, limit in ACTION_LIMITS.items():
            value = action.get(key)
            if not isinstance(value, str) or not value or len(value) > limit:
                raise validation("CheckRun", f"actions.{key}", "invalid")


def _validate_output(output: dict[str, Any] | None) -> None:
    if output is None:
        return
    if not (output.get("title") and output.get("summary")):
        raise validation("CheckRun", "output", "missing_field")
    for key in ("summary", "text"):
        value = output.get(key)
        if isinstance(value, str) and len(value.encode()) > MAX_OUTPUT_BYTES:
            raise validation(
                "CheckRun", key, "custom", f"{key} exceeds a maximum bytesize of {MAX_OUTPUT_BYTES}"
            )


def _timestamp(value: object) -> float | None:
    """An ISO 8601 time from the App as a unix time (ValueError when it is not one)."""
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _apply(hub: Hub, run: CheckRun, fields: dict[str, Any]) -> None:
    for key in ("name", "external_id", "details_url"):
        if key in fields:
            setattr(run, key, fields[key])
    # The App may state when the work began and ended; GitHub keeps its times.
    run.started_at = _timestamp(fields.get("started_at")) or run.started_at
    run.completed_at = _timestamp(fields.get("completed_at")) or run.completed_at
    if "output" in fields:
        run.output = dict(fields["output"])
    if "actions" in fields:
        run.actions = [dict(a) for a in fields["actions"]]
    if fields.get("conclusion") and "status" not in fields:
        fields = {**fields, "status": "completed"}
    if "status" in fields:
        run.status = fields["status"]
        if run.status == "in_progress" and run.started_at is None:
            run.started_at = hub.clock.now()
    if run.status == "completed":
        run.conclusion = fields.get("conclusion", run.conclusion)
        run.completed_at = run.completed_at or hub.clock.now()
    if run.started_at is None:
        run.started_at = hub.clock.now()


def create_check_run(hub: Hub, repo: Repo, user: User, fields: dict[str, Any]) -> CheckRun:
    name, head_sha = fields.get("name"), fields.get("head_sha")
    if not name:
        raise validation("CheckRun", "name", "missing_field")
    if not isinstance(head_sha, str) or hub.git(repo).object_type(head_sha) != "commit":
        raise ApiError(422, f"No commit found for SHA: {head_sha}")
    _validate(fields)
    with hub.store.lock:
        run = CheckRun(
            hub.store.new_id(), _suite_id(hub, repo, head_sha), head_sha, name, hub.app.owner
        )
        _apply(hub, run, fields)
        repo.check_runs[run.id] = run
    data = check_run_json(hub, repo, run)
    hub.emit("check_run", repo, user, action="created", check_run=data)
    if run.status == "completed":
        hub.emit("check_run", repo, user, action="completed", check_run=data)
    return run


def _suite_id(hub: Hub, repo: Repo, head_sha: str) -> int:
    """GitHub groups an App's runs on one commit in one check suite."""
    for run in repo.check_runs.values():
        if run.head_sha == head_sha:
            return run.suite_id
    return hub.store.new_id()


def update_check_run(
    hub: Hub, repo: Repo, run: CheckRun, user: User, fields: dict[str, Any]
) -> CheckRun:
    _validate(fields)
    with hub.store.lock:
        was_completed = run.status == "completed"
        _apply(hub, run, fields)
        completed_now = run.status == "completed" and not was_completed
    if completed_now:
        hub.emit(
            "check_run", repo, user, action="completed", check_run=check_run_json(hub, repo, run)
        )
    return run


def rerequest(hub: Hub, repo: Repo, run: CheckRun, user: User) -> None:
    """A person pressed "Re-run"."""
    hub.emit(
        "check_run", repo, user, action="rerequested", check_run=check_run_json(hub, repo, run)
    )


def request_action(hub: Hub, repo: Repo, run: CheckRun, user: User, identifier: str) -> None:
    """A person pressed one of the run's action buttons."""
    if not any(a.get("identifier") == identifier for a in run.actions):
        raise validation("CheckRun", "identifier", "invalid", f"No action {identifier!r}")
    hub.emit(
        "check_run",
        repo,
        user,
        action="requested_action",
        check_run=check_run_json(hub, repo, run),
        requested_action={"identifier": identifier},
    )


def runs_for_sha(
    repo: Repo, sha: str, name: str | None, status: str | None, latest: bool = True
) -> list[CheckRun]:
    """The runs on one commit, newest first, as GitHub lists them.

    `latest` (GitHub's default `filter=latest`) keeps only the newest run of each name in a
    check suite; the App's runs on a commit share one suite, so: the newest of each name.
    """
    runs = sorted(
        (r for r in repo.check_runs.values() if r.head_sha == sha),
        key=lambda r: r.id,
        reverse=True,
    )
    if latest:
        seen: set[tuple[int, str]] = set()
        newest = []
        for run in runs:
            if (run.suite_id, run.name) not in seen:
                seen.add((run.suite_id, run.name))
                newest.append(run)
        runs = newest
    if name is not None:
        runs = [r for r in runs if r.name == name]
    if status is not None:
        runs = [r for r in runs if r.status == status]
    return runs
