"""pytest plugin: a session-wide local SparkSession and a fixture that runs pipelines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local SparkSession for the whole test run."""
    from dltflow.local.session import get_spark

    session = get_spark(app_name="dltflow-tests")
    yield session
