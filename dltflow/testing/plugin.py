"""pytest plugin: a session-wide local SparkSession and a fixture that runs pipelines.

Installed with dltflow (entry point ``pytest11``), so a project's tests can use::

    def test_my_pipeline(run_pipeline):
        result = run_pipeline(MyPipeline, conf="conf/my_pipeline.yml")
        assert result.status == "COMPLETED"
        assert result.datasets["orchestrate"].output_rows == 5

Each test gets its own warehouse folder (under pytest's ``tmp_path``), so runs never see
each other's tables; the Spark session is shared, because starting one costs seconds.
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


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local SparkSession for the whole test run."""
    from dltflow.local import get_spark

    session = get_spark(app_name="dltflow-tests")
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
