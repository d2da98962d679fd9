"""Every Redis key the bot writes, in one place, so that none is spelled twice.

All live under `porch:`; RQ's own keys live under `rq:`.
"""

from __future__ import annotations

RUNS_INDEX = "porch:runs"  # sorted set: run id -> created_at, newest last
ACTIVE_RUNS = "porch:runs:active"  # set: the ids of runs not finished, for the reconciler


def run(run_id: str) -> str:
    """The run's state, as JSON."""
    return f"porch:run:{run_id}"


def config(run_id: str) -> str:
    """The repository config the run started with, as JSON."""
    return f"porch:run:{run_id}:config"


def event_log(run_id: str) -> str:
    """A list: one JSON log entry per event that changed the run (bot.core.history)."""
    return f"porch:run:{run_id}:log"


def status_comment(run_id: str) -> str:
    """The id of the run's status comment."""
    return f"porch:run:{run_id}:comment"


def render(run_id: str, what: str) -> str:
    """The prefix of the dirty mark and lock that coalesce renders of `what` (status, check)."""
    return f"porch:run:{run_id}:{what}"


def issue(repo: str, issue_number: int) -> str:
    """Points at the issue's current run."""
    return f"porch:issue:{repo}#{issue_number}"


def issue_runs(repo: str, issue_number: int) -> str:
    """A counter: how many runs the issue has had."""
    return f"porch:issue:{repo}#{issue_number}:runs"


def pulls(repo: str) -> str:
    """A hash: PR number -> `<run id> <phase id>`, for reviews and pushes that arrive on PRs."""
    return f"porch:pulls:{repo}"


def stop_flag(job_id: str) -> str:
    """Set to ask a running builder job to stop its agent."""
    return f"porch:stop:{job_id}"


def delivery(delivery_id: str) -> str:
    """Marks a webhook delivery as accepted, so a repeated one is dropped."""
    return f"porch:delivery:{delivery_id}"


def redelivery(delivery_id: str) -> str:
    """Marks a delivery the reconciler asked GitHub to send again, so it asks once an hour."""
    return f"porch:redelivery:{delivery_id}"


def answered(repo_id: int, comment_id: int, kind: str) -> str:
    """Marks a comment as answered with `kind`, so a repeated delivery answers once."""
    return f"porch:answered:{repo_id}:{comment_id}:{kind}"


def installation_token(installation_id: int) -> str:
    """The cached installation token and its expiry."""
    return f"porch:installation-token:{installation_id}"


def reconcile_tick(slot: int) -> str:
    """Claims the reconciler's tick of one time slot, so that one tick is scheduled per slot."""
    return f"porch:reconcile:tick:{slot}"
