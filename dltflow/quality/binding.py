"""Turn a validated ``dlt:`` config into graph elements for one pipeline instance.

The mapping follows the original dltflow: a plain entry is a table or view; an entry
with ``append_config`` feeds a streaming table through an append flow; an entry with
``apply_chg_config`` becomes a view of change events applied to a streaming table.
``quarantine`` expectations become a ``drop`` on the dataset plus a second table,
``<name>_quarantine``, holding the failing rows, so every backend sees plain DLT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    Dataset,
    ExpectationSpec,
    Flow,
    SourceLocation,
    Table,
    View,
)
from dltflow.graph.expectations import quarantined_rows
from dltflow.quality.config import DLTConfig

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

QUARANTINE_SUFFIX = "_quarantine"


def expectation_specs(entry: DLTConfig) -> tuple[ExpectationSpec, ...]:
    """The entry's expectations with their effective actions."""
    return tuple(ExpectationSpec(e.name, e.constraint, entry.action_of(e))
                 for e in entry.expectations)


def read_target(entry: DLTConfig) -> str:
    """What a nested call of the entry's method reads: the dataset it fills."""
    if entry.append_config:
        return entry.append_config.target
    return entry.dataset_name


def elements_for(entry: DLTConfig, query: Callable[[], DataFrame],
                 location: SourceLocation | None) -> list[Dataset | Flow]:
    """The datasets and flows one config entry declares."""
    specs = expectation_specs(entry)
    opts = entry.write_opts
    if entry.append_config:
        cfg = entry.append_config
        target = Table(name=cfg.target, kind="streaming_table", expectations=_plain(specs),
                       comment=opts.comment, source_location=location, **_table_options(entry))
        flow = AppendFlow(name=cfg.name or entry.func_name, target=cfg.target, query=query,
                          once=cfg.once, comment=cfg.comment, spark_conf=cfg.spark_conf or {},
                          source_location=location)
        return [target, flow, *_quarantine_table(cfg.target, query, specs, location)]
    if entry.apply_chg_config:
        return _apply_changes_elements(entry, query, specs, location)
    if entry.kind == "view":
        return [View(name=entry.dataset_name, query=query, expectations=_plain(specs),
                     comment=opts.comment, source_location=location),
                *_quarantine_table(entry.dataset_name, query, specs, location)]
    kind: Any = "streaming_table" if entry.is_streaming_table else entry.kind
    table = Table(name=entry.dataset_name, query=query, kind=kind, expectations=_plain(specs),
                  comment=opts.comment, source_location=location, **_table_options(entry))
    return [table, *_quarantine_table(entry.dataset_name, query, specs, location)]


def _apply_changes_elements(entry: DLTConfig, query: Callable[[], DataFrame],
                            specs: tuple[ExpectationSpec, ...],
                            location: SourceLocation | None) -> list[Dataset | Flow]:
    cfg = entry.apply_chg_config
    assert cfg is not None
    source_view = View(name=entry.dataset_name, query=query, expectations=_plain(specs),
                       comment=entry.write_opts.comment, source_location=location)
    target = Table(name=cfg.target, kind="streaming_table", source_location=location,
                   **_table_options(entry))
    sequence_by: Any = cfg.sequence_by
    if isinstance(sequence_by, list):
        sequence_by = _struct_of(sequence_by)
    flow = ApplyChangesFlow(
        name=cfg.flow_name or cfg.target, target=cfg.target,
        source=cfg.source or entry.dataset_name, keys=tuple(cfg.keys),
        sequence_by=sequence_by, where=cfg.where, ignore_null_updates=cfg.ignore_null_updates,
        apply_as_deletes=cfg.apply_as_deletes, apply_as_truncates=cfg.apply_as_truncates,
        column_list=_tuple(cfg.column_list), except_column_list=_tuple(cfg.except_column_list),
        stored_as_scd_type=int(cfg.stored_as_scd_type),
        track_history_column_list=_tuple(cfg.track_history_column_list),
        track_history_except_column_list=_tuple(cfg.track_history_except_column_list),
        source_location=location,
    )
    return [source_view, target, flow,
            *_quarantine_table(entry.dataset_name, query, specs, location)]


def _struct_of(columns: list[str]) -> Any:
    from pyspark.sql import functions as F  # lazy: only a multi-column sequence needs Spark

    return F.struct(*columns)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _plain(specs: tuple[ExpectationSpec, ...]) -> tuple[ExpectationSpec, ...]:
    """Quarantine is a drop on the dataset itself; the failing rows go elsewhere."""
    return tuple(ExpectationSpec(s.name, s.constraint, "drop") if s.action == "quarantine"
                 else s for s in specs)


def _quarantine_table(name: str, query: Callable[[], DataFrame],
                      specs: tuple[ExpectationSpec, ...],
                      location: SourceLocation | None) -> list[Dataset | Flow]:
    rules = [s for s in specs if s.action == "quarantine"]
    if not rules:
        return []

    def quarantine() -> DataFrame:
        return quarantined_rows(query(), rules)

    return [Table(name=name + QUARANTINE_SUFFIX, query=quarantine, kind="table",
                  comment=f"Rows of {name} that failed a quarantine expectation.",
                  source_location=location)]


def _table_options(entry: DLTConfig) -> dict[str, Any]:
    opts = entry.write_opts
    return {
        "spark_conf": dict(opts.spark_conf or {}),
        "table_properties": dict(opts.table_properties or {}),
        "partition_cols": tuple(opts.partition_cols or ()),
        "cluster_by": tuple(opts.cluster_by or ()),
        "path": opts.path,
        "schema": opts.schema_,
        "temporary": bool(opts.temporary),
        "row_filter": opts.row_filter,
        "format": opts.format,
    }
