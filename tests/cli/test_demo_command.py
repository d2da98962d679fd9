"""`porch-parallel demo` with and without the local stack installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.cli.main import main


@pytest.mark.parametrize("module", ["porch_localstack.demo", "fakehub.client"])
def test_without_the_local_stack_it_says_what_is_missing_and_how_to_get_it(
    module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # None in sys.modules is how Python marks a module as absent: importing it fails as if
    # it were not installed.
    monkeypatch.delitem(sys.modules, "porch_localstack.demo", raising=False)
    monkeypatch.delitem(sys.modules, "porch_localstack.localstack", raising=False)
    monkeypatch.setitem(sys.modules, module, None)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "needs porch-localstack and fakehub, which are not installed" in err
    assert "make demo" in err
    assert "pip install ./packages/fakehub ./packages/porch-localstack" in err
    assert "Traceback" not in err


def test_a_missing_plan_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(tmp_path / "nowhere.md")]) == 2
    assert "no such plan file" in capsys.readouterr().err
