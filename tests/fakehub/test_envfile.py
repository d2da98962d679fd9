"""The env file `fakehub serve --env-file` writes: shell-safe, private, replaced whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakehub import envfile

AWKWARD = [
    "plain",
    "with space",
    "it's quoted",
    "$HOME and `date` and $(id)",
    'double "quotes" \\ backslash',
    "two\nlines",
    "",
]


def sourced(path: Path, names: list[str]) -> dict[str, str]:
    """The variables a POSIX shell holds after `set -a; . PATH; set +a`."""
    script = 'set -a; . "$1"; set +a; shift; exec "$PYTHON" -c "$PRINT" "$@"'
    printer = "import json, os, sys; print(json.dumps({n: os.environ[n] for n in sys.argv[1:]}))"
    done = subprocess.run(
        ["sh", "-c", script, "sh", str(path), *names],
        env={"PATH": os.environ["PATH"], "PYTHON": sys.executable, "PRINT": printer},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, str] = json.loads(done.stdout)
    return loaded


@pytest.mark.parametrize("value", AWKWARD)
def test_any_value_survives_sourcing(tmp_path: Path, value: str) -> None:
    path = tmp_path / "hub.env"
    envfile.write(path, {"SOME_SETTING": value}, "a header")
    assert sourced(path, ["SOME_SETTING"]) == {"SOME_SETTING": value}


def test_the_file_is_private_even_when_one_was_there_before(tmp_path: Path) -> None:
    path = tmp_path / "hub.env"
    path.write_text("OLD=1\n")
    path.chmod(0o644)
    envfile.write(path, {"NEW": "2"}, "a header")
    assert path.stat().st_mode & 0o777 == 0o600
    assert "OLD" not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["hub.env"]


def test_the_header_is_comments(tmp_path: Path) -> None:
    text = envfile.render({"A": "1"}, "first line\nsecond line")
    assert text == "# first line\n# second line\nA=1\n"


def test_the_bots_settings_come_from_the_credentials(tmp_path: Path) -> None:
    credentials = {
        "api_url": "http://127.0.0.1:8765/api/v3",
        "app_id": 1001,
        "private_key_path": "relative/fakehub-app.pem",
        "webhook_secret": "s3cret",
    }
    environment = envfile.bot_environment(credentials)
    assert list(environment) == [
        "GITHUB_API_URL",
        "GITHUB_APP_ID",
        "GITHUB_PRIVATE_KEY_PATH",
        "GITHUB_WEBHOOK_SECRET",
        "PORCH_GITHUB_REQUEST_INTERVAL",
        "PORCH_GITHUB_WRITE_INTERVAL",
    ]
    assert environment["GITHUB_APP_ID"] == "1001"
    assert Path(environment["GITHUB_PRIVATE_KEY_PATH"]).is_absolute()
    assert environment["PORCH_GITHUB_REQUEST_INTERVAL"] == "0"
