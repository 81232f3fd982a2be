"""pytest plugin: a session-wide local SparkSession and a fixture that runs pipelines.

Installed with dltflow (entry point ``pytest11``), so a project's tests can use::

    def test_my_pipeline(run_pipeline):
        result = run_pipeline(MyPipeline, conf="conf/my_pipeline.yml")
        assert result.status == "COMPLETED"
        assert result.datasets["orchestrate"].output_rows == 5

Each test gets its own warehouse folder (under pytest's ``tmp_path``), so runs never see
each other's tables; the Spark session is shared, because starting one costs seconds.

``pytest --dltflow-engine sail`` (or ``DLTFLOW_ENGINE=sail``) makes that session a Sail
one (no JVM; see :mod:`dltflow.local.engines.sail`); ``auto`` is Sail when pysail is
installed, else JVM. ``dltflow run`` inside the tests uses the same engine (the plugin
sets ``DLTFLOW_ENGINE`` for the test run), not ``auto``'s choice per pipeline: one
process holds one kind of session, since a Sail session puts it in Spark Connect mode.
Run the JVM and the Sail engine in separate pytest invocations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local import PipelineResult

RunPipeline = Callable[..., "PipelineResult"]
ENGINE_OPTION = "--dltflow-engine"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(ENGINE_OPTION, choices=("jvm", "sail", "auto"), default=None,
                     help="the engine of the `spark` fixture and of `dltflow run` in the "
                          "tests: jvm (local Spark, the default), sail (an embedded Sail "
                          "server) or auto (sail when pysail is installed); default: "
                          "$DLTFLOW_ENGINE, else jvm.")


_ENGINE_BEFORE = pytest.StashKey[tuple[str | None]]()
"""``DLTFLOW_ENGINE`` as it was before the test run, restored after it."""


def pytest_configure(config: pytest.Config) -> None:
    """Every dltflow session of the test run on one engine, `dltflow run` too."""
    import os

    from dltflow.exceptions import DLTException

    try:
        engine = dltflow_engine(config)
    except DLTException as err:
        raise pytest.UsageError(str(err)) from None
    config.stash[_ENGINE_BEFORE] = (os.environ.get("DLTFLOW_ENGINE"),)
    os.environ["DLTFLOW_ENGINE"] = engine


def pytest_unconfigure(config: pytest.Config) -> None:
    import os

    if _ENGINE_BEFORE not in config.stash:  # configuring failed: nothing was set
        return
    (before,) = config.stash[_ENGINE_BEFORE]
    if before is None:
        os.environ.pop("DLTFLOW_ENGINE", None)
    else:
        os.environ["DLTFLOW_ENGINE"] = before


def dltflow_engine(config: pytest.Config) -> str:
    """The engine the test run uses: the option, else ``DLTFLOW_ENGINE``, else jvm."""
    from dltflow.local import resolve_engine

    chosen: str | None = config.getoption(ENGINE_OPTION)
    return resolve_engine(chosen)


@pytest.fixture(scope="session")
def spark(pytestconfig: pytest.Config) -> Iterator[SparkSession]:
    """One SparkSession for the whole test run, on the chosen engine."""
    from dltflow.local import get_spark

    session = get_spark(engine=dltflow_engine(pytestconfig), app_name="dltflow-tests")
    yield session


@pytest.fixture
def dltflow_warehouse(tmp_path: Path) -> Path:
    """The warehouse folder of this test's pipeline runs."""
    return tmp_path / "warehouse"


@pytest.fixture
def run_pipeline(spark: SparkSession, dltflow_warehouse: Path) -> RunPipeline:
    """Run a pipeline with the local engine and return its result.

    The callable takes what :func:`dltflow.local.run` takes (a pipeline instance, a
    pipeline file, a function declaring datasets), and also a ``DLTMetaMixin`` subclass
    (built with the test's ``spark`` and ``conf=``) or a deployment file with
    ``environment=`` (and optionally ``workflows=``). The test's session and warehouse
    are used unless given. Definition errors are raised; a failing update comes back
    with ``status == "FAILED"`` and ``error`` set.
    """

    def _run(source: Any, **options: Any) -> PipelineResult:
        from dltflow.local import run

        if isinstance(source, type):
            from dltflow.quality import build_pipeline

            source = build_pipeline(source, spark, options.pop("conf", None))
        elif "environment" in options:
            from dltflow.deploy import deployment_definition

            source = deployment_definition(source, options.pop("environment"),
                                           workflows=options.pop("workflows", None))
        options.setdefault("spark", spark)
        options.setdefault("warehouse", dltflow_warehouse)
        return run(source, **options)

    return _run
