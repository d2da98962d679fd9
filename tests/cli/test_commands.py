"""The process commands' command line: roles are required, and each loads only its own jobs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.adapters.queues import Role
from bot.cli.commands import ROLES
from bot.cli.main import main


def test_a_worker_needs_a_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 2
    assert "the following arguments are required: --role" in capsys.readouterr().err


def test_the_command_line_offers_every_role() -> None:
    assert tuple(role.value for role in Role) == ROLES


def test_an_unknown_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--role", "everything"]) == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("role", "absent"),
    [
        (Role.BUILDERS, ("workers.intake", "bot.handlers", "gidgethub")),
        (Role.EVENTS, ("workers.builders", "bot.adapters.process", "bot.core.prompt")),
    ],
)
def test_a_worker_loads_only_its_own_jobs(role: Role, absent: tuple[str, ...]) -> None:
    # A fresh interpreter: this one has imported everything already.
    probe = (
        "import sys; from bot.adapters.queues import Role; from bot.cli.processes import preload; "
        f"preload(Role({role.value!r})); "
        f"print(' '.join(m for m in {absent!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert loaded == []
