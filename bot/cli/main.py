"""The `porch-parallel` command line: plan, serve, worker, up, redis and demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import BinaryIO, TextIO

from bot.cli.commands import add_commands as add_process_commands
from bot.plan.graph import analyse
from bot.plan.model import Diagnostic
from bot.plan.parse import MAX_PLAN_BYTES, parse_plan_bytes
from bot.plan.render import to_json, to_json_block, to_mermaid, to_text

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """Raised instead of exiting so that main() can return the status code."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; other commands (serve, worker) add their own subparsers here."""
    parser = _Parser(prog="porch-parallel", description="Run the phases of a plan in parallel.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    plan = commands.add_parser(
        "plan",
        help="read a plan and show its phase graph",
        description="Read a plan, check it, and show its waves, critical path and makespan.",
    )
    plan.add_argument("path", metavar="PATH|-", help="plan markdown file, or - for stdin")
    plan.add_argument(
        "--format",
        choices=("text", "json", "mermaid", "json-block"),
        default="text",
        help="json-block: the graph as the plan's JSON block, to paste into the plan and edit",
    )
    plan.add_argument(
        "--split-parallel-tasks",
        action="store_true",
        help="in a spec-kit task list, run each [P] task as a phase of its own",
    )
    plan.set_defaults(handler=run_plan)
    add_process_commands(commands)
    return parser


def _read(path: str, stdin: BinaryIO) -> bytes:
    # One byte over the limit is enough to refuse the input without reading all of it.
    if path == "-":
        return stdin.read(MAX_PLAN_BYTES + 1)
    with open(path, "rb") as handle:
        return handle.read(MAX_PLAN_BYTES + 1)


def _report(name: str, kind: str, items: Sequence[Diagnostic], err: TextIO) -> None:
    for item in items:
        where = f"{name}:{item.line}" if item.line else name
        print(f"{where}: {kind}: {item.message}", file=err)


def run_plan(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO) -> int:
    name = "<stdin>" if args.path == "-" else args.path
    try:
        data = _read(args.path, stdin)
    except OSError as error:
        print(f"porch-parallel plan: cannot read {name}: {error.strerror or error}", file=err)
        return EXIT_USAGE
    plan = parse_plan_bytes(data, split_parallel_tasks=args.split_parallel_tasks)
    analysis = analyse(plan)
    if args.format == "json":
        print(json.dumps(to_json(plan, analysis), indent=2, ensure_ascii=False), file=out)
    elif analysis.valid and args.format == "json-block":
        print(to_json_block(plan), end="", file=out)
    elif analysis.valid:
        render = to_text if args.format == "text" else to_mermaid
        print(render(plan, analysis), end="", file=out)
    if analysis.valid:
        return EXIT_OK
    _report(name, "error", analysis.errors, err)
    _report(name, "warning", analysis.warnings, err)
    return EXIT_INVALID


Handler = Callable[[argparse.Namespace, TextIO, TextIO, BinaryIO], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as done:  # --help and --version exit through argparse
        return done.code if isinstance(done.code, int) else EXIT_OK
    handler: Handler = args.handler
    try:
        status = handler(args, sys.stdout, sys.stderr, sys.stdin.buffer)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here, not at exit
        return status
    except BrokenPipeError:
        # The reader went away (`| head`); point stdout at devnull so the interpreter's
        # final flush does not fail again, as the Python signal docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
