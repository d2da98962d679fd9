"""A running stand-in as tests see it: URLs, App credentials, the control client and the logs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import github
from github import GithubIntegration

from fakehub.client import FakeHubControl
from fakehub.faults import LoggedRequest
from fakehub.hooks import Conformance
from fakehub.hub import CREDENTIALS_FILE, Hub
from fakehub.server import FakeHubServer
from fakehub.webhooks import Delivery


class RunningFakeHub:
    """A stand-in serving from a thread of this process."""

    def __init__(
        self,
        state_dir: Path,
        webhook_url: str | None = None,
        conformance: Conformance | None = None,
    ) -> None:
        self.server = FakeHubServer(state_dir, webhook_url=webhook_url, conformance=conformance)
        self.server.start()
        self.hub: Hub = self.server.hub
        self.state_dir = state_dir
        self.web_url = self.hub.urls.web
        self.api_url = self.hub.urls.api
        # git remotes are `{git_url}/{owner}/{repo}.git`, as on a GitHub Enterprise host.
        self.git_url = self.hub.urls.web
        self.control = FakeHubControl(self.web_url)
        creds = self.hub.credentials()
        self.credentials: dict[str, Any] = creds
        self.app_id: int = creds["app_id"]
        self.installation_id: int = creds["installation_id"]
        self.private_key: str = creds["private_key"]
        self.private_key_path = Path(creds["private_key_path"])
        self.webhook_secret: str = creds["webhook_secret"]
        self.bot_login: str = creds["bot_login"]

    # -- conveniences -----------------------------------------------------------------------

    def installation_token(self) -> str:
        """A fresh installation token, minted directly (no HTTP round trip)."""
        return self.hub.auth.issue_installation_token().token

    def github(self, token: str | None = None) -> github.Github:
        """A PyGithub client on this stand-in, as the App's installation unless a token is given."""
        return github.Github(
            base_url=self.api_url,
            auth=github.Auth.Token(token or self.installation_token()),
            # PyGithub paces writes for github.com's sake; locally that only slows tests down.
            seconds_between_requests=0,
            seconds_between_writes=0,
            retry=None,
        )

    def integration(self) -> GithubIntegration:
        return GithubIntegration(
            base_url=self.api_url,
            auth=github.Auth.AppAuth(self.app_id, self.private_key),
            seconds_between_requests=0,
            seconds_between_writes=0,
        )

    def clone_url(self, full_name: str, token: str | None = None) -> str:
        """An HTTP remote for the repository; with a token, carrying it as GitHub expects."""
        if token is None:
            return f"{self.git_url}/{full_name}.git"
        host = self.git_url.removeprefix("http://")
        return f"http://x-access-token:{token}@{host}/{full_name}.git"

    def set_webhook_url(self, url: str | None) -> None:
        self.hub.webhooks.url = url

    # -- observation ------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """REST and git requests so far (method, path, status, time, ...); not control calls."""
        return [r for r in self.hub.requests.all() if r.area != "control"]

    @property
    def unexpected_requests(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.unexpected]

    @property
    def deliveries(self) -> list[Delivery]:
        return self.hub.webhooks.deliveries()

    @property
    def violations(self) -> list[str]:
        return list(self.hub.violations)

    def flush(self, timeout: float = 10.0) -> None:
        if not self.hub.webhooks.flush(timeout):
            raise TimeoutError("webhook deliveries still pending")

    @property
    def credentials_file(self) -> Path:
        """The JSON file with the App's credentials, as `fakehub serve` writes it."""
        return self.state_dir / CREDENTIALS_FILE

    def stop(self) -> None:
        self.control.close()
        self.server.stop()


GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Builder",
    "GIT_AUTHOR_EMAIL": "builder@example.com",
    "GIT_COMMITTER_NAME": "Builder",
    "GIT_COMMITTER_EMAIL": "builder@example.com",
}


def git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=check,
    )


def commit_file(workdir: Path, path: str, text: str, message: str) -> str:
    target = workdir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git("add", path, cwd=workdir)
    git("commit", "--quiet", "-m", message, cwd=workdir)
    return git("rev-parse", "HEAD", cwd=workdir).stdout.strip()
