"""Shared fixtures (the ``spark`` session comes from dltflow's own pytest plugin) and the
test tiers: every test is marked ``fast``, ``spark`` or ``process`` at collection."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


# --- Test tiers -------------------------------------------------------------------------
# Every test gets exactly one tier marker, from what it uses (see README "Contributing"):
#   process  spawns a dltflow/Python/browser process: tests/process/, `browser` tests, or
#            marked `@pytest.mark.process` where such a test lives elsewhere;
#   spark    needs the in-process Spark session: a Spark fixture in its fixture closure,
#            or marked `@pytest.mark.spark` (e.g. a CliRunner `dltflow run` without one);
#   fast     everything else: no Spark, no subprocess (`make test-fast`, under a minute).
# `sail` is separate: the tests `make test` runs again with `--dltflow-engine sail`.
TIERS = ("process", "spark", "fast")  # heaviest first: an explicit heavier mark wins
SPARK_FIXTURES = frozenset({"spark", "run_pipeline"})
PROCESS_DIR = PROJECT_ROOT / "tests" / "process"


def _tier(item: pytest.Item) -> str:
    marked = {mark.name for mark in item.iter_markers()}
    for tier in TIERS:
        if tier in marked:
            return tier
    if PROCESS_DIR in Path(item.path).parents or "browser" in marked:
        return "process"
    if SPARK_FIXTURES & set(getattr(item, "fixturenames", ())):
        return "spark"
    return "fast"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(_tier(item))


class NotAFastTest(AssertionError):
    """A test tiered `fast` started Spark or a process: mark it `spark` or `process`."""


_REFUSED: list[str] = []  # what fast tests tried, even where the code caught the error


def _refuse(what: str) -> object:
    def refused(*args: object, **kwargs: object) -> None:
        _REFUSED.append(what)
        raise NotAFastTest(f"a test of the fast tier tried to {what}")
    return refused


@pytest.fixture(scope="session")
def _fast_only(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("markexpr", "") == "fast")


@pytest.fixture(scope="session", autouse=True)
def _fast_tier_guard(_fast_only: bool) -> Iterator[None]:
    """In a fast-only run (`-m fast`, as `make test-fast` runs), starting a Spark session
    or any process is refused, so a test that secretly needs Spark or a process cannot
    hide in the fast tier (where it would be slow, or pass only because an earlier test
    had started the session)."""
    if not _fast_only:
        yield
        return
    import subprocess

    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SparkSession.Builder, "getOrCreate", _refuse("start a Spark session"))
        patch.setattr(SparkSession.Builder, "create", _refuse("start a Spark session"))
        patch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
        patch.setattr(os, "fork", _refuse("fork the process"))
        patch.setattr(os, "posix_spawn", _refuse("start a process"))
        yield


@pytest.fixture(autouse=True)
def _fast_tier_verdict(_fast_only: bool) -> Iterator[None]:
    """Fails a fast test that tried either, with the fix, even if dltflow turned the
    refusal into its own error (e.g. "Spark did not start") or the test expected one."""
    yield
    if _fast_only and _REFUSED:
        tried = sorted(set(_REFUSED))
        _REFUSED.clear()
        pytest.fail(f"this test is tiered fast but tried to {' and '.join(tried)}: mark it "
                    "@pytest.mark.spark or @pytest.mark.process (tiers: tests/conftest.py)",
                    pytrace=False)
