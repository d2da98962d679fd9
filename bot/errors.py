"""Domain exceptions of the bot's edge: settings, embedded Redis, GitHub auth, repository config."""

from __future__ import annotations


class PorchError(Exception):
    """Base of every error the bot raises on purpose."""


class SettingsError(PorchError):
    """The process environment is missing a variable or holds an unusable value."""


class EmbeddedRedisError(PorchError):
    """The embedded redis-server could not be started or reached."""


class GitHubAuthError(PorchError):
    """GitHub refused to mint an installation token (the message never holds a credential)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ConfigError(PorchError):
    """`.github/porch.yml` is not valid; the message names the key path (or line) and why."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)


class FileTooLarge(PorchError):
    """A plan or config file on GitHub is larger than the bot reads."""


class ForeignObject(PorchError):
    """A branch or PR the bot would reuse is not what it made; the message says what was
    found and how to clear it."""


class GitHubRateLimited(PorchError):
    """GitHub's budget for the installation is spent until `resume_at` (epoch seconds), longer
    than a job should wait: the job is to be run again then, not failed."""

    def __init__(self, installation_id: int, resume_at: float) -> None:
        super().__init__(
            f"installation {installation_id}: GitHub's limit resets at {resume_at:.0f}"
        )
        self.installation_id = installation_id
        self.resume_at = resume_at
