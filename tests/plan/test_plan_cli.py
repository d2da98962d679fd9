"""`porch-parallel plan`: formats, exit codes, and bad input that must never crash."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import build_parser, main
from tests.plan.plan_writers import json_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECKIT = Path(__file__).resolve().parent / "speckit"
CYCLE = "### Phase 1: A\n**Dependencies**: Phase 2\n### Phase 2: B\n**Dependencies**: Phase 1\n"
UNKNOWN = "### Phase 1: A\n### Phase 2: B\n**Dependencies**: Phase 7\n"
BROKEN_JSON = '# Plan\n\n```json\n{"phases": [\n  {"id": "phase_1",}\n]}\n```\n'


def _run(tmp_path: Path, content: bytes | str, *args: str) -> int:
    path = tmp_path / "plan.md"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return main(["plan", str(path), *args])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the plan is empty"),
        (b"  \n\n", "the plan is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"### Phase 1: caf\xe9\n", "not UTF-8 text (byte 16"),
        # The command reads one byte past the limit, so the message must not claim a size.
        (b"### Phase 1: A\n" + b"x" * (10 * 1024 * 1024), "the plan is larger than 2 MB; "),
        (BROKEN_JSON, "plan.md:5: error: the phases JSON block does not parse"),
        (CYCLE, "plan.md:2: error: dependency cycle: phase_1 → phase_2 → phase_1"),
        (UNKNOWN, "plan.md:3: error: phase_2 depends on Phase 7, which is not a phase"),
        ("# Just prose\n\nNo phases here.\n", "no phases found"),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "mermaid", "json-block"])
def test_bad_input_is_a_clear_error_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | str, message: str, fmt: str
) -> None:
    assert _run(tmp_path, content, "--format", fmt) == 1
    out, err = capsys.readouterr()
    assert message in err
    assert "Traceback" not in out + err
    if fmt == "json":
        assert message.split(": error: ")[-1] in json.loads(out)["errors"][0]["message"]
    else:
        assert out == ""


def test_a_valid_plan_exits_0_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    diamond = str(EXAMPLES / "diamond.md")
    assert main(["plan", diamond]) == 0
    assert "Critical path: phase_1 → phase_2 → phase_4" in capsys.readouterr().out
    assert main(["plan", diamond, "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD\n")
    assert main(["plan", diamond, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["waves"] == [["phase_1"], ["phase_2", "phase_3"], ["phase_4"]]
    assert (data["serial_minutes"], data["parallel_minutes"]) == (40, 30)


def test_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = json_plan({"1": [], "2": []})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["plan", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["waves"] == [["phase_1", "phase_2"]]


@pytest.mark.parametrize(
    "argv",
    [[], ["plan"], ["plan", "x.md", "--format", "xml"], ["frobnicate"], ["plan", "a", "b"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["missing.md", "."])
def test_unreadable_paths_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["plan", str(tmp_path / name)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--help"]) == 0
    assert "--format" in capsys.readouterr().out


def test_the_parser_dispatches_by_subcommand() -> None:
    args = build_parser().parse_args(["plan", "-", "--format", "mermaid"])
    assert (args.command, args.path, args.format) == ("plan", "-", "mermaid")
    assert callable(args.handler)


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_bytes(b"\xff\xfe\x00binary")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "plan", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "binary data" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_headers_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLES / "headers.md"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["depends_on"] for p in data["phases"]] == [
        [],
        ["phase_1"],
        ["phase_1"],
        ["phase_2", "phase_3"],
        ["phase_1", "phase_2", "phase_3", "phase_4"],
    ]
    assert data["predicted_conflicts"] == [
        {"phases": ["phase_2", "phase_3"], "paths": ["app/models.py"]}
    ]
    assert [w["line"] for w in data["warnings"]] == [41]


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    # Far more output than a pipe buffers, so the writer meets the closed pipe for certain.
    path = tmp_path / "big.md"
    path.write_text(json_plan({str(n): [] for n in range(1, 3001)}))
    command = [sys.executable, "-m", "bot.cli.main", "plan", str(path), "--format", "json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like `| head -0`: nobody reads the output
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
    assert "Traceback" not in stderr


def test_json_output_is_strict_json_even_for_huge_estimates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = '{"phases": [{"id": "a", "estimate_minutes": 1e308}, {"id": "b", "depends_on": [],'
    body += ' "estimate_minutes": 1e308}]}'
    assert _run(tmp_path, f"```json\n{body}\n```\n", "--format", "json") == 0

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data["serial_minutes"] == 2.0


def test_json_block_prints_the_graph_to_paste_into_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", str(EXAMPLES / "headers.md"), "--format", "json-block"]) == 0
    block = capsys.readouterr().out
    assert block.startswith('```json\n{"phases": [\n  {"id": "phase_1", "title": "Data layer"')
    assert block.endswith("]}\n```\n")
    # Pasted into the plan, the block is what the plan reads: the same graph.
    pasted = tmp_path / "pasted.md"
    pasted.write_text(block + "\n" + (EXAMPLES / "headers.md").read_text())
    assert main(["plan", str(pasted), "--format", "json"]) == 0
    pasted_graph = [p["depends_on"] for p in json.loads(capsys.readouterr().out)["phases"]]
    assert main(["plan", str(EXAMPLES / "headers.md"), "--format", "json"]) == 0
    assert pasted_graph == [p["depends_on"] for p in json.loads(capsys.readouterr().out)["phases"]]


def test_split_parallel_tasks_of_a_task_list(capsys: pytest.CaptureFixture[str]) -> None:
    tasks = str(SPECKIT / "recipe-planner.md")
    assert main(["plan", tasks, "--format", "json"]) == 0
    whole = [p["id"] for p in json.loads(capsys.readouterr().out)["phases"]]
    assert main(["plan", tasks, "--format", "json", "--split-parallel-tasks"]) == 0
    split = [p["id"] for p in json.loads(capsys.readouterr().out)["phases"]]
    assert whole == ["phase_1", "phase_3", "phase_4", "phase_5", "phase_n"]
    assert split[:3] == ["phase_1_t002", "phase_1_t003", "phase_1"]
    assert main(["plan", tasks]) == 0
    assert "after phase_3, phase_4, phase_5  [template]" in capsys.readouterr().out
