"""Stand-ins for Databricks' ``dlt`` and for ``pyspark.pipelines`` that record calls.

Each recorded function has the real signature (the ``databricks-dlt`` stub's, or
pyspark's own), and binds its arguments against it, so a call the real module would
reject fails here too.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorder:
    """A module-like object: ``calls`` lists (function, bound arguments) in order."""

    name: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    decorated: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def module(self, signatures: dict[str, Callable[..., Any]], decorators: set[str],
               reader: Callable[[str, bool], Any] | None = None) -> types.ModuleType:
        module = types.ModuleType(self.name)
        for fn_name, template in signatures.items():
            setattr(module, fn_name, self._recording(fn_name, inspect.signature(template),
                                                     fn_name in decorators, reader))
        return module

    def _recording(self, fn_name: str, sig: inspect.Signature, is_decorator: bool,
                   reader: Callable[[str, bool], Any] | None) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)  # TypeError for arguments the real one rejects
            self.calls.append((fn_name, dict(bound.arguments)))
            if fn_name in ("read", "read_stream") and reader:
                return reader(bound.arguments["name"], fn_name == "read_stream")
            if not is_decorator:
                return None

            def decorate(query: Callable[..., Any]) -> Callable[..., Any]:
                key = str(bound.arguments.get("name") or getattr(query, "__name__", fn_name))
                if not fn_name.startswith("expect"):
                    self.decorated[key] = query
                return query

            return decorate

        record.__signature__ = sig  # type: ignore[attr-defined]
        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


# The signatures of the databricks-dlt stub (0.3.0), written out so the stub (which
# pulls in databricks-connect) never has to be installed.
def _table(query_function=None, name=None, comment=None, spark_conf=None,  # type: ignore[no-untyped-def]
           table_properties=None, partition_cols=None, path=None, schema=None,
           temporary=False, cluster_by=None, row_filter=None): ...
def _view(query_function=None, name=None, comment=None, spark_conf=None): ...  # type: ignore[no-untyped-def]
def _append_flow(name=None, target=None, comment=None, spark_conf=None, once=False): ...  # type: ignore[no-untyped-def]
def _create_streaming_table(name, comment=None, spark_conf=None, table_properties=None,  # type: ignore[no-untyped-def]
                            partition_cols=None, path=None, schema=None, expect_all=None,
                            expect_all_or_drop=None, expect_all_or_fail=None, cluster_by=None,
                            row_filter=None): ...
def _apply_changes(target, source, keys, sequence_by, where=None, ignore_null_updates=None,  # type: ignore[no-untyped-def]
                   apply_as_deletes=None, apply_as_truncates=None, column_list=None,
                   except_column_list=None, stored_as_scd_type="1",
                   track_history_column_list=None, track_history_except_column_list=None,
                   flow_name=None, once=False, ignore_null_updates_column_list=None,
                   ignore_null_updates_except_column_list=None, columns_to_update=None): ...
def _apply_changes_from_snapshot(target, source, keys, stored_as_scd_type,  # type: ignore[no-untyped-def]
                                 track_history_column_list=None,
                                 track_history_except_column_list=None): ...
def _expect(name, inv): ...  # type: ignore[no-untyped-def]
def _expect_all(expectations): ...  # type: ignore[no-untyped-def]
def _read(name): ...  # type: ignore[no-untyped-def]


DLT_SIGNATURES: dict[str, Callable[..., Any]] = {
    "table": _table, "view": _view, "append_flow": _append_flow,
    "create_streaming_table": _create_streaming_table, "apply_changes": _apply_changes,
    "apply_changes_from_snapshot": _apply_changes_from_snapshot,
    "expect": _expect, "expect_or_drop": _expect, "expect_or_fail": _expect,
    "expect_all": _expect_all, "expect_all_or_drop": _expect_all,
    "expect_all_or_fail": _expect_all, "read": _read, "read_stream": _read,
}
DLT_DECORATORS = {"table", "view", "append_flow", "expect", "expect_or_drop", "expect_or_fail",
                  "expect_all", "expect_all_or_drop", "expect_all_or_fail"}


def dlt_recorder(reader: Callable[[str, bool], Any] | None = None
                 ) -> tuple[Recorder, types.ModuleType]:
    """A recorder standing in for Databricks' ``dlt`` module."""
    recorder = Recorder("dlt")
    return recorder, recorder.module(DLT_SIGNATURES, DLT_DECORATORS, reader)


def pipelines_recorder() -> tuple[Recorder, types.ModuleType]:
    """A recorder with the signatures of the installed ``pyspark.pipelines``."""
    from pyspark.pipelines import api

    names = ["materialized_view", "table", "temporary_view", "create_streaming_table",
             "append_flow", "create_auto_cdc_flow"]
    recorder = Recorder("pyspark.pipelines")
    signatures = {n: getattr(api, n) for n in names}
    return recorder, recorder.module(signatures,
                                     {"materialized_view", "table", "temporary_view",
                                      "append_flow"})
