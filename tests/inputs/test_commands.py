"""Parsing `/porch` commands out of comment bodies, and the permission policy."""

from __future__ import annotations

import pytest

from bot.inputs.commands import (
    HELP_TEXT,
    Approve,
    Cancel,
    Command,
    Consult,
    Help,
    Parallel,
    Resolved,
    Retry,
    ShowPlan,
    Skip,
    Status,
    Unknown,
    comment_may_hold_commands,
    may_change_runs,
    parse_commands,
    refusal_text,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/porch parallel", [Parallel()]),
        ("/porch parallel codev/plans/0004-x.md", [Parallel("codev/plans/0004-x.md")]),
        ("/porch parallel `codev/plans/0004-x.md`", [Parallel("codev/plans/0004-x.md")]),
        ("  /porch   parallel  ", [Parallel()]),
        ("\t/porch status", [Status()]),
        ("/porch cancel", [Cancel()]),
        ("/porch help", [Help()]),
        ("/porch", [Help()]),
        ("/PORCH Parallel", [Parallel()]),
        ("/porch resolved", [Resolved()]),
        ("/porch plan", [ShowPlan()]),
        ("/porch plan `specs/001/tasks.md`", [ShowPlan("specs/001/tasks.md")]),
        ("/porch plan a b", [Unknown("plan a b")]),
        ("/porch retry phase_2", [Retry("phase_2")]),
        ("/porch retry Phase 2", [Retry("Phase 2")]),
        ("/porch skip 3", [Skip("3")]),
        ("/porch approve phase_2", [Approve("phase_2")]),
        ("/porch approve Phase 2a", [Approve("Phase 2a")]),
        ("/porch consult `3`", [Consult("3")]),
        ("/porch approve", [Unknown("approve")]),
        ("/porch consult", [Unknown("consult")]),
        ("/porch frobnicate", [Unknown("frobnicate")]),
        ("/porch retry", [Unknown("retry")]),
        ("/porch skip", [Unknown("skip")]),
        ("/porch status please", [Unknown("status please")]),
        ("/porch parallel a.md b.md", [Unknown("parallel a.md b.md")]),
        ("Looks good!\n/porch parallel\nthanks", [Parallel()]),
        ("/porch status\r\n/porch cancel", [Status(), Cancel()]),
    ],
)
def test_commands_are_parsed(body: str, expected: list[Command]) -> None:
    assert parse_commands(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "",
        "please run /porch parallel",  # not at the start of the line
        "> /porch parallel",  # a quote of someone else's comment
        "/porchy parallel",
        "/porch-bot parallel",
        "`/porch parallel`",
        "```\n/porch parallel\n```",  # an example in a code block
        "~~~sh\n/porch cancel\n~~~",
        "<!--\n/porch parallel\n-->",  # a hidden hint in an issue template
        "<!-- unclosed\n/porch parallel",
    ],
)
def test_non_commands_are_ignored(body: str) -> None:
    assert parse_commands(body) == []


def test_command_after_a_closed_code_block_counts() -> None:
    assert parse_commands("```\n/porch cancel\n```\n/porch status") == [Status()]


def test_command_after_an_html_comment_counts() -> None:
    assert parse_commands("<!-- /porch cancel -->\n/porch status") == [Status()]


@pytest.mark.parametrize(
    ("command", "changes_run"),
    [
        (Parallel(), True),
        (Cancel(), True),
        (Retry("1"), True),
        (Skip("1"), True),
        (Resolved(), True),
        (Status(), False),
        (Help(), False),
        (Unknown("x"), False),
    ],
)
def test_which_commands_change_a_run(command: Command, changes_run: bool) -> None:
    assert command.changes_run is changes_run


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        ("admin", True),
        ("maintain", True),
        ("write", True),
        ("WRITE", True),
        ("triage", False),
        ("read", False),
        ("none", False),
        ("", False),
    ],
)
def test_permission_policy(permission: str, allowed: bool) -> None:
    assert may_change_runs(permission) is allowed


@pytest.mark.parametrize(
    ("action", "sender_type", "counts"),
    [
        ("created", "User", True),
        ("edited", "User", False),
        ("deleted", "User", False),
        ("created", "Bot", False),
    ],
)
def test_only_new_comments_by_people_count(action: str, sender_type: str, counts: bool) -> None:
    assert comment_may_hold_commands(action, sender_type) is counts


def test_refusal_names_the_person_and_why() -> None:
    text = refusal_text("octocat")
    assert "@octocat" in text
    assert "write access" in text


def test_help_lists_every_command() -> None:
    verbs = ("parallel", "status", "cancel", "approve", "consult", "retry", "skip", "resolved")
    for verb in (*verbs, "help"):
        assert f"/porch {verb}" in HELP_TEXT
