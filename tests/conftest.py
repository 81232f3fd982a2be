"""Shared fixtures: the ``spark`` session comes from dltflow's own pytest plugin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


# In CI, property tests use a fixed seed: the same examples on every run, so a red CI
# always reproduces. Locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def _shared_wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Deploys of identical projects in one run share built wheels (by source digest)."""
    os.environ.setdefault("DLTFLOW_CACHE_DIR", str(tmp_path_factory.mktemp("dltflow-cache")))
