"""What consultation shows and tells. Pure: the batch comment on the issue, a consultant's
review, and the review feedback a builder reads in its next round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from bot.core.redact import redact
from bot.core.reducer.consulting import approvals, awaited
from bot.core.render import cell
from bot.core.state import PhaseState, PhaseStatus, Review, RunState, Verdict

BODY_LIMIT = 60000  # GitHub takes 65,536 characters in a review or comment body
REBUTTAL_LIMIT = 20000
_MARKER = "<!-- porch-parallel:consultation run={run_id} batch={batch} -->"


@dataclass(frozen=True)
class FileStat:
    """One file a PR changes."""

    path: str
    additions: int
    deletions: int


def batch_marker(run_id: str, batch: int) -> str:
    return _MARKER.format(run_id=run_id, batch=batch)


def consultant_marker(run_id: str, phase_id: str, iteration: int, run: int, name: str) -> str:
    """Finds a consultant's review again: posted once per consultant, round and request."""
    return (
        f"<!-- porch-parallel:consultant run={run_id} phase={phase_id} i={iteration} "
        f"r={run} name={name} -->"
    )


def rebuttal_marker(run_id: str, phase_id: str, iteration: int) -> str:
    return f"<!-- porch-parallel:rebuttal run={run_id} phase={phase_id} i={iteration} -->"


def batch_comment(state: RunState, number: int, files: Mapping[str, Sequence[FileStat]]) -> str:
    """The one comment asking for a batch's consultation: each phase with its PR, diff stat,
    touched files and state, conflicts predicted between them, and consultants' verdicts."""
    batch = next(b for b in state.batches if b.number == number)
    settings = state.settings.consultation
    lines = [
        f"### porch parallel: consultation {number}",
        "",
        _asked(settings.reviewers, settings.required_approvals, len(batch.phases)),
        "",
        "| Phase | PR | Changes | State |",
        "|---|---|---|---|",
    ]
    for pid in batch.phases:
        phase = state.phases[pid]
        stats = files.get(pid, ())
        added = sum(f.additions for f in stats)
        deleted = sum(f.deletions for f in stats)
        pr = f"#{phase.pr_number}" if phase.pr_number else "—"
        change = f"{len(stats)} files, +{added} −{deleted}"
        lines.append(f"| {cell(_name(state, pid))} | {pr} | {change} | {_state(state, phase)} |")
    for pid in batch.phases:
        touched = ", ".join(f"`{f.path}`" for f in files.get(pid, ())[:30]) or "nothing"
        lines += ["", f"**{_name(state, pid)}** touched {touched}"]
    conflicts = predicted_conflicts(state, batch.phases, files)
    lines += ["", "**Conflicts predicted between them:** " + (conflicts or "none")]
    verdicts = _verdicts(state, batch.phases)
    if verdicts:
        lines += ["", "**Automated consultants**", "", *verdicts]
    lines += ["", batch_marker(state.run_id, number)]
    return _cut("\n".join(lines))


def predicted_conflicts(
    state: RunState, phases: Sequence[str], files: Mapping[str, Sequence[FileStat]]
) -> str:
    """Files two phases of the batch both change, and what git found between any of them and
    the phases beside them (`git merge-tree` of their pushed heads)."""
    pairs = []
    for a, b in combinations(phases, 2):
        shared = sorted({f.path for f in files.get(a, ())} & {f.path for f in files.get(b, ())})
        if shared:
            pairs.append(f"{a} and {b} both change " + ", ".join(f"`{p}`" for p in shared))
    for conflict in state.predicted:
        if conflict.source == "git" and set(conflict.phases) & set(phases):
            a, b = conflict.phases
            listed = ", ".join(f"`{p}`" for p in conflict.paths[:10])
            pairs.append(f"git finds {a} and {b} conflict in {listed}")
    return "; ".join(pairs)


def _asked(reviewers: Sequence[str], required: int, count: int) -> str:
    who = ", ".join(f"@{r}" for r in reviewers)
    these = "this phase" if count == 1 else f"these {count} phases"
    ask = f"{who}: please review {these}." if who else f"Please review {these}."
    need = f"Each needs {required} approval{'s' if required != 1 else ''} of its current head"
    return (
        f"{ask} {need} and no request for changes before the phases that depend on it start. "
        "A request for changes sends the phase back to its builder with your review. "
        "Someone with write access can also comment `/porch approve <phase>`."
    )


def _state(state: RunState, phase: PhaseState) -> str:
    if phase.status is PhaseStatus.CONSULTING:
        got = len(approvals(phase))
        waiting = awaited(state, phase)
        text = f"{got} of {state.settings.consultation.required_approvals} approvals"
        return text + (f"; waiting for {', '.join(waiting)}" if waiting else "")
    if phase.status is PhaseStatus.QUEUED or phase.status is PhaseStatus.BUILDING:
        return f"changes requested: round {phase.iteration}"
    return phase.status.value


def _verdicts(state: RunState, phases: Sequence[str]) -> list[str]:
    lines = []
    for pid in phases:
        for review in state.phases[pid].reviews:
            if review.consultant:
                first = next((ln for ln in review.body.splitlines() if ln.strip()), "")
                lines.append(
                    f"- {pid} round {review.iteration}, **{review.reviewer}**: "
                    f"{review.verdict.value}: {cell(first)}"
                )
    return lines


def consultant_review(name: str, verdict: Verdict, note: str, output: str) -> str:
    """A consultant's review body: headed by its name and verdict, then what it said."""
    heading = f"### {name}: {verdict.value}"
    if note:
        heading += f" ({note})"
    return _cut(f"{heading}\n\n{output.strip() or '(no output)'}")


def round_feedback(phase: PhaseState, iteration: int) -> str:
    """Every review of round `iteration` that was not dismissed: bodies, inline comments and
    consultants' summaries, for the builder's next round."""
    reviews = [r for r in phase.reviews if r.iteration == iteration and not r.dismissed]
    if not reviews:
        return ""
    parts = [f"Round {iteration} of review asked for changes. The reviews of that round:"]
    for review in reviews:
        parts += ["", _review_heading(review), "", review.body.strip() or "(no text)"]
        if review.comments:
            parts += ["", "Inline comments:", *(f"- {c}" for c in review.comments)]
    parts += [
        "",
        "Address what you agree with. For every point you disagree with, explain why in the "
        "file named by `PORCH_REBUTTAL_FILE`: it is posted on the PR and given to the next "
        "round's reviewers.",
    ]
    return "\n".join(parts)


def _review_heading(review: Review) -> str:
    who = f"consultant {review.reviewer}" if review.consultant else f"@{review.reviewer}"
    return f"#### {who}: {review.verdict.value} (of {review.head_sha[:7]})"


def rebuttal_comment(phase_id: str, iteration: int, text: str, secrets: Sequence[str]) -> str:
    body = redact(text.strip()[:REBUTTAL_LIMIT], secrets)
    return f"### Builder's answer to round {iteration - 1} of review ({phase_id})\n\n{body}"


def consultant_prompt(state: RunState, phase_id: str, rebuttal: str) -> str:
    """What a consultant reviews: the phase's section of the plan, and what to answer with."""
    parts = [
        f"# Review of phase {phase_id}: {state.titles[phase_id]}",
        "",
        "Review this phase's work: its diff against its own start (in `PORCH_DIFF_FILE`) "
        "implements the plan section below. Work of other phases is not part of it. End with "
        "one line `VERDICT: APPROVE`, `VERDICT: REQUEST_CHANGES` or `VERDICT: COMMENT`.",
        "",
        "## The plan's section",
        "",
        state.sections.get(phase_id, "").strip() or state.titles[phase_id],
    ]
    if rebuttal.strip():
        parts += ["", "## The builder's answer to the last round's reviews", "", rebuttal.strip()]
    return "\n".join(parts) + "\n"


def _name(state: RunState, pid: str) -> str:
    label = state.labels.get(pid)
    return f"Phase {label}: {state.titles[pid]}" if label else f"{pid}: {state.titles[pid]}"


def _cut(text: str) -> str:
    return text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1] + "…"
