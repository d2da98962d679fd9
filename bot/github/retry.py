"""PyGithub's retry policy, minus the one retry that duplicates work.

PyGithub retries every method on a 5xx by default. GitHub sometimes answers 502 after doing
the work, so a repeated POST opens a second comment or check run. Our writes look for their
own earlier result before trying again (bot.github.client); here a POST that met a server
error is handed back to them. Rate-limit answers (403/429) mean nothing happened, and are
retried as PyGithub does.
"""

from __future__ import annotations

from github.GithubRetry import GithubRetry


class NoBlindPostRetry(GithubRetry):
    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" and status_code >= 500:
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))
