"""The prompt a builder reads: what to build, what it builds on, and where siblings work. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.state import RunState


@dataclass(frozen=True)
class DependencyNote:
    phase_id: str
    title: str
    pr_number: int | None
    changed_files: Sequence[str]


@dataclass(frozen=True)
class PromptInput:
    run_id: str
    phase_id: str
    title: str
    section: str
    overview: str
    iteration: int  # the review round, from 1
    attempt: int = 1  # the build attempt within the round, from 1
    dependencies: Sequence[DependencyNote] = ()
    # Files that phases running at the same time said they will touch, keyed by phase title.
    sibling_touches: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Conflicts predicted with those phases: "title: `a.py`, `b.py` (git found …)".
    conflicts: Sequence[str] = ()
    feedback: str = ""


def conflict_notes(state: RunState, phase_id: str) -> list[str]:
    """The conflicts predicted between `phase_id` and the phases beside it, one line each."""
    notes = []
    for conflict in state.conflicts_of(phase_id):
        other = conflict.phases[1] if conflict.phases[0] == phase_id else conflict.phases[0]
        paths = ", ".join(f"`{p}`" for p in conflict.paths[:20])
        why = "git found their pushed work conflicts" if conflict.source == "git" else "planned"
        notes.append(f"{state.titles.get(other, other)} ({other}): {paths} ({why})")
    return notes


def build_prompt(data: PromptInput) -> str:
    parts = [
        f"# Phase {data.phase_id}: {data.title}",
        "",
        f"You are building one phase of a plan (run `{data.run_id}`, iteration "
        f"{data.iteration}, attempt {data.attempt}). Other phases are being built at the same "
        "time on other branches; do only this phase's work. Commit when you are done, or "
        "leave your changes in the work tree and they will be committed for you.",
    ]
    if data.overview.strip():
        parts += ["", "## The plan's overview", "", data.overview.strip()]
    parts += ["", "## This phase", "", data.section.strip() or data.title]
    if data.dependencies:
        parts += ["", "## Already done (this branch holds their work)", ""]
        for note in data.dependencies:
            pr = f" (#{note.pr_number})" if note.pr_number else ""
            files = ", ".join(f"`{path}`" for path in note.changed_files) or "no files"
            parts.append(f"- {note.phase_id}: {note.title}{pr}: changed {files}")
    if data.sibling_touches:
        parts += [
            "",
            "## Keep out of the way of phases running beside this one",
            "",
            "They said they will change these files; avoid editing them if you can:",
            "",
        ]
        for title, paths in data.sibling_touches.items():
            listed = ", ".join(f"`{path}`" for path in paths) or "(nothing declared)"
            parts.append(f"- {title}: {listed}")
    if data.conflicts:
        parts += [
            "",
            "## Conflicts predicted with phases beside this one",
            "",
            "Their work and this phase's are expected to meet in these files. Change them only "
            "as much as this phase needs, and keep additions apart from theirs:",
            "",
            *(f"- {line}" for line in data.conflicts),
        ]
    if data.feedback.strip():
        parts += ["", "## Review feedback to address", "", data.feedback.strip()]
    return "\n".join(parts) + "\n"


def resolver_prompt(
    state: RunState, phase_id: str, meeting: Sequence[str], files: Sequence[str]
) -> str:
    """What the resolver builder reads: whose work meets in the conflict, and what each was for.

    `phase_id` is the phase that starts from the merge, or any other id for the integration PR.
    """
    next_up = phase_id if phase_id in state.titles else "the integration PR"
    heading = f"{phase_id}: {state.titles[phase_id]}" if phase_id in state.titles else next_up
    parts = [
        f"# Resolve a merge conflict before {heading}",
        "",
        f"The work of {', '.join(meeting)} is being merged as the starting point of {next_up} "
        f"(run `{state.run_id}`). git could not merge it: the files below hold conflict "
        "markers (`<<<<<<<`, `=======`, `>>>>>>>`). Edit them so that each keeps what every "
        "phase meant to do, remove every marker, and do not commit: the result is checked "
        "for markers, the configured checks run on it, and it is committed for you.",
        "",
        "## Files in conflict",
        "",
        *(f"- `{path}`" for path in files),
    ]
    if state.overview.strip():
        parts += ["", "## The plan's overview", "", state.overview.strip()]
    parts += ["", "## The phases whose work meets here", ""]
    for pid in meeting:
        parts += [f"### {pid}: {state.titles.get(pid, '')}", ""]
        parts += [state.sections.get(pid, "").strip() or "(no description)", ""]
    what = (
        state.sections.get(phase_id, "").strip()
        or "The pull request that brings every phase to the default branch."
    )
    parts += [f"### What comes next: {heading}", "", what]
    return "\n".join(parts).rstrip() + "\n"
