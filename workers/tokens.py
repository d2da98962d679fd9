"""Tokens for one builder job: narrowed to the run's repository, handed over once, revoked.

A builder worker holds neither the App's private key nor its webhook secret. When it needs
tokens it enqueues `workers.minting.mint_for_builder` on the events queue (whose workers hold
the key) with a fresh one-time key, and waits on that key; the events worker checks that the
phase is really waiting for a builder, mints the tokens for the run's own repository only,
and pushes them there with a short expiry; the builder worker's BLPOP takes and deletes them.
A process that already holds the key (the tests, a one-process setup) mints them itself.
Either way they are never cached, live in the worker process only, and are revoked when the
job ends.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.adapters import keys
from bot.adapters.github.auth import revoke
from bot.adapters.queues import events_queue
from bot.core.state import PhaseStatus
from bot.errors import GitHubAuthError
from workers.runtime import Runtime

log = logging.getLogger(__name__)

# git needs only this to clone and push the phase branch.
PUSH_PERMISSIONS = {"contents": "write"}
# The job's REST calls: the dependencies' PR files for the prompt, the phase's check run.
API_PERMISSIONS = {"checks": "write", "pull_requests": "read"}
HANDOVER_SECONDS = 60
# Tokens live an hour; a push after a long build gets fresh ones rather than risk expiry.
FRESH_SECONDS = 40 * 60
MINT_JOB = "workers.minting.mint_for_builder"


@dataclass(frozen=True, repr=False)
class JobTokens:
    """The two tokens of one builder job; never logged (see `__repr__`)."""

    push: str
    api: str
    minted_at: float = 0.0

    def __repr__(self) -> str:
        return "JobTokens(push=***, api=***)"

    @property
    def secrets(self) -> list[str]:
        return [self.push, self.api]


def mint(rt: Runtime, run_id: str, phase_id: str) -> JobTokens:
    state = rt.store.load(run_id)
    # Only for a phase whose builder is due: a request naming anything else gets nothing.
    if state is None or phase_id not in state.phases:
        raise GitHubAuthError(f"no run {run_id} with a phase {phase_id!r}: no token minted")
    if state.phase(phase_id).status not in (PhaseStatus.QUEUED, PhaseStatus.BUILDING):
        raise GitHubAuthError(f"run {run_id}: {phase_id} is not building: no token minted")
    auth = rt.auth
    push = auth.scoped_token(state.installation_id, state.repo, PUSH_PERMISSIONS)
    api = auth.scoped_token(state.installation_id, state.repo, API_PERMISSIONS)
    log.info("run %s: minted %s's tokens for %s only", run_id, phase_id, state.repo)
    return JobTokens(push.token, api.token, rt.clock())


@contextmanager
def builder_tokens(rt: Runtime, run_id: str, phase_id: str) -> Iterator[JobTokens]:
    """The job's tokens, revoked however the job ends."""
    tokens = mint(rt, run_id, phase_id) if rt.auth.has_key else _handed_over(rt, run_id, phase_id)
    try:
        yield tokens
    finally:
        state = rt.store.load(run_id)
        for token in tokens.secrets:
            if state is not None:
                rt.auth.budget(state.installation_id).before("DELETE")
            if not revoke(rt.settings.github_api_url, token):
                log.warning("run %s: a token of %s was not revoked", run_id, phase_id)


def _handed_over(rt: Runtime, run_id: str, phase_id: str) -> JobTokens:
    handover = keys.token_handover(secrets.token_hex(16))
    events_queue(rt.redis).enqueue_call(
        MINT_JOB,
        args=(run_id, phase_id, handover),
        timeout=HANDOVER_SECONDS,
        ttl=HANDOVER_SECONDS,
        result_ttl=0,
        failure_ttl=3600,
        description=f"tokens for {run_id} {phase_id}",
        # A builder waits on it: ahead of status and check-run updates.
        at_front=True,
    )
    popped = rt.redis.blpop([handover], timeout=HANDOVER_SECONDS)
    if popped is None:
        raise GitHubAuthError(
            f"no events worker minted tokens for {phase_id} within {HANDOVER_SECONDS}s: "
            "is an events worker running?"
        )
    data = json.loads(popped[1])
    return JobTokens(push=str(data["push"]), api=str(data["api"]), minted_at=rt.clock())
