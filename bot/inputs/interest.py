"""The webhook events some handler acts on. Pure.

The web app acknowledges and drops every other delivery before it reaches a queue: GitHub sends
each subscribed event, including the pushes, pull requests and check runs the App causes
itself (about forty deliveries for a four-phase run), and a job for each would crowd the
queue that dispatches phases. bot.handlers registers on exactly these; a test keeps the two
in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# event name -> the actions handled (an empty set: every action)
HANDLED: Mapping[str, frozenset[str]] = {
    "issue_comment": frozenset({"created"}),
    "pull_request_review": frozenset({"submitted", "dismissed"}),
    "pull_request": frozenset({"closed"}),
    # People's requests only: the created and completed runs the App causes are dropped.
    "check_run": frozenset({"rerequested", "requested_action"}),
}


def is_handled(event_name: str, payload: Mapping[str, Any]) -> bool:
    actions = HANDLED.get(event_name)
    if actions is None:
        return False
    return not actions or payload.get("action") in actions
