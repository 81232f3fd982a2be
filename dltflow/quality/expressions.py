"""Lazy Spark expressions for expectations, shared by every backend.

A row passes an expectation only when its constraint is TRUE; NULL counts as a
failure, as a ``WHERE`` clause would treat it. These helpers build Columns only: no
action runs here, so they are safe inside a Databricks pipeline definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dltflow.graph.elements import ExpectationSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

FAILED_EXPECTATIONS_COLUMN = "_failed_expectations"


def passes(spec: ExpectationSpec) -> Column:
    """TRUE where the row satisfies ``spec``, FALSE otherwise (never NULL)."""
    from pyspark.sql import functions as F  # lazy: importing dltflow must not start pyspark

    return F.coalesce(F.expr(spec.constraint), F.lit(False))


def failed_names(specs: Sequence[ExpectationSpec]) -> Column:
    """An array with the names of the expectations a row fails (empty when none)."""
    from pyspark.sql import functions as F

    names = [F.when(~passes(s), F.lit(s.name)) for s in specs]
    return F.filter(F.array(*names), lambda n: n.isNotNull())


def enforce_lazily(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]) -> DataFrame:
    """Apply ``drop`` and ``fail`` expectations without running anything.

    ``fail`` uses ``raise_error`` inside the filter, so the first violating row aborts
    whatever action later consumes the DataFrame. Used where no metrics can be
    collected: methods applied inline, and ``pyspark.pipelines`` which has no
    expectation decorators.
    """
    from pyspark.sql import functions as F

    for spec in specs:
        if spec.action in ("drop", "quarantine"):
            df = df.filter(passes(spec))
        elif spec.action == "fail":
            message = (f"Expectation '{spec.name}' on dataset '{dataset}' was violated: "
                       f"{spec.constraint}")
            df = df.filter(F.when(passes(spec), F.lit(True)).otherwise(
                F.raise_error(F.lit(message))))
    return df


def quarantined_rows(df: DataFrame, specs: Sequence[ExpectationSpec]) -> DataFrame:
    """The rows failing any of ``specs``, with the names they failed in
    :data:`FAILED_EXPECTATIONS_COLUMN`."""
    from pyspark.sql import functions as F

    flagged = df.withColumn(FAILED_EXPECTATIONS_COLUMN, failed_names(specs))
    return flagged.filter(F.size(F.col(FAILED_EXPECTATIONS_COLUMN)) > 0)
