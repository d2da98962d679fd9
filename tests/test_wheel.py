"""The product as a user installs it: its wheel, alone, in a fresh virtualenv.

The wheel holds the product only (no stand-in, local stack, tests or examples), and every
module in it imports with nothing but its declared runtime dependencies installed. One wheel
and one virtualenv per session (the module's tests share an xdist group); pip's cache makes
later sessions fast. Installing needs the package index: outside CI a machine that cannot
reach it skips these tests, saying so; in CI (CI=true) that is a failure like any other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.xdist_group("wheel")]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PLAN = PROJECT_ROOT / "examples" / "diamond.md"
NOT_SHIPPED = frozenset({"fakehub", "porch_localstack", "tests", "examples", "benchmarks"})
# What a checkout gathers besides its source; the wheel is built from a copy without it.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)
# pip's words when the index is out of reach, as opposed to a wrong requirement.
UNREACHABLE = (
    "NewConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "connection broken",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
)
# Imports each module named on the command line; prints one line per failure.
IMPORT_ALL = """\
import importlib, sys
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
    except BaseException as error:
        print(f"{name}: {type(error).__name__}: {error}")
        continue
    if not str(getattr(module, "__file__", "")).startswith(sys.prefix):
        print(f"{name}: imported from {module.__file__}, outside the virtualenv")
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def clean_env() -> dict[str, str]:
    """This process's environment without what would let the source tree leak into imports."""
    leaks = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in leaks}


def pip(python: Path | str, *args: str, what: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", *args], capture_output=True, text=True, env=clean_env()
    )
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    if not in_ci() and any(sign in output for sign in UNREACHABLE):
        pytest.skip(f"{what}: the package index cannot be reached from this machine")
    pytest.fail(f"{what} failed (exit {done.returncode}):\n{output[-6000:]}")


@dataclass(frozen=True)
class Installed:
    """The built wheel, and a virtualenv holding it with its runtime dependencies only."""

    wheel: Path
    venv: Path
    workdir: Path  # an empty directory to run commands in, far from the source tree

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            timeout=300,
        )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in place, and a stale build/ left in the checkout
    # would be shipped by the next build.
    source = root / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=NOT_SOURCE)
    dist = root / "dist"
    pip(sys.executable, "wheel", str(source), "--no-deps", "-w", str(dist), what="pip wheel")
    (wheel,) = dist.glob("porch_parallel-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=clean_env())
    pip(venv / "bin" / "python", "install", str(wheel), what="installing the wheel")
    workdir = root / "work"
    workdir.mkdir()
    yield Installed(wheel, venv, workdir)


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def record_modules(wheel: Path) -> list[str]:
    """Every module the wheel's RECORD lists, as an importable dotted name."""
    with zipfile.ZipFile(wheel) as archive:
        (record,) = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
        lines = archive.read(record).decode().splitlines()
    modules = []
    for line in lines:
        path = line.split(",")[0]
        if not path.endswith(".py") or ".dist-info/" in path:
            continue
        parts = path.removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts.pop()
        modules.append(".".join(parts))
    return sorted(modules)


def test_the_wheel_holds_the_product_only(installed: Installed) -> None:
    names = wheel_names(installed.wheel)
    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == {"bot", "workers"}
    assert not [n for n in names if n.split("/")[0] in NOT_SHIPPED]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(installed.wheel) as archive:
        scripts = archive.read(entry_points).decode()
    assert "porch-parallel = bot.cli.main:main" in scripts
    assert "fakehub" not in scripts


def test_the_record_lists_the_product_modules(installed: Installed) -> None:
    modules = record_modules(installed.wheel)
    assert {"bot", "bot.cli.main", "bot.web", "workers", "workers.builders"} <= set(modules)
    assert not [m for m in modules if m.split(".")[0] in NOT_SHIPPED]


def test_every_module_imports_with_only_the_runtime_dependencies(installed: Installed) -> None:
    modules = record_modules(installed.wheel)
    # -I: isolated, so neither the working directory nor PYTHON* variables reach sys.path.
    done = installed.run(installed.bin("python"), "-I", "-c", IMPORT_ALL, *modules)
    assert (done.stdout, done.stderr, done.returncode) == ("", "", 0)


def test_the_stand_in_and_the_local_stack_are_not_installed(installed: Installed) -> None:
    probe = "import importlib.util as u; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    done = installed.run(
        installed.bin("python"), "-I", "-c", f"import sys; {probe}", "fakehub", "porch_localstack"
    )
    assert done.stdout.strip() == "[]"
    assert not installed.bin("fakehub").exists()


def test_demo_says_what_is_missing_and_how_to_get_it(installed: Installed) -> None:
    done = installed.run(installed.bin("porch-parallel"), "demo")
    assert done.returncode == 2
    assert "needs porch-localstack and fakehub, which are not installed" in done.stderr
    assert "make demo" in done.stderr
    assert "pip install ./packages/fakehub ./packages/porch-localstack" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_plan_works(installed: Installed) -> None:
    done = installed.run(installed.bin("porch-parallel"), "plan", SAMPLE_PLAN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("4 phases, valid")
