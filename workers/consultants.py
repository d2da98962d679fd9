"""The automated consultants' job: each configured consultant reviews a phase's head, in
parallel, in a clone of the phase branch on a builder worker; each verdict is posted once as a
PR review, and all of them reach the run in one ConsultantsFinished.

A consultant is a command, run as a builder is (`bot.adapters.process.run_command`, in its own
process group, under its timeout, with the same environment rules). It reads the phase's diff
against the phase's own start (`PORCH_DIFF_FILE`), so work of upstream or sibling phases is
not reviewed again, and answers as codev's `consult` does (`bot.core.verdicts`).
"""

from __future__ import annotations

import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.git import GitAuth, GitError, clone, git
from bot.adapters.github.client import RepoClient
from bot.adapters.process import CommandResult, run_command
from bot.adapters.sandbox import Sandbox, for_repository
from bot.core.consultation import consultant_marker, consultant_prompt, consultant_review
from bot.core.effects import RunConsultants
from bot.core.events import ConsultantsFinished, ConsultantVerdict
from bot.core.redact import redact
from bot.core.state import RunState, Verdict
from bot.core.verdicts import read_verdict
from bot.inputs.config import Consultant, RepoConfig
from workers.runtime import Runtime

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 50000  # characters of a consultant's output read and posted


@dataclass(frozen=True)
class Inputs:
    """The files and variables every consultant of one job gets."""

    work: Path
    env: dict[str, str]
    secrets: list[str]
    sandbox: Sandbox


def run_consultants(rt: Runtime, state: RunState, effect: RunConsultants) -> ConsultantsFinished:
    config = rt.store.load_config(state.run_id)
    consultants = config.consultation.consultants
    with tempfile.TemporaryDirectory(prefix=f"porch-{state.run_id}-consult-") as tmp:
        inputs = _prepare(rt, state, effect, config, Path(tmp))
        if isinstance(inputs, str):
            return _finished(rt, effect, (), error=inputs)
        with ThreadPoolExecutor(max_workers=max(1, len(consultants))) as pool:
            results = list(pool.map(lambda c: _consult(c, inputs, Path(tmp)), consultants))
    repo = rt.repo(state.installation_id, state.repo)
    verdicts = tuple(
        _post(repo, state, effect, consultant, result, inputs.secrets)
        for consultant, result in zip(consultants, results, strict=True)
    )
    return _finished(rt, effect, verdicts)


def _prepare(
    rt: Runtime, state: RunState, effect: RunConsultants, config: RepoConfig, tmp: Path
) -> Inputs | str:
    """Clone the branch at the head to review and write the input files; or why not."""
    phase = state.phase(effect.phase_id)
    repo = rt.repo(state.installation_id, state.repo)
    token = rt.auth.token(state.installation_id)
    auth = GitAuth(token)
    work = tmp / "work"
    try:
        clone(repo.clone_url(), work, phase.branch or "", auth)
        git(["checkout", "--quiet", "--detach", effect.head_sha], work, auth=auth)
        # Against the phase's own start: its dependencies' work is already in that commit.
        base = phase.start_sha or state.base_sha
        diff = git(["diff", f"{base}..{effect.head_sha}"], work, auth=auth).stdout
        stat = git(["diff", "--stat", f"{base}..{effect.head_sha}"], work, auth=auth).stdout
    except GitError as exc:
        return f"Could not check out {phase.branch} at {effect.head_sha[:7]}: {exc}"
    files = {
        "PORCH_DIFF_FILE": ("diff.patch", diff),
        "PORCH_DIFF_STAT_FILE": ("diff.stat", stat),
        "PORCH_PROMPT_FILE": (
            "prompt.md",
            consultant_prompt(state, effect.phase_id, phase.rebuttal),
        ),
        "PORCH_SECTION_FILE": ("section.md", state.sections.get(effect.phase_id, "")),
    }
    if phase.rebuttal:
        files["PORCH_REBUTTAL_FILE"] = ("rebuttal.md", phase.rebuttal)
    env = {
        "PORCH_RUN_ID": state.run_id,
        "PORCH_REPO": state.repo,
        "PORCH_ISSUE": str(state.issue_number),
        "PORCH_PR": str(phase.pr_number or ""),
        "PORCH_PHASE_ID": effect.phase_id,
        "PORCH_PHASE_TITLE": state.titles[effect.phase_id],
        "PORCH_ITERATION": str(effect.iteration),
        "PORCH_BRANCH": phase.branch or "",
        "PORCH_BASE_SHA": base,
        "PORCH_HEAD_SHA": effect.head_sha,
    }
    readable = []
    for variable, (name, text) in files.items():
        path = tmp / name
        path.write_text(text)
        env[variable] = str(path)
        readable.append(path)
    # The builder's sandbox: a consultant runs code of the repository's choosing too.
    sandbox = for_repository(config.builder, work, readable)
    return Inputs(work=work, env=env, secrets=[token], sandbox=sandbox)


def _consult(consultant: Consultant, inputs: Inputs, tmp: Path) -> tuple[CommandResult, str]:
    """Run one consultant; its result and its whole output (the header line left out)."""
    log_path = tmp / f"consultant-{consultant.name}.log"
    log_path.write_bytes(b"")
    result = run_command(
        consultant.command,
        inputs.work,
        env={**inputs.env, "PORCH_CONSULTANT": consultant.name},
        timeout_s=consultant.timeout_seconds,
        log_path=log_path,
        secrets=inputs.secrets,
        sandbox=inputs.sandbox,
    )
    lines = log_path.read_text(errors="replace").splitlines()[1:]  # "$ command" is ours
    return result, redact("\n".join(lines)[-OUTPUT_LIMIT:], inputs.secrets)


def _post(
    repo: RepoClient,
    state: RunState,
    effect: RunConsultants,
    consultant: Consultant,
    outcome: tuple[CommandResult, str],
    secrets: list[str],
) -> ConsultantVerdict:
    result, output = outcome
    if result.timed_out:
        verdict, note = Verdict.COMMENT, f"timed out after {consultant.timeout_seconds}s"
    elif not result.ok:
        verdict, note = Verdict.COMMENT, f"failed with exit status {result.exit_code}"
    else:
        reading = read_verdict(output)
        verdict, note = reading.verdict, reading.note
    body = consultant_review(consultant.name, verdict, note, output)
    phase = state.phase(effect.phase_id)
    marker = consultant_marker(
        state.run_id, effect.phase_id, effect.iteration, effect.run, consultant.name
    )
    review_id = 0
    if phase.pr_number is not None:
        try:
            review_id = repo.ensure_review(phase.pr_number, body, marker, effect.head_sha)
        except Exception:
            # The verdict still counts: it reaches the run in the event below.
            log.exception("run %s: could not post %s's review", state.run_id, consultant.name)
    summary = body.split("\n\n", 1)[1] if "\n\n" in body else body
    return ConsultantVerdict(
        name=consultant.name,
        verdict=verdict,
        summary=redact(summary, secrets),
        review_id=review_id,
        note=note,
    )


def _finished(
    rt: Runtime,
    effect: RunConsultants,
    verdicts: tuple[ConsultantVerdict, ...],
    error: str = "",
) -> ConsultantsFinished:
    return ConsultantsFinished(
        at=rt.clock(),
        phase_id=effect.phase_id,
        attempt=effect.attempt,
        iteration=effect.iteration,
        run=effect.run,
        head_sha=effect.head_sha,
        verdicts=verdicts,
        error=error,
    )
