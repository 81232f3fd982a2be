"""Fixtures for deploy tests: a fake workspace over real HTTP, the real SDK client, and a
tiny sample project built in ``tmp_path`` (the helpers are in ``tests/support/project.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakeworkspace import FakeWorkspace
from tests.support.fakeworkspace.schema import settings_problems
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import build_project, isolate_databricks_config, make_client


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_project(tmp_path / "proj")


@pytest.fixture(autouse=True)
def _no_user_databricks_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_databricks_config(monkeypatch, tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace(validate_settings=settings_problems) as server:
        server.add_volume("/Volumes/main/libs/artifacts")
        yield server
        assert server.schema_problems == [], "a pipeline body broke the settings schema"


@pytest.fixture
def client(fake: FakeWorkspace):  # type: ignore[no-untyped-def]
    return make_client(fake.url, TOKEN)
