"""GitHub's own example webhook payloads: signed and parsed as the bot will, and schema-checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gidgethub import ValidationFailure
from gidgethub.sansio import Event

from fakehub.conformance import OpenAPIConformance
from fakehub.pytest_conformance import load_conformance

# The events the bot subscribes to (and the stand-in sends).
EVENTS = (
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "check_run",
    "push",
    "installation",
    "ping",
)
SECRET = "test-webhook-secret"

Examples = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def examples(shared_dir: Path) -> Examples:
    path = shared_dir / "github" / "webhooks" / "examples.json"
    if not path.is_file():
        pytest.skip(f"webhook examples not found at {path}")
    entries = json.loads(path.read_text())
    return {entry["name"]: entry["examples"] for entry in entries}


@pytest.fixture(scope="module")
def conformance(shared_dir: Path) -> OpenAPIConformance:
    return load_conformance(shared_dir)


def signed_headers(event: str, body: bytes, delivery: str, secret: str = SECRET) -> dict[str, str]:
    """The headers GitHub sends with a delivery; gidgethub expects lower-case names."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": f"sha256={digest}",
    }


# -- signature and parse ----------------------------------------------------------------------


@pytest.mark.parametrize("name", EVENTS)
def test_examples_pass_the_signed_parse_path(examples: Examples, name: str) -> None:
    assert examples.get(name), f"examples.json has no examples for {name}"
    for payload in examples[name]:
        body = json.dumps(payload).encode()
        delivery = str(uuid.uuid4())
        event = Event.from_http(signed_headers(name, body, delivery), body, secret=SECRET)
        assert (event.event, event.delivery_id) == (name, delivery)
        assert event.data == payload


@pytest.mark.parametrize("name", EVENTS)
def test_tampered_or_wrongly_signed_examples_are_refused(examples: Examples, name: str) -> None:
    payload = examples[name][0]
    body = json.dumps(payload).encode()
    headers = signed_headers(name, body, str(uuid.uuid4()))
    tampered = json.dumps({**payload, "sender": {"login": "mallory"}}).encode()
    with pytest.raises(ValidationFailure):
        Event.from_http(headers, tampered, secret=SECRET)
    with pytest.raises(ValidationFailure):
        Event.from_http(headers, body, secret="another-secret")
    unsigned = {k: v for k, v in headers.items() if k != "x-hub-signature-256"}
    with pytest.raises(ValidationFailure):
        Event.from_http(unsigned, body, secret=SECRET)


# -- schema -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """A known disagreement between GitHub's examples (@octokit/webhooks-examples 7.6.1) and
    its webhook description (@octokit/openapi-webhooks 12.1.0). Both patterns match whole."""

    pointer: str
    message: str
    why: str

    def covers(self, problem: str) -> bool:
        _, pointer, message = problem.split(": ", 2)
        return bool(re.fullmatch(self.pointer, pointer) and re.fullmatch(self.message, message))


# Only the examples get this allowance: the stand-in's own payloads are held to the schema.
KNOWN_UPSTREAM = (
    Upstream(
        r"/repository|/pull_request/(base|head)/repo|/changes/new_repository",
        r"'(has_discussions|topics|visibility|disabled)' is a required property",
        "repository fields the schema requires that older examples predate",
    ),
    Upstream(
        r"/issue",
        r"'(active_lock_reason|reactions)' is a required property",
        "issue fields the schema requires that older examples predate",
    ),
    Upstream(
        r"/issue/labels/\d+",
        r"'description' is a required property",
        "labels recorded before `description` existed",
    ),
    Upstream(
        r"/comment",
        r"'(performed_via_github_app|reactions)' is a required property",
        "issue comment fields the schema requires that older examples predate",
    ),
    Upstream(
        r"/pull_request",
        r"'(active_lock_reason|auto_merge|draft)' is a required property",
        "pull request fields the schema requires that older examples predate",
    ),
    Upstream(
        r"/installation",
        r"'(app_slug|suspended_at|suspended_by)' is a required property",
        "installation fields the schema requires that older examples predate",
    ),
    Upstream(
        r"/installation/(created|updated)_at",
        r"\d+ is not of type 'string'",
        "the 2018-2019 installation examples give Unix seconds; the schema an ISO 8601 string",
    ),
    Upstream(
        r"/check_run",
        r"'(node_id|details_url)' is a required property",
        "the check_run.rerequested examples lack fields the schema requires",
    ),
    Upstream(
        r"/check_run(/check_suite)?/app",
        r"'(permissions|events)' is a required property",
        "the App object in the check_run.rerequested examples lacks permissions and events",
    ),
    Upstream(
        r"/check_run(/check_suite)?/app/(created|updated)_at",
        r"'2018-04-25 20:42:10' is not a 'date-time'",
        "a timestamp with a space for 'T' and no zone, which is not RFC 3339",
    ),
    Upstream(
        r"/repository/homepage",
        r"'' is not a 'uri'",
        "GitHub sends an unset homepage as ''; the schema says `format: uri` (null allowed)",
    ),
)


def unexplained(problems: list[str]) -> list[str]:
    return [p for p in problems if not any(known.covers(p) for known in KNOWN_UPSTREAM)]


@pytest.mark.parametrize("name", EVENTS)
def test_examples_fit_the_webhook_schema(
    examples: Examples, conformance: OpenAPIConformance, name: str
) -> None:
    for index, payload in enumerate(examples[name]):
        found = unexplained(conformance.check_webhook(name, payload))
        assert found == [], f"{name} example {index}"


def test_every_known_upstream_discrepancy_still_occurs(
    examples: Examples, conformance: OpenAPIConformance
) -> None:
    """An allowance nothing needs any more is removed, so that the list stays exact."""
    problems = [
        problem
        for name in EVENTS
        for payload in examples[name]
        for problem in conformance.check_webhook(name, payload)
    ]
    unused = [known.why for known in KNOWN_UPSTREAM if not any(map(known.covers, problems))]
    assert unused == []


def test_a_broken_example_is_caught(examples: Examples, conformance: OpenAPIConformance) -> None:
    payload = json.loads(json.dumps(examples["pull_request"][0]))
    payload["pull_request"]["number"] = "1"
    del payload["repository"]
    found = unexplained(conformance.check_webhook("pull_request", payload))
    assert (
        "webhook pull_request.opened: /pull_request/number: '1' is not of type 'integer'" in found
    )
    assert "webhook pull_request.opened: /: 'repository' is a required property" in found
