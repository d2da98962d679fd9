"""What a job needs from its surroundings, assembled at the job boundary from plain ids.

Jobs take plain values (a run id, a delivery); each builds a Runtime from the process
settings and the Redis connection RQ gave it, mints its own tokens, and keeps nothing between
jobs. Tests build a Runtime themselves and pass it to a job's body: no worker needed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cached_property

import redis
from rq import get_current_job

from bot.adapters.git import Identity
from bot.adapters.github.auth import AppAuth
from bot.adapters.github.client import RepoClient
from bot.adapters.jobs import JobPlanner
from bot.adapters.store import RunStore
from bot.settings import Settings


class Runtime:
    def __init__(
        self,
        settings: Settings,
        connection: redis.Redis,
        jobs: JobPlanner,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.redis = connection
        self.jobs = jobs
        self.clock = clock

    @classmethod
    def for_job(cls, jobs: JobPlanner) -> Runtime:
        job = get_current_job()
        if job is None:
            raise RuntimeError("Runtime.for_job() called outside an RQ job")
        # A builder worker holds no App secrets; the events role checked for them at start.
        return cls(Settings.from_env(os.environ, app_secrets=False), job.connection, jobs)

    @cached_property
    def auth(self) -> AppAuth:
        return AppAuth(self.settings, self.redis)

    @cached_property
    def store(self) -> RunStore:
        return RunStore(self.redis, self.jobs)

    def repo(self, installation_id: int, full_name: str) -> RepoClient:
        return RepoClient(self.auth.github_for_installation(installation_id), full_name)

    @property
    def identity(self) -> Identity:
        """Who commits: the App's bot account, as GitHub shows App commits."""
        login = "porch-parallel[bot]"
        return Identity(login, f"{self.settings.github_app_id}+{login}@users.noreply.github.com")
