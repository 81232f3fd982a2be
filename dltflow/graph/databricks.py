"""Registries that hand graph elements to Databricks' ``dlt`` or to ``pyspark.pipelines``.

Both take the module as a parameter, so nothing here imports ``dlt`` (present only on
Databricks). Each element becomes exactly the decorator calls a hand-written DLT file
would make; options left at their defaults are not passed, so older runtimes that
lack an option still accept the call.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import UnsupportedFeatureError
from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    Dataset,
    ExpectationSpec,
    Flow,
    SnapshotFlow,
    Table,
    View,
)
from dltflow.graph.expectations import enforce_lazily
from dltflow.graph.registry import GraphRegistry

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_EXPECT_ONE = {"allow": "expect", "drop": "expect_or_drop", "fail": "expect_or_fail"}
_EXPECT_ALL = {"allow": "expect_all", "drop": "expect_all_or_drop", "fail": "expect_all_or_fail"}


def _given(**options: Any) -> dict[str, Any]:
    """Only the options the user actually set."""
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping) else v)
            for k, v in options.items() if v not in (None, (), {}, False)}


def _call(module: ModuleType, function: str, options: dict[str, Any]) -> Any:
    """Call ``module.function`` with the options its signature accepts.

    Runtimes differ (the open-source ``pyspark.pipelines`` lacks ``once``, ``where``,
    ``path``...); an option the runtime does not know is dropped with a warning naming
    it, rather than failing the whole pipeline definition.
    """
    target = getattr(module, function, None)
    if target is None:
        raise UnsupportedFeatureError(module.__name__, function)
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return target(**options)
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return target(**options)
    dropped = sorted(set(options) - set(params))
    if dropped:
        warnings.warn(f"{module.__name__}.{function} does not accept {dropped}; "
                      "those options are ignored on this runtime.", stacklevel=4)
    return target(**{k: v for k, v in options.items() if k in params})


def _by_action(specs: tuple[ExpectationSpec, ...]) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for spec in specs:
        action = "drop" if spec.action == "quarantine" else spec.action
        groups.setdefault(action, {})[spec.name] = spec.constraint
    return groups


def _table_options(table: Table) -> dict[str, Any]:
    return _given(name=table.name, comment=table.comment, spark_conf=table.spark_conf,
                  table_properties=table.table_properties, path=table.path,
                  partition_cols=table.partition_cols, cluster_by=table.cluster_by,
                  schema=table.schema, temporary=table.temporary, row_filter=table.row_filter,
                  format=table.format)


def _cdc_options(flow: ApplyChangesFlow, name_option: str) -> dict[str, Any]:
    named = {name_option: flow.name} if flow.name != flow.target else {}
    return {"target": flow.target, "source": flow.source, "keys": list(flow.keys), **named,
            "sequence_by": flow.sequence_by,
            **_given(where=flow.where, ignore_null_updates=flow.ignore_null_updates,
                     apply_as_deletes=flow.apply_as_deletes,
                     apply_as_truncates=flow.apply_as_truncates, column_list=flow.column_list,
                     except_column_list=flow.except_column_list,
                     track_history_column_list=flow.track_history_column_list,
                     track_history_except_column_list=flow.track_history_except_column_list,
                     once=flow.once),
            "stored_as_scd_type": flow.stored_as_scd_type}


def _snapshot_options(flow: SnapshotFlow) -> dict[str, Any]:
    return {"target": flow.target, "source": flow.source, "keys": list(flow.keys),
            "stored_as_scd_type": flow.stored_as_scd_type,
            **_given(track_history_column_list=flow.track_history_column_list,
                     track_history_except_column_list=flow.track_history_except_column_list)}


class DltModuleRegistry(GraphRegistry):
    """Forwards to Databricks' ``dlt`` module (``dlt.table``, ``dlt.expect_all``, ...)."""

    def __init__(self, dlt: ModuleType) -> None:
        self.dlt = dlt

    def _with_expectations(self, query: Callable[..., Any],
                           specs: tuple[ExpectationSpec, ...]) -> Callable[..., Any]:
        for action, rules in _by_action(specs).items():
            if len(rules) == 1:
                ((name, constraint),) = rules.items()
                query = getattr(self.dlt, _EXPECT_ONE[action])(name, constraint)(query)
            else:
                query = getattr(self.dlt, _EXPECT_ALL[action])(rules)(query)
        return query

    def register_dataset(self, dataset: Dataset) -> None:
        if isinstance(dataset, View):
            assert dataset.query is not None
            query = self._with_expectations(dataset.query, dataset.expectations)
            _call(self.dlt, "view", _given(name=dataset.name, comment=dataset.comment))(query)
            return
        assert isinstance(dataset, Table)
        if dataset.query is None:
            rules = {_EXPECT_ALL[a]: r for a, r in _by_action(dataset.expectations).items()}
            _call(self.dlt, "create_streaming_table", {**_table_options(dataset), **rules})
            return
        query = self._with_expectations(dataset.query, dataset.expectations)
        _call(self.dlt, "table", _table_options(dataset))(query)

    def register_flow(self, flow: Flow) -> None:
        if isinstance(flow, AppendFlow):
            _call(self.dlt, "append_flow", {"target": flow.target, **_given(
                name=flow.name, comment=flow.comment, spark_conf=flow.spark_conf,
                once=flow.once)})(flow.query)
        elif isinstance(flow, ApplyChangesFlow):
            _call(self.dlt, "apply_changes", _cdc_options(flow, "flow_name"))
        else:
            _call(self.dlt, "apply_changes_from_snapshot", _snapshot_options(flow))

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        result: DataFrame = (self.dlt.read_stream if streaming else self.dlt.read)(name)
        return result


class PipelinesModuleRegistry(GraphRegistry):
    """Forwards to ``pyspark.pipelines`` (Spark Declarative Pipelines).

    Open-source ``pyspark.pipelines`` has no expectation decorators; where the module
    lacks them, ``drop`` and ``fail`` are enforced inside the query instead (no
    metrics), and ``allow`` expectations are reported as not tracked.
    """

    def __init__(self, dp: ModuleType) -> None:
        self.dp = dp

    def _query(self, dataset: Dataset) -> Callable[[], DataFrame]:
        assert dataset.query is not None
        query, specs = dataset.query, dataset.expectations
        if not specs:
            return query
        if hasattr(self.dp, "expect_all"):
            return DltModuleRegistry(self.dp)._with_expectations(query, specs)
        if any(s.action == "allow" for s in specs):
            warnings.warn(f"pyspark.pipelines cannot track 'allow' expectations of "
                          f"{dataset.name}; they are not counted.", stacklevel=3)

        def checked() -> DataFrame:
            return enforce_lazily(query(), dataset.name, specs)

        checked.__name__ = getattr(query, "__name__", dataset.name)
        return checked

    def register_dataset(self, dataset: Dataset) -> None:
        if isinstance(dataset, View):
            _call(self.dp, "temporary_view", _given(name=dataset.name, comment=dataset.comment))(
                self._query(dataset))
            return
        assert isinstance(dataset, Table)
        options = _table_options(dataset)
        if dataset.query is None:
            _call(self.dp, "create_streaming_table", options)
        elif dataset.kind == "streaming_table":
            _call(self.dp, "table", options)(self._query(dataset))
        else:
            _call(self.dp, "materialized_view", options)(self._query(dataset))

    def register_flow(self, flow: Flow) -> None:
        if isinstance(flow, AppendFlow):
            _call(self.dp, "append_flow", {"target": flow.target, **_given(
                name=flow.name, spark_conf=flow.spark_conf, once=flow.once)})(flow.query)
        elif isinstance(flow, ApplyChangesFlow):
            _call(self.dp, "create_auto_cdc_flow", _cdc_options(flow, "name"))
        else:
            _call(self.dp, "create_auto_cdc_from_snapshot_flow", _snapshot_options(flow))

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        from pyspark.sql import SparkSession  # lazy: only inside a running pipeline

        spark = SparkSession.getActiveSession()
        assert spark is not None, "pyspark.pipelines runs queries inside a Spark session"
        return spark.readStream.table(name) if streaming else spark.read.table(name)
