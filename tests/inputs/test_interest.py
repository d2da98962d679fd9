"""The web app's filter and the handlers' registrations agree."""

from __future__ import annotations

import json

import pytest
from gidgethub.sansio import Event

from bot.handlers import router
from bot.inputs.interest import HANDLED, is_handled
from tests.conftest import SHARED

EXAMPLES = SHARED / "github" / "webhooks" / "examples.json"


def _cases() -> list[tuple[str, str | None]]:
    cases = {(event, action) for event, actions in HANDLED.items() for action in actions}
    if EXAMPLES.is_file():
        for entry in json.loads(EXAMPLES.read_text()):
            for action in entry.get("actions") or [None]:
                cases.add((entry["name"], action))
    cases |= {("push", None), ("check_run", "created"), ("issue_comment", "edited")}
    return sorted(cases, key=lambda case: (case[0], case[1] or ""))


@pytest.mark.parametrize(("event", "action"), _cases())
def test_the_filter_passes_exactly_what_a_handler_is_registered_for(
    event: str, action: str | None
) -> None:
    payload = {"action": action} if action else {}
    routed = bool(router.fetch(Event(payload, event=event, delivery_id="1")))
    assert is_handled(event, payload) == routed
