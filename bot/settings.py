"""Process settings, read from the environment in one place and injected everywhere else."""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import SettingsError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_PORT = 8000
STATE_DIR_NAME = "porch-parallel"


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything a `serve` or `worker` process needs to know about its surroundings.

    `repr` is written by hand so that logging a Settings object cannot leak the key, the
    webhook secret or a password inside REDIS_URL.
    """

    github_app_id: str
    github_private_key: str
    github_webhook_secret: str
    github_api_url: str = DEFAULT_API_URL
    redis_url: str | None = None
    # Built by hand (tests, benchmarks): the directory this process's environment points to.
    state_dir: Path = field(default_factory=lambda: state_dir_from_env(os.environ))
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    # GitHub asks integrations to pace their requests (a second between writes) to stay clear
    # of secondary rate limits; a local stand-in needs no pacing, so tests set these to 0.
    github_request_interval: float = 0.25
    github_write_interval: float = 1.0
    # Where people reach the dashboard (links in the status comment); unset: no links.
    public_url: str | None = None
    # Lets an operator see every run (the list of runs, any run's page, /metrics).
    dashboard_token: str | None = None
    log_format: str = "text"  # or "json": one JSON object per line
    # The installation's shared budget of content-creating requests (bot.adapters.github.budget)
    github_writes_per_minute: int = 70
    github_writes_per_hour: int = 450
    github_max_wait: float = 60.0
    # The status comment is edited at most once per this many seconds, however many events.
    status_interval: float = 3.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, app_secrets: bool = True) -> Settings:
        """Build settings from an environment mapping (pass `os.environ` at the entry point).

        `app_secrets=False` (builder workers) needs neither the private key nor the webhook
        secret, and leaves them empty when they are absent.
        """
        env = {key: value.strip() for key, value in environ.items()}
        has_key = bool(env.get("GITHUB_PRIVATE_KEY") or env.get("GITHUB_PRIVATE_KEY_PATH"))
        return cls(
            github_app_id=_required(env, "GITHUB_APP_ID"),
            github_private_key=_private_key(env) if app_secrets or has_key else "",
            github_webhook_secret=(
                _required(env, "GITHUB_WEBHOOK_SECRET")
                if app_secrets
                else env.get("GITHUB_WEBHOOK_SECRET", "")
            ),
            github_api_url=_api_url(env.get("GITHUB_API_URL") or DEFAULT_API_URL),
            redis_url=env.get("REDIS_URL") or None,
            state_dir=state_dir_from_env(env),
            host=env.get("PORCH_HOST") or "127.0.0.1",
            port=_port(env.get("PORT") or str(DEFAULT_PORT)),
            log_level=(env.get("PORCH_LOG_LEVEL") or "INFO").upper(),
            github_request_interval=_seconds(env, "PORCH_GITHUB_REQUEST_INTERVAL", 0.25),
            github_write_interval=_seconds(env, "PORCH_GITHUB_WRITE_INTERVAL", 1.0),
            public_url=_public_url(env.get("PORCH_PUBLIC_URL", "")),
            dashboard_token=_token(env.get("PORCH_DASHBOARD_TOKEN", "")),
            log_format=_log_format(env.get("PORCH_LOG_FORMAT", "")),
            github_writes_per_minute=_count(env, "PORCH_GITHUB_WRITES_PER_MINUTE", 70),
            github_writes_per_hour=_count(env, "PORCH_GITHUB_WRITES_PER_HOUR", 450),
            github_max_wait=_seconds(env, "PORCH_GITHUB_MAX_WAIT", 60.0),
            status_interval=_seconds(env, "PORCH_STATUS_INTERVAL", 3.0),
        )

    @property
    def app_secrets(self) -> list[str]:
        """The App's secrets this process holds, for redaction."""
        return [s for s in (self.github_webhook_secret, self.github_private_key) if s]

    @property
    def redis_display(self) -> str:
        """Where Redis is, for logs: the URL without its credentials, or the embedded server."""
        if not self.redis_url:
            return f"embedded ({self.state_dir})"
        parts = urlsplit(self.redis_url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    def __repr__(self) -> str:
        return (
            f"Settings(github_app_id={self.github_app_id!r}, "
            f"github_api_url={self.github_api_url!r}, redis={self.redis_display!r}, "
            f"state_dir={str(self.state_dir)!r}, host={self.host!r}, port={self.port!r}, "
            f"log_level={self.log_level!r}, public_url={self.public_url!r})"
        )


def state_dir_from_env(environ: Mapping[str, str]) -> Path:
    """Where the embedded Redis lives: PORCH_STATE_DIR, else the user's XDG state directory.

    Never relative to the current directory: a `serve` and a `worker` started from different
    folders must find the same server, not start one each.
    """
    explicit = environ.get("PORCH_STATE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    xdg = environ.get("XDG_STATE_HOME", "").strip()
    # The XDG spec: a relative path in these variables is invalid and is ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / STATE_DIR_NAME
    return _home(environ) / ".local" / "state" / STATE_DIR_NAME


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME", "").strip()
    if home:
        return Path(home)
    # As os.path.expanduser does without HOME: the account's home from the password database.
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _private_key(env: Mapping[str, str]) -> str:
    inline = env.get("GITHUB_PRIVATE_KEY", "")
    path = env.get("GITHUB_PRIVATE_KEY_PATH", "")
    if inline and path:
        raise SettingsError("set only one of GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH")
    if path:
        try:
            pem = Path(path).read_text()
        except OSError as exc:
            raise SettingsError(
                f"GITHUB_PRIVATE_KEY_PATH: cannot read {path}: {exc.strerror}"
            ) from None
        source = "GITHUB_PRIVATE_KEY_PATH"
    elif inline:
        # Many hosts cannot hold a multi-line variable; accept the PEM with literal "\n"s.
        pem = inline.replace("\\n", "\n") if "\n" not in inline else inline
        source = "GITHUB_PRIVATE_KEY"
    else:
        raise SettingsError("GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set")
    if "-----BEGIN" not in pem or "PRIVATE KEY-----" not in pem:
        # Say what is wrong without echoing the value: it is a secret.
        raise SettingsError(f"{source}: not a PEM private key")
    return pem


def _api_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"GITHUB_API_URL: {value!r} is not an http(s) URL "
            "(e.g. https://api.github.com or http://host:port/api/v3)"
        )
    return value.rstrip("/")


def _public_url(value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingsError(
            f"PORCH_PUBLIC_URL: {value!r} is not an http(s) URL (e.g. https://porch.example.com)"
        )
    return value.rstrip("/")


# Shorter than this, a token could be guessed; say so rather than serve with it.
MIN_TOKEN_LENGTH = 16


def _token(value: str) -> str | None:
    if not value:
        return None
    if len(value) < MIN_TOKEN_LENGTH:
        raise SettingsError(f"PORCH_DASHBOARD_TOKEN: use at least {MIN_TOKEN_LENGTH} characters")
    return value


def _log_format(value: str) -> str:
    value = value.lower() or "text"
    if value not in ("text", "json"):
        raise SettingsError(f"PORCH_LOG_FORMAT: {value!r} is not text or json")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "")
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 3600:
        raise SettingsError(f"{name}: {value!r} is not a number of seconds")
    return seconds


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name}: {value!r} is not a positive whole number")
    return int(value)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"PORT: {value!r} is not a TCP port number")
    return int(value)
