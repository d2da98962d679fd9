"""GitHub-shaped JSON for git data: commits, refs, branches, contents and diffs."""

from __future__ import annotations

import base64

from fakehub.clock import iso
from fakehub.gitrepo import CommitInfo, FileChange, GitRepo, Person, TreeEntry
from fakehub.render import JSON, Urls, node_id
from fakehub.store import Repo


def git_person(p: Person) -> JSON:
    return {"name": p.name, "email": p.email, "date": iso(p.date)}


def _verification() -> JSON:
    return {
        "verified": False,
        "reason": "unsigned",
        "signature": None,
        "payload": None,
        "verified_at": None,
    }


def git_commit(urls: Urls, repo: Repo, c: CommitInfo) -> JSON:
    """A commit as the Git database API shows it (`/git/commits/{sha}`)."""
    api = urls.repo_api(repo)
    return {
        "sha": c.sha,
        "node_id": node_id("Commit", int(c.sha[:8], 16)),
        "url": f"{api}/git/commits/{c.sha}",
        "html_url": f"{urls.repo_web(repo)}/commit/{c.sha}",
        "author": git_person(c.author),
        "committer": git_person(c.committer),
        "message": c.message,
        "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
        "parents": [
            {
                "sha": p,
                "url": f"{api}/git/commits/{p}",
                "html_url": f"{urls.repo_web(repo)}/commit/{p}",
            }
            for p in c.parents
        ],
        "verification": _verification(),
    }


def commit(urls: Urls, repo: Repo, c: CommitInfo, files: list[FileChange] | None = None) -> JSON:
    """A commit as the REST API shows it (`/commits/{ref}`); `files` only for a single commit."""
    api = urls.repo_api(repo)
    data: JSON = {
        "sha": c.sha,
        "node_id": node_id("Commit", int(c.sha[:8], 16)),
        "url": f"{api}/commits/{c.sha}",
        "html_url": f"{urls.repo_web(repo)}/commit/{c.sha}",
        "comments_url": f"{api}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{c.sha}",
            "author": git_person(c.author),
            "committer": git_person(c.committer),
            "message": c.message,
            "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            "comment_count": 0,
            "verification": _verification(),
        },
        # GitHub maps commit emails to accounts; the stand-in has no such mapping.
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": p,
                "url": f"{api}/commits/{p}",
                "html_url": f"{urls.repo_web(repo)}/commit/{p}",
            }
            for p in c.parents
        ],
    }
    if files is not None:
        adds = sum(f.additions for f in files)
        dels = sum(f.deletions for f in files)
        data["stats"] = {"additions": adds, "deletions": dels, "total": adds + dels}
        data["files"] = [diff_entry(urls, repo, c.sha, f) for f in files]
    return data


def diff_entry(urls: Urls, repo: Repo, sha: str, f: FileChange) -> JSON:
    api = urls.repo_api(repo)
    data: JSON = {
        "sha": f.sha,
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"{urls.repo_web(repo)}/blob/{sha}/{f.filename}",
        "raw_url": f"{urls.repo_web(repo)}/raw/{sha}/{f.filename}",
        "contents_url": f"{api}/contents/{f.filename}?ref={sha}",
    }
    if f.previous_filename:
        data["previous_filename"] = f.previous_filename
    return data


def ref(urls: Urls, repo: Repo, name: str, sha: str) -> JSON:
    return {
        "ref": name,
        "node_id": node_id("Ref", abs(hash(name)) % 10**9),
        "url": f"{urls.repo_api(repo)}/git/{name}",
        "object": {
            "type": "commit",
            "sha": sha,
            "url": f"{urls.repo_api(repo)}/git/commits/{sha}",
        },
    }


def short_branch(urls: Urls, repo: Repo, name: str, sha: str) -> JSON:
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{urls.repo_api(repo)}/commits/{sha}"},
        "protected": False,
    }


def branch(urls: Urls, repo: Repo, name: str, c: CommitInfo) -> JSON:
    api = urls.repo_api(repo)
    return {
        "name": name,
        "commit": commit(urls, repo, c),
        "_links": {"self": f"{api}/branches/{name}", "html": f"{urls.repo_web(repo)}/tree/{name}"},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {
                "enforcement_level": "off",
                "contexts": [],
                "checks": [],
            },
        },
        "protection_url": f"{api}/branches/{name}/protection",
    }


def content(urls: Urls, repo: Repo, ref_name: str, entry: TreeEntry) -> JSON:
    """A file or directory as an item of a listing (without the file's content)."""
    api = urls.repo_api(repo)
    name = entry.path.rsplit("/", 1)[-1]
    kind = "file" if entry.type == "blob" else "dir"
    self_url = f"{api}/contents/{entry.path}?ref={ref_name}"
    git_url = f"{api}/git/{'blobs' if kind == 'file' else 'trees'}/{entry.sha}"
    html_url = (
        f"{urls.repo_web(repo)}/{'blob' if kind == 'file' else 'tree'}/{ref_name}/{entry.path}"
    )
    return {
        "type": kind,
        "name": name,
        "path": entry.path,
        "sha": entry.sha,
        "size": entry.size,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": (
            f"{urls.web}/{repo.full_name}/raw/{ref_name}/{entry.path}" if kind == "file" else None
        ),
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


# The contents API leaves out files larger than this (`encoding: none`, empty `content`): their
# bytes come from the blobs API (or the raw media type) instead.
CONTENTS_MAX_BYTES = 1024 * 1024


def file_content(urls: Urls, repo: Repo, git: GitRepo, ref_name: str, entry: TreeEntry) -> JSON:
    data = content(urls, repo, ref_name, entry)
    if entry.size > CONTENTS_MAX_BYTES:
        data["content"] = ""
        data["encoding"] = "none"
        return data
    # GitHub wraps base64 at 60 columns; clients decode it either way.
    data["content"] = _wrapped_base64(git.blob(entry.sha))
    data["encoding"] = "base64"
    return data


def blob(urls: Urls, repo: Repo, git: GitRepo, sha: str) -> JSON:
    """A blob as the Git database API shows it (`/git/blobs/{sha}`), base64 at any size."""
    raw = git.blob(sha)
    return {
        "sha": sha,
        "node_id": node_id("Blob", int(sha[:8], 16)),
        "size": len(raw),
        "url": f"{urls.repo_api(repo)}/git/blobs/{sha}",
        "content": _wrapped_base64(raw),
        "encoding": "base64",
    }


def _wrapped_base64(raw: bytes) -> str:
    encoded = base64.b64encode(raw).decode()
    return "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
