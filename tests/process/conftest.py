"""The process tier: tests that spawn ``dltflow``/Python processes (kills, locks held by
another process, a fresh venv, Spark Connect)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import isolate_databricks_config


@pytest.fixture(autouse=True)
def _no_user_databricks_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_databricks_config(monkeypatch, tmp_path)
