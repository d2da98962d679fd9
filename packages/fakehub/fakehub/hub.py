"""The stand-in's core: state, git, App identity, webhooks and observation, without HTTP."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from fakehub import render
from fakehub.auth import AppIdentity, Authenticator
from fakehub.clock import Clock, iso
from fakehub.faults import Faults, RequestLog
from fakehub.gitrepo import GitRepo, Person
from fakehub.hooks import Conformance
from fakehub.limits import LimitKeeper
from fakehub.render import JSON, Urls
from fakehub.store import Issue, Permission, Repo, Store, User
from fakehub.webhooks import WebhookSender

CREDENTIALS_FILE = "fakehub-app.json"
PRIVATE_KEY_FILE = "fakehub-app.pem"
# GitHub plans, as far as they change what a repository offers (draft pulls in private ones).
OWNER_PLANS = ("free", "pro", "team", "enterprise")


class Hub:
    def __init__(
        self,
        state_dir: Path,
        webhook_url: str | None = None,
        conformance: Conformance | None = None,
        web_url: str = "http://127.0.0.1",
    ) -> None:
        self.state_dir = state_dir
        self.repos_dir = state_dir / "repos"
        # State does not survive a restart: repositories left by an earlier run would disagree
        # with the empty in-memory state, so the stand-in's own directories start afresh.
        for owned in (self.repos_dir, state_dir / "staging"):
            shutil.rmtree(owned, ignore_errors=True)
        self.repos_dir.mkdir(parents=True, exist_ok=True)
        self.clock = Clock()
        self.store = Store()
        self.urls = Urls(web_url)
        self.conformance = conformance
        self.violations: list[str] = []
        self._violations_lock = threading.Lock()
        self.faults = Faults()
        self.limits = LimitKeeper()
        self.requests = RequestLog()
        # Calls per caller in the current hour: (window start, count), for x-ratelimit-*.
        self.rate_counters: dict[str, tuple[int, int]] = {}
        owner = self.store.user("fakehub-apps", "Organization")
        self.app = AppIdentity.generate(self.store, owner, self.clock.now())
        self.auth = Authenticator(self.store, self.app, self.clock)
        self.webhooks = WebhookSender(
            self.app.webhook_secret, webhook_url, self._check_webhook, app_id=self.app.app_id
        )
        # git writes (merges, ref moves) per repository are serialised so refs move atomically.
        self._git_locks: dict[int, threading.Lock] = {}

    # -- observation ------------------------------------------------------------------------

    def add_violations(self, problems: list[str]) -> None:
        """Record what the checker found (its messages name the request or event)."""
        if problems:
            with self._violations_lock:
                self.violations.extend(problems)

    def _check_webhook(self, event: str, payload: dict[str, Any]) -> None:
        if self.conformance is not None:
            self.add_violations(self.conformance.check_webhook(event, payload))

    def emit(self, event: str, repo: Repo | None, sender: User, **fields: Any) -> None:
        """Send a webhook with the `repository`, `sender` and `installation` every event carries."""
        payload: dict[str, Any] = dict(fields)
        if repo is not None:
            payload["repository"] = self.repo_json(repo)
        payload["sender"] = render.user(self.urls, sender)
        # The `installation` event carries the full installation; the others a reference.
        payload.setdefault("installation", self.installation_ref())
        self.webhooks.send(event, payload)

    # -- credentials ------------------------------------------------------------------------

    def credentials(self) -> JSON:
        return {
            "app_id": self.app.app_id,
            "app_slug": self.app.slug,
            "installation_id": self.app.installation_id,
            "webhook_secret": self.app.webhook_secret,
            "private_key": self.app.private_key_pem,
            "private_key_path": str(self.state_dir / PRIVATE_KEY_FILE),
            "api_url": self.urls.api,
            "git_url": self.urls.web,
            "control_url": f"{self.urls.web}/_fakehub",
            "bot_login": self.app.bot.login,
        }

    def write_credentials(self) -> Path:
        # Both files hold the App's private key (the credentials also the webhook secret).
        _write_private(self.state_dir / PRIVATE_KEY_FILE, self.app.private_key_pem)
        path = self.state_dir / CREDENTIALS_FILE
        _write_private(path, json.dumps(self.credentials(), indent=2) + "\n")
        return path

    # -- repositories -----------------------------------------------------------------------

    def git(self, repo: Repo) -> GitRepo:
        return GitRepo(repo.path)

    def git_lock(self, repo: Repo) -> threading.Lock:
        with self.store.lock:
            return self._git_locks.setdefault(repo.id, threading.Lock())

    def create_repo(
        self,
        owner: str,
        name: str,
        source: Path | None = None,
        files: dict[str, str] | None = None,
        default_branch: str = "main",
        description: str | None = None,
        private: bool = True,
        owner_plan: str = "team",
    ) -> Repo:
        """A repository whose first commit is a snapshot of `source` and/or `files`."""
        if owner_plan not in OWNER_PLANS:
            raise ValueError(f"owner_plan must be one of {', '.join(OWNER_PLANS)}")
        with self.store.lock:
            if self.store.repo(owner, name) is not None:
                raise ValueError(f"repository {owner}/{name} already exists")
            now = self.clock.now()
            repo = Repo(
                id=self.store.new_id(),
                owner=self.store.user(owner),
                name=name,
                path=self.repos_dir / owner / f"{name}.git",
                default_branch=default_branch,
                created_at=now,
                pushed_at=now,
                description=description,
                private=private,
                owner_plan=owner_plan,
            )
            self.store.repos[repo.full_name.lower()] = repo
        git = GitRepo.init_bare(repo.path, default_branch)
        if source is not None or files:
            staging = self.state_dir / "staging" / f"{repo.id}"
            staging.mkdir(parents=True)
            if source is not None:
                _copy_tree(source, staging)
            for rel, text in (files or {}).items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            author = Person(repo.owner.login, f"{repo.owner.login}@users.noreply.fakehub", int(now))
            git.import_directory(staging, default_branch, author, "Initial commit")
            shutil.rmtree(staging, ignore_errors=True)
        return repo

    def add_collaborator(self, repo: Repo, login: str, permission: Permission) -> User:
        with self.store.lock:
            user = self.store.user(login)
            repo.collaborators[user.login] = permission
            return user

    def open_issue_count(self, repo: Repo) -> int:
        with self.store.lock:
            return sum(1 for i in repo.issues.values() if i.state == "open")

    def repo_json(self, repo: Repo, full: bool = False) -> JSON:
        return render.repository(
            self.urls, repo, full=full, open_issues=self.open_issue_count(repo)
        )

    def installation_ref(self) -> JSON:
        return {"id": self.app.installation_id, "node_id": render.node_id("Installation", 1)}

    def app_json(self) -> JSON:
        a = self.app
        return render.integration(self.urls, a.app_id, a.slug, a.name, a.owner, a.created_at)

    def installation_json(self) -> JSON:
        a = self.app
        return {
            "id": a.installation_id,
            "account": render.user(self.urls, a.owner),
            "repository_selection": "all",
            "access_tokens_url": (
                f"{self.urls.api}/app/installations/{a.installation_id}/access_tokens"
            ),
            "repositories_url": f"{self.urls.api}/installation/repositories",
            "html_url": f"{self.urls.web}/settings/installations/{a.installation_id}",
            "app_id": a.app_id,
            "app_slug": a.slug,
            "target_id": a.owner.id,
            "target_type": a.owner.type,
            "permissions": dict(render.APP_PERMISSIONS),
            "events": list(render.APP_EVENTS),
            "created_at": iso(a.created_at),
            "updated_at": iso(a.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def head_sha(self, repo: Repo, issue: Issue) -> str:
        """A pull's head: the branch tip while it exists, else the last head seen."""
        assert issue.pull is not None
        if issue.state == "open":
            found = self.git(repo).ref_sha(f"refs/heads/{issue.pull.head_ref}")
            if found:
                return found
        return issue.pull.head_sha


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, from the moment it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # a file left by an earlier start kept its mode
        handle.write(text)
