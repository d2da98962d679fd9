"""Names derived from a run: the issue slug, phase branches, and job-id-safe key parts.

Phase ids, labels and titles come from issue text. Wherever one becomes part of a branch or a
file name it goes through `safe_name`: the alphabet `[A-Za-z0-9._-]`, no `..`, and injective,
so two ids never share a branch. The original stays in the run state for display.
"""

from __future__ import annotations

import hashlib
import re

SLUG_MAX = 40
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
# Characters git refuses in a ref name component (see git-check-ref-format), plus space.
_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]+|\.{2,}|@\{")
_KEY_BAD = re.compile(r"[^A-Za-z0-9_-]")
SAFE_MAX = 64
# Kept as written: ids such as `phase_1`, `2a`, `phase_3_t014`. Never holding `--`, which
# marks a mapped name below, so a kept name and a mapped one can never be equal.
_SAFE_AS_IS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SAFE_DROP = re.compile(r"[^A-Za-z0-9_.]+")


def safe_name(text: str) -> str:
    """`text` as a branch component or file name: `[A-Za-z0-9._-]`, no `..`, injective.

    Safe ids are kept; anything else (`$(…)`, backticks, `;`, `/`, `..`, newlines, non-ASCII
    look-alikes) keeps its safe characters for readability and gains `--` and a digest of the
    whole original, so `a/b`, `a;b` and `a\u0430b` get three different names.
    """
    if (
        _SAFE_AS_IS.fullmatch(text)
        and len(text) <= SAFE_MAX
        and ".." not in text
        and "--" not in text
        and not text.endswith((".", ".lock"))
    ):
        return text
    readable = _SAFE_DROP.sub("-", text)
    readable = re.sub(r"\.{2,}", ".", readable)
    readable = re.sub(r"-{2,}", "-", readable).strip("-.")[:40].strip("-.")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{readable or 'x'}--{digest}"


def slugify(title: str, max_length: int = SLUG_MAX) -> str:
    """`Add OAuth2 login (GitHub)` -> `add-oauth2-login-github`; never empty, at most max_length.

    Cut at a word boundary when one is near, so the branch name stays readable.
    """
    slug = _SLUG_DROP.sub("-", title.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_length // 2 :] else cut
        slug = slug.strip("-")
    return slug or "run"


def ref_component(text: str) -> str:
    """One safe component of a git branch name: no `..`, `/`, leading dot or `.lock` end."""
    part = _REF_BAD.sub("-", text.replace("/", "-")).strip("-.")
    while part.endswith(".lock"):
        part = part[: -len(".lock")].rstrip("-.")
    return part or "x"


def branch_prefix(prefix: str) -> str:
    """A configured prefix such as `porch` or `bots/porch`, each component made ref-safe."""
    parts = [ref_component(p) for p in prefix.split("/") if p.strip()]
    return "/".join(parts) or "porch"


def run_branch_root(prefix: str, issue_number: int, slug: str) -> str:
    """`<prefix>/<issue>-<slug>`: the folder every branch of one run lives under."""
    return f"{branch_prefix(prefix)}/{issue_number}-{ref_component(slug)}"


def phase_branch(prefix: str, issue_number: int, slug: str, phase_id: str) -> str:
    """`<prefix>/<issue>-<slug>/<phase-id>`: where a phase's builder commits."""
    return f"{run_branch_root(prefix, issue_number, slug)}/{safe_name(phase_id)}"


def merge_base_branch(prefix: str, issue_number: int, slug: str, phase_id: str) -> str:
    """`<prefix>/<issue>-<slug>/<phase-id>-base`: the merge of several dependencies' heads.

    A phase with several dependencies starts from a merge commit; its draft PR needs a branch
    holding that commit to target, so that the PR's diff is the phase's work alone.
    """
    return f"{phase_branch(prefix, issue_number, slug, phase_id)}-base"


def key_part(text: str) -> str:
    """`text` restricted to `[A-Za-z0-9_-]` (RQ's job id alphabet), injective for safe input.

    Phase ids from the plan engine are already safe; anything else is escaped as `_xHH_` so two
    different ids cannot collapse into one job id.
    """
    return _KEY_BAD.sub(lambda m: f"_x{ord(m.group()):x}_", text)


def is_key_safe(text: str) -> bool:
    return bool(text) and _KEY_BAD.search(text) is None
