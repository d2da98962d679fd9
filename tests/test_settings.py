"""Settings.from_env: defaults, clear errors naming the variable, and no secret in repr."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.errors import SettingsError
from bot.settings import Settings, state_dir_from_env


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def env(pem: str) -> dict[str, str]:
    return {
        "GITHUB_APP_ID": "1234",
        "GITHUB_PRIVATE_KEY": pem,
        "GITHUB_WEBHOOK_SECRET": "s3cr3t",
        "HOME": "/home/maria",
    }


def test_defaults(env: dict[str, str], pem: str) -> None:
    settings = Settings.from_env(env)
    assert settings.github_api_url == "https://api.github.com"
    assert settings.github_app_id == "1234"
    assert settings.github_private_key == pem.strip()
    assert settings.redis_url is None
    assert settings.state_dir == Path("/home/maria/.local/state/porch-parallel")
    assert settings.port == 8000
    assert (settings.github_request_interval, settings.github_write_interval) == (0.25, 1.0)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HOME": "/home/maria"}, "/home/maria/.local/state/porch-parallel"),
        (
            {"HOME": "/home/maria", "XDG_STATE_HOME": "/var/lib/maria"},
            "/var/lib/maria/porch-parallel",
        ),
        # The XDG spec: a relative path there is invalid and ignored.
        (
            {"HOME": "/home/maria", "XDG_STATE_HOME": "state"},
            "/home/maria/.local/state/porch-parallel",
        ),
        (
            {"HOME": "/home/maria", "XDG_STATE_HOME": "/x", "PORCH_STATE_DIR": "/srv/porch"},
            "/srv/porch",
        ),
        (
            {"HOME": "/home/maria", "PORCH_STATE_DIR": " "},
            "/home/maria/.local/state/porch-parallel",
        ),
    ],
)
def test_state_dir_does_not_depend_on_the_current_directory(
    environ: dict[str, str], expected: str
) -> None:
    assert state_dir_from_env(environ) == Path(expected)


def test_state_dir_from_settings_env(env: dict[str, str]) -> None:
    env["XDG_STATE_HOME"] = "/var/lib/maria"
    assert Settings.from_env(env).state_dir == Path("/var/lib/maria/porch-parallel")


def test_pacing_can_be_turned_off(env: dict[str, str]) -> None:
    env.update(PORCH_GITHUB_REQUEST_INTERVAL="0", PORCH_GITHUB_WRITE_INTERVAL="0")
    settings = Settings.from_env(env)
    assert (settings.github_request_interval, settings.github_write_interval) == (0, 0)


def test_enterprise_url_loses_trailing_slash(env: dict[str, str]) -> None:
    env["GITHUB_API_URL"] = "http://127.0.0.1:9000/api/v3/"
    assert Settings.from_env(env).github_api_url == "http://127.0.0.1:9000/api/v3"


def test_key_from_path(env: dict[str, str], pem: str, tmp_path: Path) -> None:
    (tmp_path / "app.pem").write_text(pem)
    del env["GITHUB_PRIVATE_KEY"]
    env["GITHUB_PRIVATE_KEY_PATH"] = str(tmp_path / "app.pem")
    assert Settings.from_env(env).github_private_key == pem


def test_key_with_escaped_newlines(env: dict[str, str], pem: str) -> None:
    env["GITHUB_PRIVATE_KEY"] = pem.replace("\n", "\\n")
    assert Settings.from_env(env).github_private_key.strip() == pem.strip()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"GITHUB_APP_ID": ""}, "GITHUB_APP_ID is not set"),
        ({"GITHUB_WEBHOOK_SECRET": ""}, "GITHUB_WEBHOOK_SECRET is not set"),
        ({"GITHUB_PRIVATE_KEY": ""}, "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set"),
        ({"GITHUB_PRIVATE_KEY": "hunter2"}, "GITHUB_PRIVATE_KEY: not a PEM private key"),
        ({"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "set only one of"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL"),
        ({"PORCH_PUBLIC_URL": "porch.example.com"}, "PORCH_PUBLIC_URL"),
        ({"PORCH_DASHBOARD_TOKEN": "short"}, "PORCH_DASHBOARD_TOKEN: use at least 16"),
        ({"PORCH_LOG_FORMAT": "xml"}, "PORCH_LOG_FORMAT"),
        ({"PORT": "http"}, "PORT"),
        ({"PORCH_GITHUB_WRITE_INTERVAL": "soon"}, "PORCH_GITHUB_WRITE_INTERVAL"),
        ({"PORCH_GITHUB_REQUEST_INTERVAL": "-1"}, "PORCH_GITHUB_REQUEST_INTERVAL"),
    ],
)
def test_errors_name_the_variable(
    env: dict[str, str], change: dict[str, str], message: str
) -> None:
    env.update(change)
    with pytest.raises(SettingsError, match=message) as raised:
        Settings.from_env(env)
    assert "hunter2" not in str(raised.value)


def test_unreadable_key_path(env: dict[str, str]) -> None:
    del env["GITHUB_PRIVATE_KEY"]
    env["GITHUB_PRIVATE_KEY_PATH"] = "/nonexistent/key.pem"
    with pytest.raises(SettingsError, match="GITHUB_PRIVATE_KEY_PATH: cannot read"):
        Settings.from_env(env)


def test_repr_holds_no_secret(env: dict[str, str]) -> None:
    env["REDIS_URL"] = "redis://user:pa55word@redis.internal:6380/2"
    settings = Settings.from_env(env)
    shown = repr(settings) + str(settings)
    assert "s3cr3t" not in shown
    assert "PRIVATE KEY" not in shown
    assert "pa55word" not in shown
    assert "redis://redis.internal:6380/2" in shown


def test_dashboard_settings(env: dict[str, str]) -> None:
    settings = Settings.from_env(
        {
            **env,
            "PORCH_PUBLIC_URL": "https://porch.example.com/",
            "PORCH_DASHBOARD_TOKEN": "a-token-long-enough",
            "PORCH_LOG_FORMAT": "JSON",
        }
    )
    assert settings.public_url == "https://porch.example.com"
    assert settings.dashboard_token == "a-token-long-enough"
    assert settings.log_format == "json"
    assert "a-token-long-enough" not in repr(settings)
    unset = Settings.from_env(env)
    assert (unset.public_url, unset.dashboard_token, unset.log_format) == (None, None, "text")
