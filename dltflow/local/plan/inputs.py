"""External inputs of a query: the files, folders, catalog tables and streaming sources it
reads, found in the analysed logical plan of the DataFrame it returned.

Analysis resolves every read of a pipeline dataset to an in-memory empty DataFrame, so
whatever file or table relation is left in the plan is an input from *outside* the
pipeline (``spark.read.json(path)``, ``spark.readStream.csv(folder)``,
``spark.table("other.table")``). The graph shows them as source nodes. Only classic
sessions expose the plan (through py4j); on Spark Connect the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dltflow.local.engines.capabilities import classic_frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["ExternalInput", "external_inputs"]

InputKind = Literal["path", "table", "source"]


@dataclass(frozen=True, order=True)
class ExternalInput:
    """One input from outside the pipeline.

    Args:
        kind: ``path`` (a file or folder), ``table`` (a catalog table) or ``source``
            (another streaming source, e.g. ``rate`` or ``kafka``).
        name: the path, the qualified table name, or the source's name.
    """

    kind: InputKind
    name: str

    def as_event(self) -> dict[str, str]:
        """The entry of ``flow_definition.input_sources`` in the event log."""
        return {"kind": self.kind, "name": self.name}


def _path(text: str) -> str:
    return text[len("file:"):] if text.startswith("file:") else text


def _leaf_input(leaf: Any) -> ExternalInput | None:
    kind = leaf.getClass().getSimpleName()
    if kind in ("LogicalRelation", "HiveTableRelation"):
        table = leaf.catalogTable() if kind == "LogicalRelation" else None
        if table is not None and table.isDefined():
            return ExternalInput("table", table.get().identifier().unquotedString())
        if kind == "HiveTableRelation":
            return ExternalInput("table", leaf.tableMeta().identifier().unquotedString())
        location = getattr(leaf.relation(), "location", None)
        if location is None:
            return None
        return ExternalInput("path", _path(str(location().rootPaths().mkString("\n"))))
    if kind == "StreamingRelation":
        source = leaf.dataSource()
        table = source.catalogTable()
        if table.isDefined():
            return ExternalInput("table", table.get().identifier().unquotedString())
        path = source.options().get("path")
        if path.isDefined():
            return ExternalInput("path", _path(str(path.get())))
        return ExternalInput("source", str(leaf.sourceName()))
    if kind == "StreamingRelationV2":
        return ExternalInput("source", str(leaf.sourceName()))
    return None


def external_inputs(df: DataFrame | None, *, ignore: Path | None = None
                    ) -> tuple[ExternalInput, ...]:
    """The external inputs ``df`` reads, sorted and without duplicates.

    Args:
        df: a DataFrame returned by a query during analysis (None: nothing).
        ignore: a folder whose paths are the engine's own (analysis' empty stream).

    Returns:
        The inputs; empty when the session does not expose its plans (Spark Connect).
    """
    jdf = classic_frame(df) if df is not None else None
    if jdf is None:
        return ()
    try:
        leaves = jdf.queryExecution().analyzed().collectLeaves().iterator()
    except Exception:  # noqa: BLE001 - the plan is a best-effort view of the inputs
        return ()
    found: set[ExternalInput] = set()
    skip = str(ignore.resolve()) if ignore is not None else None
    while leaves.hasNext():
        try:
            item = _leaf_input(leaves.next())
        except Exception:  # noqa: BLE001 - an unfamiliar relation is simply not shown
            continue
        if item is None:
            continue
        for name in item.name.split("\n"):
            if skip and item.kind == "path" and name.startswith(skip):
                continue
            found.add(ExternalInput(item.kind, name))
    return tuple(sorted(found))
