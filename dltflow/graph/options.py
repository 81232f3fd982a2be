"""Which options the DLT decorators accept, checked when a decorator is applied.

A misspelled option (``partion_cols``) would otherwise be ignored silently and the
table written without its partitioning; it is an :class:`UnknownOptionError` naming
the nearest valid option instead. An option DLT accepts that the local engine has no
use for only warns, so the same file still runs on Databricks and locally.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from dltflow.exceptions import UnknownOptionError
from dltflow.graph.elements import SourceLocation

__all__ = ["TABLE_IGNORED", "TABLE_OPTIONS", "VIEW_IGNORED", "VIEW_OPTIONS", "check_options"]

# What DLT's table/view decorators accept; the local engine uses every one of these.
TABLE_OPTIONS = frozenset({
    "name", "comment", "spark_conf", "table_properties", "path", "partition_cols",
    "cluster_by", "schema", "temporary", "row_filter", "format", "expect_all",
    "expect_all_or_drop", "expect_all_or_fail"})
VIEW_OPTIONS = frozenset({"name", "comment"})
# Valid DLT / pyspark.pipelines options the local engine has no use for: a warning only.
TABLE_IGNORED = frozenset({"private", "cluster_by_auto", "refresh_policy"})
VIEW_IGNORED = frozenset({"spark_conf"})


def check_options(decorator: str, options: Mapping[str, Any], valid: frozenset[str],
                   ignored: frozenset[str], dataset: str | None,
                   location: SourceLocation | None) -> None:
    """A misspelled option is an error naming the nearest valid one; a valid option the
    local engine does not use only warns."""
    for option in options:
        if option in valid:
            continue
        if option in ignored:
            warnings.warn(f"@dlt.{decorator} on '{dataset}' ({location}): option "
                          f"'{option}' is not supported by the local engine; ignored.",
                          stacklevel=4)
            continue
        raise UnknownOptionError(decorator, option, dataset=dataset,
                                 location=str(location) if location else None,
                                 valid=sorted(valid | ignored))
