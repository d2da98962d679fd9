"""The merge ladder against the local GitHub: GitHub's merges API, a local merge with per-path
strategies, the resolver builder, and a person with `/porch resolved`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bot.core.state import PhaseStatus, RunState, RunStatus
from tests.integration.conftest import BUILDER, MAINTAINER, REPO, SANDBOXED, Porch, porch_config

APPEND_NOTE = f'python3 {BUILDER} && echo "note from $PORCH_PHASE_ID" >> NOTES.md'
SHARED = f"SCRIPTED_BUILDER_SHARED=app/shared.py python3 {BUILDER}"
# A resolver that keeps both sides of every conflicted file (what union would have done).
KEEP_BOTH = (
    "for f in $PORCH_CONFLICT_FILES; do sed -i '/^<<<<<<< /d;/^=======$/d;/^>>>>>>> /d' $f; done"
)


def _state(porch: Porch, issue: int) -> RunState:
    state = porch.run(issue)
    assert state is not None
    return state


def _file(porch: Porch, path: str, ref: str) -> str:
    content = porch.hub.github().get_repo(REPO).get_contents(path, ref=ref)
    assert not isinstance(content, list)
    return content.decoded_content.decode()


def _merge_config(command: str, merge: str) -> str:
    return porch_config(command) + f"merge:\n{merge}"


def test_siblings_appending_to_a_union_file_give_the_join_both_lines(porch: Porch) -> None:
    porch.repo(
        files={"NOTES.md": "# Notes\n"},
        config=_merge_config(APPEND_NOTE, "  union_merge: [NOTES.md]\n"),
    )
    issue = porch.start()
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE
    join = state.phase("phase_4")
    assert join.merge_rungs[0].startswith("github: phase_3 conflicts with phase_2")
    assert join.merge_rungs[1].startswith("local: merged phase_3 (union: NOTES.md)")
    base = _file(porch, "NOTES.md", state.merge_branch_for("phase_4"))
    assert "note from phase_2" in base and "note from phase_3" in base
    assert "<<<<<<<" not in base
    final = _file(porch, "NOTES.md", state.branch_for("phase_4"))
    assert final.splitlines()[-1] == "note from phase_4"
    status = next(c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body)
    assert "local: merged phase_3 (union: NOTES.md)" in status
    # The union driver settles NOTES.md, so git predicted no conflict there.
    assert [c for c in state.predicted if c.source == "git"] == []


def test_a_conflict_git_predicts_is_shown_before_the_merge_that_hits_it(porch: Porch) -> None:
    porch.repo(config=porch_config(SHARED))
    issue = porch.start()
    state = _state(porch, issue)
    assert state.phase("phase_4").status is PhaseStatus.CONFLICTED
    [predicted] = [c for c in state.predicted if c.source == "git"]
    assert (predicted.phases, predicted.paths) == (("phase_2", "phase_3"), ("app/shared.py",))
    log = [(entry.event, entry.phase_id) for entry in porch.store.history(state.run_id)]
    built = max(log.index(("PhaseBuilt", pid)) for pid in ("phase_2", "phase_3"))
    assert log.index(("MergeEscalated", "phase_4")) > built
    status = next(c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body)
    assert "**Predicted conflicts**" in status
    assert "git found their pushed work conflicts: `app/shared.py`" in status


def test_a_generated_file_under_ours_merge_keeps_the_first_side(porch: Porch) -> None:
    porch.repo(config=_merge_config(SHARED, "  ours_merge: ['app/shared.*']\n"))
    issue = porch.start()
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE
    base = _file(porch, "app/shared.py", state.merge_branch_for("phase_4"))
    assert base == "owned by phase_2\n"
    assert state.phase("phase_4").merge_rungs[1].startswith("local: merged phase_3 (ours")


def test_the_resolver_resolves_a_conflict_and_the_run_goes_on(porch: Porch, tmp_path: Path) -> None:
    # It runs in the builder's sandbox: the host's files are out of its reach, the clone is not.
    outside = tmp_path / "outside"
    resolver = f'touch {outside}; cp "$PORCH_PROMPT_FILE" resolver-prompt.md && {KEEP_BOTH}'
    porch.repo(config=_merge_config(SHARED, f"  resolver_command: {json.dumps(resolver)}\n"))
    issue = porch.start()
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE
    rungs = state.phase("phase_4").merge_rungs
    assert rungs[1].startswith("local: phase_3 conflicts with phase_2 in app/shared.py")
    assert rungs[2] == "resolver: resolved app/shared.py"
    base = _file(porch, "app/shared.py", state.merge_branch_for("phase_4"))
    assert base == "owned by phase_2\nowned by phase_3\n"
    prompt = _file(porch, "resolver-prompt.md", state.merge_branch_for("phase_4"))
    assert not outside.exists() or not SANDBOXED
    assert "phase_2" in prompt and "phase_3" in prompt and "`app/shared.py`" in prompt


def _asked(porch: Porch, issue: int) -> list[str]:
    return [c.body for c in porch.comments(issue) if "porch-parallel:resolve" in c.body]


def test_a_resolver_that_leaves_markers_hands_the_conflict_to_a_person(porch: Porch) -> None:
    porch.repo(config=_merge_config(SHARED, "  resolver_command: 'true'\n"))
    issue = porch.start()
    state = _state(porch, issue)
    join = state.phase("phase_4")
    assert join.status is PhaseStatus.CONFLICTED
    assert state.status is RunStatus.RUNNING
    assert join.merge_rungs[2] == "resolver: left conflict markers in app/shared.py"
    [asked] = _asked(porch, issue)
    assert "app/shared.py" in asked


def test_a_resolver_whose_result_fails_the_checks_hands_it_to_a_person(porch: Porch) -> None:
    config = _merge_config(SHARED, f"  resolver_command: {json.dumps(KEEP_BOTH)}\n")
    config += 'checks:\n  - test "$(wc -l < app/shared.py 2>/dev/null || echo 1)" -le 1\n'
    porch.repo(config=config)
    issue = porch.start()
    state = _state(porch, issue)
    join = state.phase("phase_4")
    assert join.status is PhaseStatus.CONFLICTED
    assert join.merge_rungs[2] == "resolver: a check exited with 1"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _resolve_by_hand(porch: Porch, tmp_path: Path, branch: str, other: str, owner: str) -> None:
    """What the bot's comment tells a person to do: on `branch`, merge `other`, settle
    app/shared.py as "owned by `owner`", commit and push."""
    token = porch.hub.control.add_collaborator(REPO, MAINTAINER, "write")
    work = tmp_path / "work"
    subprocess.run(
        ["git", "clone", "--quiet", porch.hub.clone_url(REPO, token), str(work)], check=True
    )
    _git(work, "config", "user.name", "Maria")
    _git(work, "config", "user.email", "maria@example.com")
    _git(work, "switch", "--quiet", branch)
    subprocess.run(["git", "merge", f"origin/{other}"], cwd=work, capture_output=True)
    (work / "app/shared.py").write_text(f"owned by {owner}\n")
    _git(work, "add", "-A")
    _git(work, "commit", "--quiet", "--no-edit")
    _git(work, "push", "--quiet", "origin", branch)


def test_a_person_resolves_the_conflict_and_the_run_completes(porch: Porch, tmp_path: Path) -> None:
    porch.repo(config=porch_config(SHARED))
    issue = porch.start()
    state = _state(porch, issue)
    join = state.phase("phase_4")
    assert join.status is PhaseStatus.CONFLICTED
    [asked] = _asked(porch, issue)
    resolve = state.resolve_branch_for("phase_4")
    for expected in ("app/shared.py", "phase_2", "phase_3", f"git switch {resolve}", "<<<<<<<"):
        assert expected in asked
    assert f"git merge origin/{state.branch_for('phase_3')}" in asked
    status = next(c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body)
    assert "conflicted" in status and resolve in status

    # Too early: the branch holds only phase_2's work.
    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch resolved")
    porch.settle()
    assert _state(porch, issue).phase("phase_4").status is PhaseStatus.CONFLICTED
    refusal = [c.body for c in porch.comments(issue) if "is not resolved" in c.body]
    assert len(refusal) == 1 and "phase_3's work" in refusal[0]

    # The commands from the comment, as a person runs them.
    _resolve_by_hand(porch, tmp_path, resolve, state.branch_for("phase_3"), "phase_2 and phase_3")

    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch resolved")
    porch.settle()
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE
    assert state.phase("phase_4").base_branch == resolve
    assert _file(porch, "app/shared.py", state.branch_for("phase_4")) == "owned by phase_4\n"
    assert len(_asked(porch, issue)) == 1


# Two phases nothing depends on, both writing the same file: they meet on the integration branch.
SIBLINGS = (
    "# Siblings\n\n```json\n"
    '{"phases": [{"id": "phase_1", "title": "Left", "depends_on": []},'
    ' {"id": "phase_2", "title": "Right", "depends_on": []}]}\n```\n'
)


def test_the_resolver_settles_a_conflict_on_the_integration_branch(porch: Porch) -> None:
    porch.repo(config=_merge_config(SHARED, f"  resolver_command: {json.dumps(KEEP_BOTH)}\n"))
    issue = porch.start(body=SIBLINGS)
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE and state.integration_pr is not None
    shared = _file(porch, "app/shared.py", state.integration_branch)
    assert shared == "owned by phase_1\nowned by phase_2\n"
    body = porch.hub.github().get_repo(REPO).get_pull(state.integration_pr).body
    assert "resolver: resolved app/shared.py" in body


def test_a_conflict_on_the_integration_branch_waits_for_a_person(
    porch: Porch, tmp_path: Path
) -> None:
    porch.repo(config=porch_config(SHARED))
    issue = porch.start(body=SIBLINGS)
    state = _state(porch, issue)
    assert state.status is RunStatus.INTEGRATING and state.integration_pr is None
    assert state.integration_conflict is not None
    assert state.integration_conflict.files == ("app/shared.py",)
    branch = state.integration_branch
    [asked] = _asked(porch, issue)
    assert f"git switch {branch}" in asked and "app/shared.py" in asked
    status = next(c.body for c in porch.comments(issue) if "porch-parallel:status" in c.body)
    assert "waits for a person" in status and branch in status

    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch resolved")
    porch.settle()
    assert _state(porch, issue).status is RunStatus.INTEGRATING
    refusal = [c.body for c in porch.comments(issue) if "is not resolved" in c.body]
    assert len(refusal) == 1 and "phase_2's work" in refusal[0]

    _resolve_by_hand(porch, tmp_path, branch, state.branch_for("phase_2"), "both")

    porch.hub.control.comment(REPO, issue, MAINTAINER, "/porch resolved")
    porch.settle()
    state = _state(porch, issue)
    assert state.status is RunStatus.DONE and state.integration_pr is not None
    pull = porch.hub.github().get_repo(REPO).get_pull(state.integration_pr)
    assert pull.head.ref == branch and not pull.draft
    assert _file(porch, "app/shared.py", branch) == "owned by both\n"
    assert len(_asked(porch, issue)) == 1
