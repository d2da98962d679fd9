"""pytest plugin: a session-wide `conformance` checker built from the shared API descriptions.

Register it with `pytest_plugins = ["fakehub.pytest_conformance"]` in the root conftest. It
relies on the `shared_dir` fixture there, which skips, saying why, when the data is absent.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from fakehub.conformance import OpenAPIConformance

REST_SPEC = Path("github/openapi/api.github.com.json")
WEBHOOK_SPEC = Path("github/webhooks/openapi-webhooks.json")


@lru_cache(maxsize=4)
def load_conformance(shared_dir: Path) -> OpenAPIConformance:
    """One checker per process and data directory; each test module may ask for it freely."""
    rest, webhooks = shared_dir / REST_SPEC, shared_dir / WEBHOOK_SPEC
    for spec in (rest, webhooks):
        if not spec.is_file():
            pytest.skip(f"GitHub's API description not found at {spec}")
    return OpenAPIConformance(rest, webhooks)


@pytest.fixture(scope="session")
def conformance(shared_dir: Path) -> OpenAPIConformance:
    """Checks bodies against GitHub's REST and webhook descriptions (about 0.5 s to load)."""
    return load_conformance(shared_dir)
