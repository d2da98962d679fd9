"""Consultant output read as codev's `consult` reads it."""

from __future__ import annotations

import pytest

from bot.core.state import Verdict
from bot.core.verdicts import read_verdict

REVIEW = "The phase does what its section asks, with tests for each new function.\n"


@pytest.mark.parametrize(
    ("output", "verdict"),
    [
        (REVIEW + "VERDICT: APPROVE", Verdict.APPROVE),
        (REVIEW + "**VERDICT: APPROVE**", Verdict.APPROVE),
        (REVIEW + "*VERDICT: REQUEST_CHANGES*", Verdict.REQUEST_CHANGES),
        (REVIEW + "## VERDICT: COMMENT", Verdict.COMMENT),
        (REVIEW + "- `VERDICT: REQUEST_CHANGES`", Verdict.REQUEST_CHANGES),
        (REVIEW + "__VERDICT: APPROVE__", Verdict.APPROVE),
        (REVIEW + "verdict: approve", Verdict.APPROVE),
        # The last verdict line wins: an earlier one may quote the format.
        (
            "VERDICT: APPROVE\n" + REVIEW + "VERDICT: REQUEST_CHANGES\nthanks",
            Verdict.REQUEST_CHANGES,
        ),
        (REVIEW, Verdict.COMMENT),  # no verdict line
        (REVIEW + "The VERDICT: APPROVE is mine", Verdict.COMMENT),  # not at a line's start
        ("VERDICT: APPROVE", Verdict.REQUEST_CHANGES),  # under 50 characters
        ("", Verdict.REQUEST_CHANGES),
    ],
)
def test_the_verdict_of_an_output(output: str, verdict: Verdict) -> None:
    assert read_verdict(output).verdict is verdict


def test_a_reading_says_why_it_is_not_the_consultants_own_word() -> None:
    assert read_verdict("ok").note == "output under 50 characters"
    assert read_verdict(REVIEW).note == "no VERDICT line"
    assert read_verdict(REVIEW + "VERDICT: APPROVE").note == ""
