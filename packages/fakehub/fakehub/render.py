"""GitHub-shaped JSON for the stand-in's objects, with every property GitHub's schema requires."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from fakehub.clock import iso
from fakehub.store import (
    CheckRun,
    Comment,
    Issue,
    Label,
    Reaction,
    Repo,
    Review,
    ReviewComment,
    User,
)

JSON = dict[str, Any]

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
APP_PERMISSIONS = {
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
APP_EVENTS = ["check_run", "issue_comment", "issues", "pull_request", "pull_request_review", "push"]


@dataclass(frozen=True)
class Urls:
    """Where the stand-in is: `web` like https://github.com, `api` like https://api.github.com."""

    web: str

    @property
    def api(self) -> str:
        return f"{self.web}/api/v3"

    def repo_api(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_web(self, repo: Repo) -> str:
        return f"{self.web}/{repo.full_name}"


def node_id(kind: str, id_: int) -> str:
    return base64.b64encode(f"0:{kind}{id_}".encode()).decode().rstrip("=")


def user(urls: Urls, u: User) -> JSON:
    api = f"{urls.api}/users/{u.login}"
    return {
        "login": u.login,
        "id": u.id,
        "node_id": node_id("User", u.id),
        "avatar_url": f"{urls.web}/avatars/u/{u.id}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.web}/{u.login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": u.type,
        "site_admin": False,
        "user_view_type": "public",
    }


_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repository(urls: Urls, repo: Repo, full: bool = False, open_issues: int = 0) -> JSON:
    """The `repository` object; `full` adds what GET /repos/{owner}/{repo} returns."""
    api = urls.repo_api(repo)
    web = urls.repo_web(repo)
    data: JSON = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user(urls, repo.owner),
        "html_url": web,
        "description": repo.description,
        "fork": False,
        "url": api,
        **{key: api + suffix for key, suffix in _REPO_URL_TEMPLATES.items()},
        "git_url": f"{urls.web}/{repo.full_name}.git",
        "ssh_url": f"git@fakehub:{repo.full_name}.git",
        "clone_url": f"{urls.web}/{repo.full_name}.git",
        "svn_url": web,
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": False,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "license": None,
        "allow_forking": False,
        "web_commit_signoff_required": False,
        "pushed_at": iso(repo.pushed_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.pushed_at),
    }
    if full:
        data.update(
            {
                "network_count": 0,
                "subscribers_count": 0,
                "allow_merge_commit": True,
                "allow_squash_merge": True,
                "allow_rebase_merge": True,
                "allow_auto_merge": False,
                "delete_branch_on_merge": False,
                "permissions": {
                    "admin": True,
                    "maintain": True,
                    "push": True,
                    "triage": True,
                    "pull": True,
                },
            }
        )
    return data


def label(urls: Urls, repo: Repo, lab: Label) -> JSON:
    return {
        "id": lab.id,
        "node_id": node_id("Label", lab.id),
        "url": f"{urls.repo_api(repo)}/labels/{lab.name}",
        "name": lab.name,
        "color": lab.color,
        "description": lab.description,
        "default": False,
    }


def reaction_rollup(url: str, reactions: list[Reaction]) -> JSON:
    counts = {content: 0 for content in REACTIONS}
    for r in reactions:
        counts[r.content] += 1
    return {"url": url, "total_count": len(reactions), **counts}


def reaction(urls: Urls, r: Reaction) -> JSON:
    return {
        "id": r.id,
        "node_id": node_id("Reaction", r.id),
        "user": user(urls, r.user),
        "content": r.content,
        "created_at": iso(r.created_at),
    }


def author_association(repo: Repo, u: User) -> str:
    if u.login == repo.owner.login:
        return "OWNER"
    if u.login in repo.collaborators:
        return "COLLABORATOR"
    return "NONE"


def issue(urls: Urls, repo: Repo, it: Issue, via_app: JSON | None = None) -> JSON:
    """An issue (or a pull's issue side); `via_app` is the App that opened it, if one did."""
    api = f"{urls.repo_api(repo)}/issues/{it.number}"
    data: JSON = {
        "id": it.id,
        "node_id": node_id("Issue", it.id),
        "url": api,
        "repository_url": urls.repo_api(repo),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{urls.repo_web(repo)}/{'pull' if it.pull else 'issues'}/{it.number}",
        "number": it.number,
        "state": it.state,
        "state_reason": it.state_reason,
        "title": it.title,
        "body": it.body,
        "user": user(urls, it.user),
        "labels": [label(urls, repo, lab) for lab in it.labels],
        "assignee": user(urls, it.assignees[0]) if it.assignees else None,
        "assignees": [user(urls, a) for a in it.assignees],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": len(it.comments),
        "closed_at": iso(it.closed_at) if it.closed_at else None,
        "created_at": iso(it.created_at),
        "updated_at": iso(it.updated_at),
        "closed_by": user(urls, it.closed_by) if it.closed_by else None,
        "author_association": author_association(repo, it.user),
        "reactions": reaction_rollup(f"{api}/reactions", it.reactions),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": via_app,
    }
    if it.pull is not None:
        pull_api = f"{urls.repo_api(repo)}/pulls/{it.number}"
        pull_web = f"{urls.repo_web(repo)}/pull/{it.number}"
        data["draft"] = it.pull.draft
        data["pull_request"] = {
            "url": pull_api,
            "html_url": pull_web,
            "diff_url": f"{pull_web}.diff",
            "patch_url": f"{pull_web}.patch",
            "merged_at": iso(it.pull.merged_at) if it.pull.merged_at else None,
        }
    return data


def comment(urls: Urls, repo: Repo, c: Comment, via_app: JSON | None = None) -> JSON:
    api = f"{urls.repo_api(repo)}/issues/comments/{c.id}"
    return {
        "id": c.id,
        "node_id": node_id("IssueComment", c.id),
        "url": api,
        "html_url": f"{urls.repo_web(repo)}/issues/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{urls.repo_api(repo)}/issues/{c.issue_number}",
        "body": c.body,
        "user": user(urls, c.user),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": author_association(repo, c.user),
        "reactions": reaction_rollup(f"{api}/reactions", c.reactions),
        "performed_via_github_app": via_app,
    }


def review(urls: Urls, repo: Repo, number: int, r: Review) -> JSON:
    pull_api = f"{urls.repo_api(repo)}/pulls/{number}"
    html = f"{urls.repo_web(repo)}/pull/{number}#pullrequestreview-{r.id}"
    return {
        "id": r.id,
        "node_id": node_id("PullRequestReview", r.id),
        "user": user(urls, r.user),
        "body": r.body,
        "state": r.state,
        "html_url": html,
        "pull_request_url": pull_api,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_api}},
        "submitted_at": iso(r.submitted_at),
        "commit_id": r.commit_id,
        "author_association": author_association(repo, r.user),
    }


def review_comment(urls: Urls, repo: Repo, number: int, r: Review, c: ReviewComment) -> JSON:
    """An inline comment of review `r`, on the line of the file it names."""
    pull_api = f"{urls.repo_api(repo)}/pulls/{number}"
    url = f"{urls.repo_api(repo)}/pulls/comments/{c.id}"
    html = f"{urls.repo_web(repo)}/pull/{number}#discussion_r{c.id}"
    return {
        "id": c.id,
        "node_id": node_id("PullRequestReviewComment", c.id),
        "url": url,
        "pull_request_review_id": r.id,
        "diff_hunk": f"@@ -{c.line},1 +{c.line},1 @@",
        "path": c.path,
        "position": c.line,
        "original_position": c.line,
        "commit_id": r.commit_id,
        "original_commit_id": r.commit_id,
        "user": user(urls, r.user),
        "body": c.body,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.created_at),
        "html_url": html,
        "pull_request_url": pull_api,
        "author_association": author_association(repo, r.user),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "pull_request": {"href": pull_api},
        },
        "line": c.line,
        "original_line": c.line,
        "side": "RIGHT",
    }


def integration(urls: Urls, app_id: int, slug: str, name: str, owner: User, created: float) -> JSON:
    return {
        "id": app_id,
        "slug": slug,
        "client_id": f"Iv1.{app_id:016x}",
        "node_id": node_id("App", app_id),
        "owner": user(urls, owner),
        "name": name,
        "description": "A GitHub App that runs the phases of a plan in parallel.",
        "external_url": urls.web,
        "html_url": f"{urls.web}/apps/{slug}",
        "created_at": iso(created),
        "updated_at": iso(created),
        "permissions": dict(APP_PERMISSIONS),
        "events": list(APP_EVENTS),
        "installations_count": 1,
    }


def check_run(urls: Urls, repo: Repo, run: CheckRun, app: JSON, pulls: list[JSON]) -> JSON:
    api = f"{urls.repo_api(repo)}/check-runs/{run.id}"
    output = run.output
    return {
        "id": run.id,
        "node_id": node_id("CheckRun", run.id),
        "head_sha": run.head_sha,
        # GitHub answers "" for a run created without one.
        "external_id": run.external_id or "",
        "url": api,
        "html_url": f"{urls.repo_web(repo)}/runs/{run.id}",
        # Without one from the App, GitHub points at the App's homepage.
        "details_url": run.details_url or app.get("external_url"),
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at) if run.started_at else None,
        "completed_at": iso(run.completed_at) if run.completed_at else None,
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(output.get("annotations", [])),
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.suite_id},
        "app": app,
        "pull_requests": pulls,
    }


def pull_ref_min(urls: Urls, repo: Repo, ref_name: str, sha: str) -> JSON:
    """The short form of a PR's head or base, as in check runs' `pull_requests`."""
    return {
        "ref": ref_name,
        "sha": sha,
        "repo": {"id": repo.id, "url": urls.repo_api(repo), "name": repo.name},
    }


def organization(urls: Urls, owner: User) -> JSON:
    """The account owning a repository, in the shape webhooks give `organization`."""
    api = f"{urls.api}/orgs/{owner.login}"
    return {
        "login": owner.login,
        "id": owner.id,
        "node_id": node_id("Organization", owner.id),
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"{urls.web}/avatars/u/{owner.id}",
        "description": None,
    }
