"""Running builder commands as real processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bot.adapters.process import run_command, tail


def test_success_keeps_the_tail_of_the_output(tmp_path: Path) -> None:
    script = "for i in $(seq 1 100); do echo line $i; done"
    result = run_command(script, tmp_path, env={}, timeout_s=30, log_path=tmp_path / "log")
    assert result.ok
    assert result.log_tail.splitlines()[-1] == "line 100"
    assert "line 1\n" not in result.log_tail


def test_failure_exit_code_is_reported(tmp_path: Path) -> None:
    result = run_command(
        ["sh", "-c", "echo boom >&2; exit 3"],
        tmp_path,
        env={},
        timeout_s=30,
        log_path=tmp_path / "log",
    )
    assert not result.ok
    assert result.exit_code == 3
    assert "boom" in result.log_tail


def test_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-still-running"
    # The child outlives its parent's exit unless the whole group is killed.
    script = f"(sleep 3; touch {marker}) & sleep 30"
    started = time.monotonic()
    result = run_command(script, tmp_path, env={}, timeout_s=0.5, log_path=tmp_path / "log")
    assert result.timed_out and not result.ok
    assert time.monotonic() - started < 10
    assert "timed out" in result.log_tail
    time.sleep(3.5)
    assert not marker.exists()


def test_the_builder_sees_what_it_is_told_and_no_secrets(tmp_path: Path) -> None:
    os.environ["PORCH_TEST_SECRET_IN_PARENT"] = "s3cret"
    try:
        code = "import os; print(sorted(k for k in os.environ if k.startswith('PORCH')))"
        result = run_command(
            [sys.executable, "-c", code],
            tmp_path,
            env={"PORCH_PHASE_ID": "phase_2"},
            timeout_s=30,
            log_path=tmp_path / "log",
        )
    finally:
        del os.environ["PORCH_TEST_SECRET_IN_PARENT"]
    assert "['PORCH_PHASE_ID']" in result.log_tail


def test_secrets_printed_by_the_builder_are_redacted(tmp_path: Path) -> None:
    token = "ghs_" + "c" * 36
    result = run_command(
        f"echo using {token}",
        tmp_path,
        env={},
        timeout_s=30,
        log_path=tmp_path / "log",
        secrets=[token],
    )
    assert token not in result.log_tail
    assert "using ***" in result.log_tail


def test_tail_bounds_lines_and_characters() -> None:
    text = "\n".join(f"{i:05d}" for i in range(1000))
    assert tail(text, lines=3).splitlines() == ["00997", "00998", "00999"]
    assert len(tail("x" * 10_000, chars=100)) == 100


def test_should_stop_ends_the_command_and_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child-still-running"
    script = f"(sleep 2; touch {marker}) & sleep 30"
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) >= 2

    started = time.monotonic()
    result = run_command(
        script, tmp_path, env={}, timeout_s=60, log_path=tmp_path / "log", should_stop=should_stop
    )
    assert result.stopped and not result.ok and not result.timed_out
    assert time.monotonic() - started < 10
    assert "cancelled" in result.log_tail
    time.sleep(2.5)
    assert not marker.exists()


def test_an_exception_while_waiting_still_stops_the_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-still-running"

    class JobTimeout(BaseException):
        """What RQ raises in a job that ran past its timeout."""

    def should_stop() -> bool:
        raise JobTimeout

    try:
        run_command(
            f"(sleep 2; touch {marker}) & sleep 30",
            tmp_path,
            env={},
            timeout_s=60,
            log_path=tmp_path / "log",
            should_stop=should_stop,
        )
    except JobTimeout:
        pass
    else:
        raise AssertionError("the exception was swallowed")
    time.sleep(2.5)
    assert not marker.exists()
