"""Bare git repositories on disk: the stand-in's only store of refs, commits, trees and blobs."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
_FULL_SHA = re.compile(r"[0-9a-f]{40}")

# Stable identity for commits the stand-in makes itself (initial imports, merges).
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


# Run by `git receive-pack` before a push moves any ref. GitHub refuses a push by a GitHub App
# whose installation lacks the `workflows` permission when the pushed commits create, change or
# delete a file under `.github/workflows/`; the stand-in's App has no such permission. The push
# route tells the hook who pushes through FAKEHUB_PUSHER.
PRE_RECEIVE_HOOK = r"""#!/bin/sh
[ "$FAKEHUB_PUSHER" = installation ] || exit 0
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
    [ "$new" = "$zero" ] && continue
    for commit in $(git rev-list "$new" --not --all); do
        path=$(git diff-tree -r -c --root --no-commit-id --name-only "$commit" |
            grep '^[.]github/workflows/' | head -n 1)
        if [ -n "$path" ]; then
            echo "refusing to allow a GitHub App to create or update workflow \`$path\`" \
                "without \`workflows\` permission" >&2
            exit 1
        fi
    done
done
exit 0
"""


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: int  # unix seconds


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str  # GitHub's words: added, removed, modified, renamed
    additions: int
    deletions: int
    sha: str | None  # blob on the new side; None when removed
    previous_filename: str | None = None


@dataclass(frozen=True)
class TreeEntry:
    path: str
    type: str  # blob or tree
    sha: str
    size: int
    mode: str = "100644"


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = {**os.environ, **_GIT_ENV, **(env or {})}
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input,
            capture_output=True,
            env=full_env,
            check=False,
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc

    def out(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self.run(*args, env=env).stdout.decode()

    # -- setup ------------------------------------------------------------------------------

    @classmethod
    def init_bare(cls, path: Path, default_branch: str) -> GitRepo:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", f"--initial-branch={default_branch}", str(path)],
            check=True,
            env={**os.environ, **_GIT_ENV},
        )
        repo = cls(path)
        # Partial clones (`--filter=blob:none`) as workers make them against github.com.
        repo.run("config", "uploadpack.allowFilter", "true")
        repo.run("config", "uploadpack.allowAnySHA1InWant", "true")
        repo.run("config", "http.receivepack", "true")
        hook = path / "hooks" / "pre-receive"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(PRE_RECEIVE_HOOK)
        hook.chmod(0o755)
        return repo

    def import_directory(self, source: Path, branch: str, author: Person, message: str) -> str:
        """Commit a snapshot of `source` (its own .git, if any, is ignored) as the branch's root."""
        index = self.path / "fakehub-import.index"
        env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(source)}
        try:
            self.run("add", "--all", "--force", ".", env=env)
            tree = self.out("write-tree", env=env).strip()
        finally:
            index.unlink(missing_ok=True)
        sha = self.commit_tree(tree, [], message, author)
        self.update_ref(f"refs/heads/{branch}", sha)
        return sha

    def commit_file(
        self, parent: str, path: str, content: bytes, message: str, author: Person
    ) -> str:
        """A commit on `parent` with `path` set to `content` (nothing else changed)."""
        blob = self.run("hash-object", "-w", "--stdin", input=content).stdout.decode().strip()
        index = self.path / f"fakehub-{os.getpid()}-{threading.get_ident()}.index"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            self.run("read-tree", parent, env=env)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.out("write-tree", env=env).strip()
        finally:
            index.unlink(missing_ok=True)
        return self.commit_tree(tree, [parent], message, author)

    # -- refs -------------------------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit a branch name, full ref, tag or sha names; None if it names nothing."""
        if rev.startswith("-"):
            return None
        candidates = [rev] if rev.startswith("refs/") else [f"refs/heads/{rev}", rev]
        for candidate in candidates:
            proc = self.run(
                "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", check=False
            )
            if proc.returncode == 0:
                return proc.stdout.decode().strip()
        return None

    def ref_sha(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", ref, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        """(ref, sha) for every ref under `prefix`, sorted by name."""
        text = self.out("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return [(ref, sha) for ref, sha in (line.split(" ") for line in text.splitlines())]

    def valid_ref_name(self, ref: str) -> bool:
        return self.run("check-ref-format", ref, check=False).returncode == 0

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        """Move a ref; with `old`, only if it still points there (compare-and-swap)."""
        args = ["update-ref", ref, new] + ([old] if old is not None else [])
        self.run(*args)

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref)

    def object_type(self, sha: str) -> str | None:
        """The type of the object with this full SHA; None for anything else (GitHub's APIs
        that take a `sha` want the SHA itself, not a branch name or an abbreviation)."""
        if not _FULL_SHA.fullmatch(sha):
            return None
        proc = self.run("cat-file", "-t", sha, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    # -- commits ----------------------------------------------------------------------------

    def commit_tree(self, tree: str, parents: list[str], message: str, author: Person) -> str:
        parent_args = [arg for parent in parents for arg in ("-p", parent)]
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": f"{author.date} +0000",
            "GIT_COMMITTER_NAME": author.name,
            "GIT_COMMITTER_EMAIL": author.email,
            "GIT_COMMITTER_DATE": f"{author.date} +0000",
        }
        return self.out("commit-tree", tree, *parent_args, "-m", message, env=env).strip()

    def commit(self, sha: str) -> CommitInfo:
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B"
        fields = self.out("show", "-s", f"--format={fmt}", sha).split("\x00")
        return CommitInfo(
            sha=fields[0],
            tree=fields[1],
            parents=fields[2].split(),
            author=Person(fields[3], fields[4], int(fields[5])),
            committer=Person(fields[6], fields[7], int(fields[8])),
            message=fields[9].rstrip("\n"),
        )

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return proc.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run("merge-base", a, b, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def rev_list(self, exclude: str, include: str) -> list[str]:
        """Commits reachable from `include` but not `exclude`, oldest first."""
        return self.out("rev-list", "--reverse", include, f"^{exclude}").split()

    def log(self, start: str) -> list[str]:
        return self.out("rev-list", start).split()

    def can_merge(self, base: str, head: str) -> bool:
        return self.run("merge-tree", "--write-tree", base, head, check=False).returncode == 0

    def merge(self, base: str, head: str, message: str, author: Person) -> str | None:
        """A merge commit of `head` into `base`, or None on a conflict; no ref is touched.

        `git merge-tree --write-tree` merges in the object store alone, so a conflict leaves
        nothing behind but unreferenced objects.
        """
        proc = self.run("merge-tree", "--write-tree", base, head, check=False)
        if proc.returncode == 1:
            return None
        if proc.returncode != 0:
            raise GitError(proc.stderr.decode(errors="replace"))
        tree = proc.stdout.decode().splitlines()[0].strip()
        return self.commit_tree(tree, [base, head], message, author)

    # -- trees and diffs --------------------------------------------------------------------

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The blob or tree at `path` in `commit` (path "" is the root tree)."""
        if not path:
            tree = self.out("rev-parse", f"{commit}^{{tree}}").strip()
            return TreeEntry("", "tree", tree, 0)
        proc = self.run("ls-tree", "-l", "-z", commit, "--", path, check=False)
        text = proc.stdout.decode()
        if proc.returncode != 0 or not text:
            return None
        return _parse_ls_tree(text.rstrip("\x00"))

    def list_tree(self, commit: str, path: str, recursive: bool = False) -> list[TreeEntry]:
        spec = f"{commit}:{path}" if path else f"{commit}^{{tree}}"
        flags = ["-r", "-t"] if recursive else []
        text = self.out("ls-tree", "-l", "-z", *flags, spec)
        entries = [_parse_ls_tree(item) for item in text.split("\x00") if item]
        prefix = f"{path}/" if path else ""
        return [TreeEntry(prefix + e.path, e.type, e.sha, e.size, e.mode) for e in entries]

    def blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

    def diff(self, base: str, head: str) -> list[FileChange]:
        """Files changed from `base` to `head`, in GitHub's words."""
        status = self.out("diff", "--name-status", "-z", "-M", base, head).split("\x00")
        numstat = self.out("diff", "--numstat", "-z", "-M", base, head)
        counts = _parse_numstat(numstat)
        changes: list[FileChange] = []
        items = [s for s in status if s]
        i = 0
        while i < len(items):
            code = items[i][0]
            if code == "R":
                old, new = items[i + 1], items[i + 2]
                i += 3
            else:
                old, new = items[i + 1], items[i + 1]
                i += 2
            word = {"A": "added", "D": "removed", "R": "renamed"}.get(code, "modified")
            adds, dels = counts.get(new, (0, 0))
            blob = None if word == "removed" else self._blob_sha(head, new)
            changes.append(
                FileChange(new, word, adds, dels, blob, old if word == "renamed" else None)
            )
        return changes

    def _blob_sha(self, commit: str, path: str) -> str | None:
        found = self.entry(commit, path)
        return found.sha if found else None


def _parse_ls_tree(item: str) -> TreeEntry:
    meta, path = item.split("\t", 1)
    mode, type_, sha, size = meta.split(None, 3)
    return TreeEntry(path, type_, sha, int(size) if size.strip() != "-" else 0, mode)


def _parse_numstat(text: str) -> dict[str, tuple[int, int]]:
    """`git diff --numstat -z`: renames put the old and new names in their own NUL fields."""
    counts: dict[str, tuple[int, int]] = {}
    items = text.split("\x00")
    i = 0
    while i < len(items):
        if not items[i]:
            i += 1
            continue
        adds, dels, path = items[i].split("\t", 2)
        if not path:  # a rename: the names follow
            path = items[i + 2]
            i += 3
        else:
            i += 1
        counts[path] = (int(adds) if adds != "-" else 0, int(dels) if dels != "-" else 0)
    return counts
