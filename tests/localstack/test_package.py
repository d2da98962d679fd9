"""The local stack's package: what it ships, and the workers it starts."""

from __future__ import annotations

import sys
from pathlib import Path

from porch_localstack import localstack
from porch_localstack.demo import SAMPLE_PLAN, SCRIPTED_BUILDER

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PACKAGE = Path(localstack.__file__).resolve().parent


def test_the_demo_reads_its_files_from_its_own_package() -> None:
    assert SAMPLE_PLAN.parent == PACKAGE and SAMPLE_PLAN.is_file()
    assert SCRIPTED_BUILDER.parent == PACKAGE and SCRIPTED_BUILDER.is_file()


def test_the_shipped_sample_plan_is_the_one_in_examples() -> None:
    # examples/diamond.md is there for people and the docs; the package carries its own copy.
    assert SAMPLE_PLAN.read_text() == (EXAMPLES / "diamond.md").read_text()


def test_workers_are_one_for_events_and_one_per_builder() -> None:
    worker = [sys.executable, "-m", "bot", "worker"]
    assert localstack.worker_commands(2) == [
        ("worker-events", [*worker, "--role", "events"]),
        ("worker-builders-1", [*worker, "--role", "builders"]),
        ("worker-builders-2", [*worker, "--role", "builders"]),
    ]
