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


def command_done(repo_id: int, comment_id: int, index: int) -> str:
    """Marks the `index`th command of a comment as carried out: a comment delivered again
    (GitHub's redelivery, ours, or a captured request replayed) does nothing twice."""
    return f"porch:done:{repo_id}:{comment_id}:{index}"


def installation_token(installation_id: int) -> str:
    """The cached installation token and its expiry (events workers and the web app only)."""
    return f"porch:installation-token:{installation_id}"


def token_handover(nonce: str) -> str:
    """A one-time list: the tokens an events worker minted for one builder job.

    The builder worker pops them (BLPOP deletes what it reads); they expire within a minute
    when nobody does. Only processes holding the Redis password reach it; a sandbox does not.
    """
    return f"porch:tokens:{nonce}"


def reconcile_tick(slot: int) -> str:
    """Claims the reconciler's tick of one time slot, so that one tick is scheduled per slot."""
    return f"porch:reconcile:tick:{slot}"


def metric(kind: str, name: str) -> str:
    """A hash of one counter's or histogram's series: labels -> value (bot.adapters.metrics)."""
    return f"porch:metrics:{kind}:{name}"


def github_writes(installation_id: int) -> str:
    """A sorted set: one member per content-creating request to GitHub in the last hour."""
    return f"porch:github:{installation_id}:writes"


def github_pause(installation_id: int) -> str:
    """When GitHub said to wait (`retry-after`, a spent primary limit): until this time."""
    return f"porch:github:{installation_id}:pause"
