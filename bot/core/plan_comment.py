"""The `/porch plan` comment: the graph a run would use, its waves, findings and JSON block.

One comment per issue, found again by its marker and edited in place, so asking twice shows
the newest reading without adding to the thread. Pure: no I/O.
"""

from __future__ import annotations

from bot.core.messages import TITLE
from bot.core.render import GITHUB_TEXT_LIMIT
from bot.plan.graph import PlanAnalysis
from bot.plan.model import Diagnostic, Plan
from bot.plan.render import to_json_block, to_mermaid

PLAN_MARKER = "<!-- porch-parallel:plan -->"


def _quiet(text: str) -> str:
    """Text from the plan, with `@login` kept from notifying anyone: anyone may ask for this
    comment, also on a plan written by someone without write access."""
    return text.replace("@", "@\u200b")


def _name(plan: Plan, phase_id: str) -> str:
    phase = plan.phase(phase_id)
    name = f"Phase {phase.label}: {phase.title}" if phase.label else phase.title or phase.id
    name = _quiet(name)
    return f"{name} (#{phase.issue})" if phase.issue is not None else name


def _diagnostics(title: str, items: tuple[Diagnostic, ...]) -> list[str]:
    if not items:
        return []
    listed = [
        f"- line {d.line}: {_quiet(d.message)}" if d.line else f"- {_quiet(d.message)}"
        for d in items
    ]
    return ["", f"**{title}**", "", *listed]


def _waves(plan: Plan, analysis: PlanAnalysis) -> list[str]:
    lines = ["", "**Waves** (the phases of a wave can run at the same time)", ""]
    for number, wave in enumerate(analysis.waves, start=1):
        lines.append(f"{number}. " + " · ".join(_name(plan, pid) for pid in wave))
    widest = analysis.widest_wave
    lines += [
        "",
        f"{len(plan.phases)} phases in {len(analysis.waves)} waves; "
        f"at most {widest} at once; critical path: "
        + " → ".join(f"`{pid}`" for pid in analysis.critical_path),
    ]
    return lines


def _conflicts(plan: Plan, analysis: PlanAnalysis) -> list[str]:
    if not analysis.predicted_conflicts:
        return ["", "**Predicted conflicts**: none"]
    lines = ["", "**Predicted conflicts** (can run at the same time and name the same paths)", ""]
    for conflict in analysis.predicted_conflicts:
        a, b = conflict.phases
        paths = ", ".join(f"`{p}`" for p in conflict.paths)
        lines.append(f"- {_name(plan, a)} and {_name(plan, b)}: {paths}")
    return lines


def plan_comment(source: str, plan: Plan, analysis: PlanAnalysis, note: str = "") -> str:
    """The whole comment; `note` says what a run would still refuse (an untrusted body)."""
    count = len(analysis.errors)
    verdict = "valid" if analysis.valid else f"not valid ({count} error{'s' * (count != 1)})"
    parts = [
        PLAN_MARKER,
        f"### porch plan: {len(plan.phases)} phases from {source}, {verdict}",
        "",
        "Nothing was started: `/porch parallel` runs this plan.",
    ]
    if note:
        parts += ["", f"> {note}"]
    if plan.phases:
        parts += ["", f"```mermaid\n{to_mermaid(plan, analysis)}```"]
    if analysis.valid:
        parts += _waves(plan, analysis) + _conflicts(plan, analysis)
    parts += _diagnostics("Errors", analysis.errors)
    parts += _diagnostics("Warnings", analysis.warnings)
    if plan.phases:
        parts += [
            "",
            "<details><summary>The graph as the plan's JSON block, to paste into the plan "
            "and edit</summary>",
            "",
            to_json_block(plan),
            "</details>",
        ]
    text = "\n".join(parts)
    if len(text) > GITHUB_TEXT_LIMIT:
        cut = f"\n\n{TITLE}: the rest is cut; `porch-parallel plan` shows it all."
        text = text[: GITHUB_TEXT_LIMIT - len(cut)] + cut
    return text
