"""What a person is told when a command fails on GitHub: one table from failure to message."""

from __future__ import annotations

import requests
from github import GithubException

from bot.core.messages import TITLE
from bot.errors import FileTooLarge, GitHubAuthError


def for_failure(exc: BaseException) -> str:
    """What went wrong, for the person who gave the command; never a token or a traceback."""
    if isinstance(exc, GithubException):
        what = f"GitHub answered {exc.status}"
    elif isinstance(exc, FileTooLarge | GitHubAuthError):
        what = str(exc)
    elif isinstance(exc, requests.exceptions.RetryError):
        what = "GitHub kept answering with server errors"
    elif isinstance(exc, requests.RequestException):
        what = "GitHub could not be reached"
    else:
        what = f"an internal error ({type(exc).__name__})"
    return (
        f"{TITLE} could not carry out this command: {what}. "
        "Nothing was started; comment the command again to retry."
    )
