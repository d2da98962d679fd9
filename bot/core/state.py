"""The state of one run: its phases, their dependency graph, settings, and where each phase is.

Everything here is a frozen value; the reducer returns new states, never mutates one. The
mappings are plain dicts (JSON round-trips keep their order, which is plan order) that nobody
mutates after construction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core import codec, names
from bot.inputs.config import FailurePolicy, RepoConfig
from bot.plan.conflicts import predicted_conflicts
from bot.plan.model import Plan

__all__ = [
    "Batch",
    "ConsultationSettings",
    "FailurePolicy",
    "PhaseState",
    "PhaseStatus",
    "Review",
    "RunSettings",
    "RunState",
    "RunStatus",
    "Verdict",
    "new_run",
]


class PhaseStatus(StrEnum):
    """Where a phase is; the allowed moves are `bot.core.transitions.PHASE_TRANSITIONS`."""

    PENDING = "pending"  # waiting for its dependencies or for a free slot
    MERGING = "merging"  # its dependencies' heads being merged into its start point
    PREPARING = "preparing"  # branch, draft PR and check run being created
    QUEUED = "queued"  # its builder job waits for a free builder worker
    BUILDING = "building"  # a builder worker is at work on it
    CONSULTING = "consulting"  # built; waiting for its reviews and automated consultants
    CONFLICTED = "conflicted"  # no rung of the merge ladder merged its heads: waits for a person
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"  # a dependency failed, so it can never start
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # reserved for `/porch skip`; counts as done for dependents

    @property
    def active(self) -> bool:
        """Occupies one of the run's `max_parallel` slots."""
        return self in _ACTIVE

    @property
    def finished(self) -> bool:
        waiting = (PhaseStatus.PENDING, PhaseStatus.CONSULTING, PhaseStatus.CONFLICTED)
        return self not in waiting and self not in _ACTIVE

    @property
    def satisfies_dependents(self) -> bool:
        return self in (PhaseStatus.DONE, PhaseStatus.SKIPPED)


_ACTIVE = frozenset(
    {PhaseStatus.MERGING, PhaseStatus.PREPARING, PhaseStatus.QUEUED, PhaseStatus.BUILDING}
)


class RunStatus(StrEnum):
    PENDING = "pending"  # created by `new_run`, nothing dispatched until RunStarted
    RUNNING = "running"
    INTEGRATING = "integrating"  # every phase done: the integration PR is being opened
    DONE = "done"  # the integration PR is open
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


@dataclass(frozen=True, kw_only=True)
class ConsultationSettings:
    """The review gate of `consultation:` in the repository config, as the run started with it.

    `gated` is False when consultations do not apply to the run (see `RunSettings`): a built
    phase is then done at once, as before consultations existed.
    """

    gated: bool = False
    required_approvals: int = 1
    reviewers: tuple[str, ...] = ()
    consultants: tuple[str, ...] = ()  # the names of the automated consultants
    batch_window_seconds: int = 120
    max_iterations: int = 3

    @classmethod
    def from_config(cls, config: RepoConfig) -> ConsultationSettings:
        """The gate is on when the file has an enabled `consultation:` section that asks for
        approvals or names consultants.

        The defaults (`enabled: true`, one approval) hold only for a repository that wrote the
        section: without it, every run would wait for an approval nobody was asked for.
        """
        section = config.consultation
        explicit = "consultation" in config.model_fields_set
        return cls(
            gated=explicit
            and section.enabled
            and (section.required_approvals > 0 or bool(section.consultants)),
            required_approvals=section.required_approvals,
            reviewers=section.reviewers,
            consultants=tuple(c.name for c in section.consultants),
            batch_window_seconds=section.batch_window_seconds,
            max_iterations=section.max_iterations,
        )


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    max_parallel: int = 4
    retries: int = 0  # extra builder attempts after the first failure
    failure_policy: FailurePolicy = FailurePolicy.CONTINUE
    # How long a builder may run, checks included; past it (plus a margin) without a report,
    # the attempt counts as failed even if its job was lost without a trace.
    builder_deadline_seconds: int = 3 * 3600
    consultation: ConsultationSettings = field(default_factory=ConsultationSettings)
    # False when the config opts out of the sandbox (`builder.sandbox: none`): shown in the
    # status comment, since builders then run with the worker's user and files in reach.
    sandboxed: bool = True

    def __post_init__(self) -> None:
        if self.max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        if self.retries < 0:
            raise ValueError("retries must not be negative")


class Verdict(StrEnum):
    """A review's verdict, as codev's `consult` and GitHub's review events name them."""

    APPROVE = "APPROVE"
    REQUEST_CHANGES = "REQUEST_CHANGES"
    COMMENT = "COMMENT"


@dataclass(frozen=True, kw_only=True)
class Review:
    """A review of a phase's PR that the run took into account."""

    review_id: int
    reviewer: str  # a GitHub login, or an automated consultant's name
    verdict: Verdict
    head_sha: str  # the commit it reviewed
    iteration: int  # the review round it arrived in
    body: str = ""
    comments: tuple[str, ...] = ()  # its inline comments, "path:line: text"
    consultant: bool = False
    dismissed: bool = False


@dataclass(frozen=True, kw_only=True)
class Batch:
    """Phases whose consultation is asked for together: one comment, one round of requests."""

    number: int
    phases: tuple[str, ...]
    opened_at: float
    sent_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class PredictedConflict:
    """Two phases whose work may not merge cleanly, said before the merge that would hit it.

    `source` is "plan" (both say they touch these paths) or "git" (`git merge-tree` of their
    pushed heads conflicts in these files).
    """

    phases: tuple[str, str]
    paths: tuple[str, ...]
    source: str


@dataclass(frozen=True, kw_only=True)
class IntegrationConflict:
    """The integration branch's conflict that waits for a person's `/porch resolved`."""

    meeting: tuple[str, ...]
    files: tuple[str, ...]
    hunks: str
    rungs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PhaseState:
    phase_id: str
    status: PhaseStatus = PhaseStatus.PENDING
    # A job's identity is (iteration, attempt): a review round starts a new iteration, a
    # failed build is retried as the next attempt of the same iteration. Reports for another
    # pair are stale. `attempt` is 0 until the phase is first dispatched.
    attempt: int = 0
    iteration: int = 1
    # The attempt at which the current series of tries began: `/porch retry` grants the
    # configured retries again, while attempt numbers keep rising so late reports stay stale.
    first_attempt: int = 1
    branch: str | None = None
    base_branch: str | None = None  # what its draft PR targets
    pr_number: int | None = None
    check_run_id: int | None = None
    head_sha: str | None = None
    # Epoch seconds, from the events; never read from a clock. `started_at` is when its
    # builder first started work (queued time is not building time); `dispatched_at` when it
    # left pending.
    dispatched_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    log_tail: str = ""
    error: str = ""
    # Consultation: the commit its branch started at (its own diff is start_sha..head_sha),
    # the reviews taken into account (every round), the batch of its current round, whether
    # its automated consultants are at work on the current head, how often they were asked,
    # and whether it waits for a person after its last allowed round.
    start_sha: str | None = None
    reviews: tuple[Review, ...] = ()
    batch: int | None = None
    consultants_pending: bool = False
    consult_runs: int = 0
    needs_person: bool = False
    consulting_since: float | None = None  # when its current round's consultation began
    approved_by: str = ""  # who approved it by `/porch approve`
    rebuttal: str = ""  # what its builder answered to the last round's reviews
    # The merge ladder, one line per rung tried ("github: conflict", "local: merged", …), and
    # when it reached a person: the branch to resolve on, the files and the conflicting hunks.
    merge_rungs: tuple[str, ...] = ()
    resolve_branch: str | None = None
    conflict_files: tuple[str, ...] = ()
    conflict_hunks: str = ""


@dataclass(frozen=True, kw_only=True)
class RunState:
    run_id: str  # [A-Za-z0-9_-]: it prefixes job ids
    repo: str  # owner/name
    installation_id: int
    issue_number: int
    base_branch: str
    base_sha: str
    branch_prefix: str
    slug: str
    phases: Mapping[str, PhaseState]  # in plan order
    deps: Mapping[str, tuple[str, ...]]
    titles: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)  # "2a" as in "Phase 2a"
    settings: RunSettings = field(default_factory=RunSettings)
    status: RunStatus = RunStatus.PENDING
    version: int = 0  # bumped by every event that changes something
    created_at: float = 0.0
    finished_at: float | None = None
    # The plan as parsed once when the run started, so PR bodies and builder prompts use the
    # same plan even if the issue is edited mid-run; the reducer never reads these.
    plan_source: str = ""  # where the plan came from, e.g. "the issue body" or a file path
    overview: str = ""
    sections: Mapping[str, str] = field(default_factory=dict)
    touches: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    batches: tuple[Batch, ...] = ()
    # Phase id -> the sub-issue it is, for a plan made of sub-issues: each phase PR says
    # "Part of #n", the status comment links it, and the integration PR closes it.
    phase_issues: Mapping[str, int] = field(default_factory=dict)
    # The pull request that brings the whole run's work to the base branch.
    integration_pr: int | None = None
    integration_round: int = 1  # a person's resolution of its conflict starts the next
    integration_conflict: IntegrationConflict | None = None
    # Conflicts predicted between phases that run beside each other: from the plan at the start,
    # then from git each time a phase is pushed (replacing git's earlier word on that phase).
    predicted: tuple[PredictedConflict, ...] = ()
    integration_error: str = ""

    def phase(self, phase_id: str) -> PhaseState:
        return self.phases[phase_id]

    def awaiting(
        self, phase_id: str, attempt: int, *statuses: PhaseStatus, iteration: int = 1
    ) -> PhaseState | None:
        """The phase if it is in one of `statuses` at this iteration and attempt, else None.

        An event or a job for another attempt, or for a phase that has moved on, is stale;
        the reducer and the jobs performing effects both ask this question.
        """
        phase = self.phases.get(phase_id)
        if (
            phase is None
            or phase.attempt != attempt
            or phase.iteration != iteration
            or phase.status not in statuses
        ):
            return None
        return phase

    def branch_for(self, phase_id: str) -> str:
        return names.phase_branch(self.branch_prefix, self.issue_number, self.slug, phase_id)

    def merge_branch_for(self, phase_id: str) -> str:
        return names.merge_base_branch(self.branch_prefix, self.issue_number, self.slug, phase_id)

    @property
    def integration_branch(self) -> str:
        """Where the phases nothing depends on meet, for the integration PR."""
        return (
            f"{names.run_branch_root(self.branch_prefix, self.issue_number, self.slug)}/integration"
        )

    def leaves(self) -> tuple[str, ...]:
        """Done phases no other done phase builds on: together they hold all the run's work."""
        done = [p for p, s in self.phases.items() if s.status is PhaseStatus.DONE]
        held = {d for p in done for d in self._ancestors(p)}
        return tuple(p for p in done if p not in held)

    def _ancestors(self, phase_id: str) -> set[str]:
        found: set[str] = set()
        stack = list(self.deps[phase_id])
        while stack:
            dep = stack.pop()
            if dep not in found:
                found.add(dep)
                stack.extend(self.deps[dep])
        return found

    def resolve_branch_for(self, phase_id: str) -> str:
        """Where a person resolves a conflict the merge ladder could not."""
        return f"{self.branch_for(phase_id)}-resolve"

    def concurrent(self, phase_id: str) -> tuple[str, ...]:
        """Phases that may run beside `phase_id`: neither builds on the other."""
        related = {phase_id, *self._ancestors(phase_id), *self.dependents(phase_id)}
        return tuple(p for p in self.phases if p not in related)

    def with_git_conflicts(self, phase_id: str, found: tuple[PredictedConflict, ...]) -> RunState:
        """What git found for `phase_id`'s new head replaces what it found before."""
        kept = tuple(c for c in self.predicted if not (c.source == "git" and phase_id in c.phases))
        return dataclasses.replace(self, predicted=kept + found)

    def conflicts_of(self, phase_id: str) -> tuple[PredictedConflict, ...]:
        return tuple(c for c in self.predicted if phase_id in c.phases)

    def dependents(self, phase_id: str) -> tuple[str, ...]:
        """Phases that depend on `phase_id`, directly or not, in plan order."""
        found: set[str] = {phase_id}
        # Plan order is a topological order, so one pass finds every transitive dependent.
        for pid, deps in self.deps.items():
            if any(d in found for d in deps):
                found.add(pid)
        return tuple(p for p in self.phases if p in found and p != phase_id)

    def count(self, *statuses: PhaseStatus) -> int:
        return sum(1 for p in self.phases.values() if p.status in statuses)

    def with_phase(self, phase: PhaseState) -> RunState:
        return dataclasses.replace(self, phases={**self.phases, phase.phase_id: phase})

    def to_dict(self) -> dict[str, Any]:
        return dict(codec.encode(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunState:
        return codec.decode(cls, data)


def new_run(
    plan: Plan,
    *,
    run_id: str,
    repo: str,
    installation_id: int,
    issue_number: int,
    issue_title: str,
    base_branch: str,
    base_sha: str,
    created_at: float,
    settings: RunSettings | None = None,
    branch_prefix: str = "porch",
    plan_source: str = "",
    run_number: int = 1,
) -> RunState:
    """The initial state of a run over a valid plan: every phase pending, nothing dispatched.

    Raises ValueError for a plan with errors or no phases, or a run id unfit for a job id.
    """
    if plan.errors:
        raise ValueError(f"plan has errors: {plan.errors[0].message}")
    if not plan.phases:
        raise ValueError("plan has no phases")
    if not names.is_key_safe(run_id):
        raise ValueError(f"run id {run_id!r} must only contain [A-Za-z0-9_-]")
    ids = _topological_order(plan)
    deps = {p.id: tuple(dict.fromkeys(p.depends_on)) for p in plan.phases}
    return RunState(
        run_id=run_id,
        repo=repo,
        installation_id=installation_id,
        issue_number=issue_number,
        base_branch=base_branch,
        base_sha=base_sha,
        branch_prefix=names.branch_prefix(branch_prefix),
        # A later run of the same issue gets branches of its own, never the old run's work.
        slug=names.slugify(issue_title) + (f"-run{run_number}" if run_number > 1 else ""),
        phases={pid: PhaseState(phase_id=pid) for pid in ids},
        deps={pid: deps[pid] for pid in ids},
        titles={pid: plan.phase(pid).title for pid in ids},
        labels={pid: plan.phase(pid).label for pid in ids},
        settings=settings or RunSettings(),
        created_at=created_at,
        plan_source=plan_source,
        overview=plan.overview,
        sections={pid: plan.phase(pid).section for pid in ids},
        touches={pid: tuple(plan.phase(pid).touches) for pid in ids},
        phase_issues={pid: issue for pid in ids if (issue := plan.phase(pid).issue) is not None},
        predicted=_plan_conflicts(plan, deps),
    )


def _plan_conflicts(
    plan: Plan, deps: Mapping[str, tuple[str, ...]]
) -> tuple[PredictedConflict, ...]:
    ancestors: dict[str, set[str]] = {}
    for pid in _topological_order(plan):
        ancestors[pid] = {d for dep in deps[pid] for d in (dep, *ancestors[dep])}
    found = predicted_conflicts(plan.phases, lambda a, b: a in ancestors[b])
    return tuple(PredictedConflict(phases=c.phases, paths=c.paths, source="plan") for c in found)


def _topological_order(plan: Plan) -> list[str]:
    """Phase ids with every dependency before its dependents, otherwise in plan order.

    The reducer walks the graph in one pass in this order, and "plan order" for dispatch and
    display means this order. The plan engine already refuses cycles and unknown ids; they
    are checked again here because a wrong graph would silently stall a run.
    """
    ids = [p.id for p in plan.phases]
    if len(set(ids)) != len(ids):
        raise ValueError("plan has duplicate phase ids")
    waiting = {p.id: set(p.depends_on) for p in plan.phases}
    for pid, deps in waiting.items():
        unknown = deps - waiting.keys()
        if unknown:
            raise ValueError(f"{pid} depends on unknown phases {sorted(unknown)}")
    order: list[str] = []
    while waiting:
        ready = next((pid for pid in ids if pid in waiting and not waiting[pid]), None)
        if ready is None:
            raise ValueError(f"plan has a dependency cycle among {sorted(waiting)}")
        order.append(ready)
        del waiting[ready]
        for deps in waiting.values():
            deps.discard(ready)
    return order
