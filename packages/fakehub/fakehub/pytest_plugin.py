"""pytest plugin: a `fakehub` fixture (a fresh stand-in per test) and a webhook receiver.

Register with `pytest_plugins = ["fakehub.pytest_plugin"]`. When GitHub's API descriptions are
found (`../shared/github/`, or the directory in FAKEHUB_SHARED_DIR), every REST request and
response and every webhook of the stand-in is checked against them, and a test whose traffic
does not conform errors at teardown, listing the problems; so does a test that called a route
the stand-in does not implement. Mark a test `@pytest.mark.fakehub_allow_violations` or
`@pytest.mark.fakehub_allow_unexpected` when it does so on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakehub.hooks import Conformance
from fakehub.receiver import WebhookReceiver
from fakehub.testing import RunningFakeHub

REST_SPEC = Path("github/openapi/api.github.com.json")
WEBHOOK_SPEC = Path("github/webhooks/openapi-webhooks.json")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fakehub_allow_violations: the test's traffic to the stand-in may break GitHub's API "
        "description on purpose",
    )
    config.addinivalue_line(
        "markers",
        "fakehub_allow_unexpected: the test calls routes the stand-in does not implement, on "
        "purpose",
    )


def _shared_dir(config: pytest.Config) -> Path:
    configured = os.environ.get("FAKEHUB_SHARED_DIR")
    return Path(configured) if configured else config.rootpath.parent / "shared"


@pytest.fixture(scope="session")
def fakehub_conformance(request: pytest.FixtureRequest) -> Conformance | None:
    """The checker against GitHub's descriptions, loaded once; None where they are absent."""
    shared = _shared_dir(request.config)
    if not ((shared / REST_SPEC).is_file() and (shared / WEBHOOK_SPEC).is_file()):
        return None
    # Shares the checker (and its cache of compiled schemas) with the conformance tests.
    from fakehub.pytest_conformance import load_conformance

    return load_conformance(shared)


@pytest.fixture
def fakehub(
    tmp_path_factory: pytest.TempPathFactory,
    fakehub_conformance: Conformance | None,
    request: pytest.FixtureRequest,
) -> Iterator[RunningFakeHub]:
    """A stand-in on a free port with an empty temporary state directory."""
    running = RunningFakeHub(tmp_path_factory.mktemp("fakehub"), conformance=fakehub_conformance)
    try:
        yield running
    finally:
        running.stop()
    problems = []
    if request.node.get_closest_marker("fakehub_allow_violations") is None:
        problems += running.violations
    if request.node.get_closest_marker("fakehub_allow_unexpected") is None:
        # A route the stand-in lacks answers 404, which code under test may take for "not
        # found" and carry on: such a call must fail the test instead of passing unseen.
        problems += [
            f"unexpected call (no such route in the stand-in): {r.method} {r.path}"
            for r in running.unexpected_requests
        ]
    if problems:
        listing = "\n".join(f"  {p}" for p in problems[:50])
        pytest.fail(
            "the stand-in saw traffic that does not fit GitHub's API description, that it "
            f"does not implement, or that it failed on:\n{listing}"
        )


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An HTTP endpoint that records deliveries; point the stand-in at `receiver.url`."""
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
