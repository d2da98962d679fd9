"""`.github/porch.yml`: defaults, a full example, and errors that name the bad key or line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.inputs.config import (
    DEFAULT_CONFIG,
    FailurePolicy,
    RepoConfig,
    Sandbox,
    load_config,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "config.md"

FULL = """
builder:
  command: ["my-agent", "--prompt-file", "prompt.md"]
  timeout_minutes: 45
  retries: 2
checks:
  - make lint
  - [pytest, -q]
max_parallel_builders: 2
branch_prefix: bots/porch
failure_policy: cancel
consultation:
  enabled: false
  required_approvals: 2
  reviewers: [alice, bob]
  consultants:
    - name: gemini
      command: consult --model gemini
  batch_window_seconds: 30
  max_iterations: 5
merge:
  union_merge: [CHANGELOG.md, "docs/*.md"]
  resolver_command: resolve-conflicts
"""


@pytest.mark.parametrize("text", [None, "", "# nothing configured yet\n", "---\n"])
def test_absent_or_empty_config_gives_defaults(text: str | None) -> None:
    assert load_config(text) == DEFAULT_CONFIG


def test_defaults() -> None:
    config = RepoConfig()
    assert config.builder.command is None
    assert config.builder.timeout_minutes == 60
    assert config.builder.retries == 1
    assert config.checks == ()
    assert config.max_parallel_builders == 4
    assert config.branch_prefix == "porch"
    assert config.failure_policy is FailurePolicy.CONTINUE
    assert config.consultation.enabled is True
    assert config.merge.union_merge == ()


def test_full_example() -> None:
    config = load_config(FULL)
    assert config.builder.command == ("my-agent", "--prompt-file", "prompt.md")
    assert config.builder.timeout_minutes == 45
    assert config.builder.retries == 2
    assert config.checks == (("sh", "-c", "make lint"), ("pytest", "-q"))
    assert config.max_parallel_builders == 2
    assert config.branch_prefix == "bots/porch"
    assert config.failure_policy is FailurePolicy.CANCEL
    assert config.consultation.enabled is False
    assert config.consultation.required_approvals == 2
    assert config.consultation.reviewers == ("alice", "bob")
    assert config.consultation.consultants[0].name == "gemini"
    assert config.consultation.consultants[0].command == ("sh", "-c", "consult --model gemini")
    assert config.consultation.batch_window_seconds == 30
    assert config.consultation.max_iterations == 5
    assert config.merge.union_merge == ("CHANGELOG.md", "docs/*.md")
    assert config.merge.resolver_command == ("sh", "-c", "resolve-conflicts")


def test_string_command_runs_through_the_shell() -> None:
    config = load_config('builder:\n  command: claude -p "$(cat $PORCH_PROMPT_FILE)"\n')
    assert config.builder.command == ("sh", "-c", 'claude -p "$(cat $PORCH_PROMPT_FILE)"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("builder:\n  timeout_minutes: 0\n", "builder.timeout_minutes: must be a positive integer"),
        (
            "builder:\n  timeout_minutes: -5\n",
            "builder.timeout_minutes: must be a positive integer",
        ),
        ("builder:\n  timeout_minutes: '30'\n", "builder.timeout_minutes: must be an integer"),
        ("builder:\n  timeout_minutes: 1.5\n", "builder.timeout_minutes: must be an integer"),
        ("builder:\n  retries: -1\n", "builder.retries: must not be negative"),
        ("builder:\n  comand: make\n", "builder.comand: unknown key"),
        ("builder:\n  command: ''\n", "builder.command: must not be empty"),
        ("builder:\n  command: [make, 1]\n", "builder.command: must be a string or a non-empty"),
        ("builder:\n  command: []\n", "builder.command: must be a string or a non-empty"),
        ("builder: make\n", "builder: must be a mapping of keys"),
        ("max_parallel_builders: 0\n", "max_parallel_builders: must be a positive integer"),
        ("max_parallel_builders: true\n", "max_parallel_builders: must be an integer"),
        ("failure_policy: stop\n", "failure_policy: must be one of: continue, cancel"),
        ("checks: make test\n", "checks: must be a list"),
        ("checks: [make, 3]\n", "checks[1]: must be a string or a non-empty list of strings"),
        ("branch_prefix: ../escape\n", "branch_prefix: must be a branch name prefix"),
        ("branch_prefix: 'with space'\n", "branch_prefix: must be a branch name prefix"),
        ("branch_prefix: 7\n", "branch_prefix: must be a string"),
        ("consultation:\n  enabled: 1\n", "consultation.enabled: must be true or false"),
        ("consultation:\n  max_iterations: 0\n", "consultation.max_iterations: must be a positive"),
        ("consultation:\n  consultants: [{name: x}]\n", "consultation.consultants[0].command: is"),
        ("consultation:\n  reviewers: alice\n", "consultation.reviewers: must be a list"),
        ("merge:\n  union_merge: CHANGELOG.md\n", "merge.union_merge: must be a list"),
        ("bogus: 1\n", "bogus: unknown key"),
        ("- builder\n", "the file must hold a mapping"),
        ("builder:\n  sandbox: docker\n", "builder.sandbox: must be one of: bubblewrap, none"),
        ("builder:\n  network: off-ish\n", "builder.network: must be true or false"),
        ("builder:\n  env_passthrough: [1A]\n", "builder.env_passthrough[0]: must be an envi"),
        ("builder:\n  env_passthrough: [GITHUB_TOKEN]\n", "builder.env_passthrough[0]: GITHUB_"),
        ("builder:\n  env_passthrough: [PATH]\n", "builder.env_passthrough[0]: PATH is set"),
    ],
)
def test_errors_name_the_key_path(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(text)
    assert str(raised.value).startswith(message)


def test_every_problem_is_reported() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config("bogus: 1\nbuilder:\n  retries: -1\n")
    assert set(raised.value.problems) == {
        "bogus: unknown key",
        "builder.retries: must not be negative",
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("builder:\n  command: [make\n", 3),
        ("builder:\n\tcommand: make\n", 2),
        ("checks: [a]\nchecks: [b]\n", 2),  # a duplicate key: PyYAML alone keeps the last
    ],
)
def test_yaml_errors_give_the_line(text: str, line: int) -> None:
    with pytest.raises(ConfigError, match=rf"^line {line}, column \d+: "):
        load_config(text)


def test_docs_example_is_valid_and_documents_every_key() -> None:
    docs = DOCS.read_text()
    example = re.search(r"```yaml\n(.*?)```", docs, re.DOTALL)
    assert example, "docs/config.md needs a full ```yaml example"
    load_config(example.group(1))
    for key in _key_paths(RepoConfig):
        assert f"`{key}`" in docs, f"docs/config.md does not document {key}"


def _key_paths(model: type, prefix: str = "") -> list[str]:
    paths = []
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        path = f"{prefix}{name}"
        paths.append(path)
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            paths.extend(_key_paths(annotation, f"{path}."))
    return paths


def test_sandbox_keys() -> None:
    config = load_config(
        "builder:\n  command: x\n  sandbox: none\n  network: false\n"
        "  env_passthrough: [ANTHROPIC_API_KEY]\n"
    )
    assert config.builder.sandbox is Sandbox.NONE and config.builder.network is False
    assert config.builder.env_passthrough == ("ANTHROPIC_API_KEY",)
    assert load_config("builder:\n  command: x\n").builder.sandbox is Sandbox.BUBBLEWRAP
