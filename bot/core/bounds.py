"""How long a phase may stay in each state that waits on a job before the run gives up on it.

A job can be lost (its worker died, Redis lost it) and the reconciler enqueues it again, but a
phase must never wait forever: past its bound, the reconciler reports `PhaseOverdue` and the
phase fails, saying why. `building` has its own deadline timer (the builder's timeout plus a
grace period; bot/core/reducer/building.py), so it is not listed here.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.state import PhaseStatus

# A merge or a prepare is a few GitHub calls in a job of five minutes at most, tried four
# times over two minutes of pauses: half an hour means GitHub, or every events worker, is down.
# A queued builder waits for a free builder worker, which may take as long as other builders
# run: six hours means no builder worker is taking jobs.
STATE_BOUNDS: Mapping[PhaseStatus, int] = {
    # Merging climbs the merge ladder: past GitHub's merges API, a clone and the resolver
    # builder wait for a builder worker and run for up to the builder's timeout.
    PhaseStatus.MERGING: 6 * 3600,
    PhaseStatus.PREPARING: 30 * 60,
    PhaseStatus.QUEUED: 6 * 3600,
}


def bound(status: PhaseStatus) -> int | None:
    """Seconds a phase may stay in `status`; None when the state has no bound here."""
    return STATE_BOUNDS.get(status)
