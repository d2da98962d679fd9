"""`.github/porch.yml`: the repository's config, parsed and validated. Pure: no I/O.

The bot reads this file from the default branch only, never from a PR head, so a pull request
cannot change what the bot executes. Every key is documented in docs/config.md.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import ErrorDetails

from bot.errors import ConfigError

CONFIG_PATH = ".github/porch.yml"


def _command(value: Any) -> tuple[str, ...]:
    # A string runs through the shell (like a workflow's `run:`); a list is an argv, run as is.
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return ("sh", "-c", value)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("must be a string or a non-empty list of strings")


Command = Annotated[tuple[str, ...], BeforeValidator(_command)]

_BRANCH_PREFIX = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def _branch_prefix(value: Any) -> Any:
    if isinstance(value, str) and (
        not _BRANCH_PREFIX.fullmatch(value) or ".." in value or value.endswith((".", ".lock"))
    ):
        raise ValueError("must be a branch name prefix such as porch or bots/porch")
    return value


_CONSULTANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,38}")


def _consultant_name(value: Any) -> Any:
    # It heads the consultant's review and names its log file: a short word, no markup.
    if isinstance(value, str) and not _CONSULTANT_NAME.fullmatch(value):
        raise ValueError("must be a short name of letters, digits, '.', '_' or '-'")
    return value


# An environment variable's name, as POSIX shells accept it.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names the bot sets or owns itself: passing the worker's own through would override them.
_RESERVED_ENV = re.compile(r"(PORCH_|GIT_|GITHUB_|REDIS_).*|PATH|HOME|TMPDIR|LANG")


def _env_name(value: Any) -> Any:
    if isinstance(value, str):
        if not _ENV_NAME.fullmatch(value):
            raise ValueError("must be an environment variable name such as ANTHROPIC_API_KEY")
        if _RESERVED_ENV.fullmatch(value):
            raise ValueError(
                f"{value} is set by porch-parallel itself and cannot be passed through"
            )
    return value


class Sandbox(StrEnum):
    """Where builders, checks, consultants and resolvers run."""

    BUBBLEWRAP = "bubblewrap"  # a bubblewrap sandbox: see the README's "Security and trust"
    NONE = "none"  # the worker's own user and file system: an explicit, flagged opt-out


class FailurePolicy(StrEnum):
    """What happens to the other phases when one fails for good."""

    CONTINUE = "continue"  # siblings go on; only the failed phase's dependents are blocked
    CANCEL = "cancel"  # every phase still queued or building is cancelled


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuilderConfig(_Section):
    # No default command: there is no agent we could assume every repository has installed.
    command: Command | None = None
    timeout_minutes: StrictInt = Field(default=60, gt=0)
    retries: StrictInt = Field(default=1, ge=0)
    sandbox: Sandbox = Sandbox.BUBBLEWRAP
    network: StrictBool = True
    # Names only: the values come from the builder worker's environment, never the repository.
    env_passthrough: tuple[Annotated[StrictStr, BeforeValidator(_env_name)], ...] = ()


class Consultant(_Section):
    """An automated consultant: a command whose verdict the bot posts as a PR review."""

    name: Annotated[StrictStr, BeforeValidator(_consultant_name)]
    command: Command
    timeout_seconds: StrictInt = Field(default=600, gt=0)


class ConsultationConfig(_Section):
    enabled: StrictBool = True
    required_approvals: StrictInt = Field(default=1, ge=0)
    reviewers: tuple[StrictStr, ...] = ()
    consultants: tuple[Consultant, ...] = ()
    batch_window_seconds: StrictInt = Field(default=120, ge=0)
    max_iterations: StrictInt = Field(default=3, gt=0)


class MergeConfig(_Section):
    # Files every phase appends to (changelogs, indexes): merged by keeping both sides' lines.
    union_merge: tuple[StrictStr, ...] = ()
    # Generated files (status files, lock files): keep the first side's, to be regenerated.
    ours_merge: tuple[StrictStr, ...] = ()
    # A builder that resolves what git could not, in a clone with the markers in place.
    resolver_command: Command | None = None


class PlanConfig(_Section):
    # A spec-kit task list's `[P]` tasks run as phases of their own.
    split_parallel_tasks: StrictBool = False


class RepoConfig(_Section):
    builder: BuilderConfig = BuilderConfig()
    checks: tuple[Command, ...] = ()
    max_parallel_builders: StrictInt = Field(default=4, gt=0)
    branch_prefix: Annotated[StrictStr, BeforeValidator(_branch_prefix)] = "porch"
    failure_policy: FailurePolicy = FailurePolicy.CONTINUE
    consultation: ConsultationConfig = ConsultationConfig()
    merge: MergeConfig = MergeConfig()
    # Once the integration PR is merged: close the phase PRs and delete the run's branches.
    cleanup: StrictBool = True
    plan: PlanConfig = PlanConfig()


DEFAULT_CONFIG = RepoConfig()


def load_config(text: str | None) -> RepoConfig:
    """Parse and validate the file's text; None (no file) gives the defaults.

    Raises ConfigError naming the bad key path ("builder.timeout_minutes: must be a positive
    integer") or the line of a YAML syntax error.
    """
    if text is None:
        return DEFAULT_CONFIG
    try:
        data = yaml.load(
            text, Loader=_UniqueKeyLoader
        )  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}") from None
    if data is None:
        return DEFAULT_CONFIG  # an empty file, or only comments
    if not isinstance(data, dict):
        raise ConfigError("the file must hold a mapping of keys, such as `builder:`")
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        problems = tuple(_describe(error) for error in exc.errors())
        raise ConfigError("; ".join(problems), problems) from None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = exc.problem or exc.context or "not valid YAML"
    return f"{where}{what}"


def _describe(error: ErrorDetails) -> str:
    path = _key_path(error["loc"])
    return f"{path or '(top level)'}: {_reason(error)}"


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-before", "function-after") or "[" in part:
            continue  # validator and union markers pydantic puts in the location
        else:
            path += f".{part}" if path else part
    return path


_POSITIVE = {"gt": 0}
_REASONS = {
    "extra_forbidden": "unknown key",
    "missing": "is required",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
}


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "greater_than":
        if ctx == _POSITIVE:
            return "must be a positive integer"
        return f"must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return "must not be negative" if ctx.get("ge") == 0 else f"must be at least {ctx['ge']}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "enum":
        # pydantic lists them as "'a' or 'b'"; people read the values as they write them.
        return "must be one of: " + ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected"))))
    return _REASONS.get(kind, error["msg"])


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice, which PyYAML would silently overwrite."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)
