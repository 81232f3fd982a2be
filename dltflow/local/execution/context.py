"""What every flow executor shares during one update: the run context.

It is also the *resolver* of the pipeline's reads while the update runs: a stored
table is read from the warehouse, a view from memory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dltflow.causes import call_user_code
from dltflow.exceptions import DatasetFailed, DatasetNotMaterialized, GraphError
from dltflow.local.execution.checked_write import FlowCounts, Target, checked_write
from dltflow.local.plan.build import is_dataframe
from dltflow.local.streaming.batch import current_batch
from dltflow.local.streaming.reader import read_table

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import DataFrame, SparkSession

    from dltflow.graph.elements import ExpectationSpec, Table
    from dltflow.local.engines.capabilities import Capabilities
    from dltflow.local.execution.micro_batches import MicroBatches
    from dltflow.local.plan.build import ExecutionPlan, PlanStep
    from dltflow.local.plan.flows import AppendFlowPlan, QueryFlow
    from dltflow.local.storage import Warehouse


@dataclass
class RunContext:
    """The session, the plan, the warehouse and the views computed so far.

    Args:
        spark: the session to run on.
        plan: the checked plan.
        warehouse: where tables, state and checkpoints live.
        capabilities: what the session's engine can do (worked out once, at the start).
        micro_batches: how streaming flows run (Structured Streaming or dltflow's
            incremental reads).
        views: the views computed so far in this update, by name.
        full_refresh: True to reset every streaming dataset, or the names to reset.
    """

    spark: SparkSession
    plan: ExecutionPlan
    warehouse: Warehouse
    capabilities: Capabilities
    micro_batches: MicroBatches
    views: dict[str, DataFrame] = field(default_factory=dict)
    full_refresh: bool | Collection[str] = False
    stream_view_reads: dict[str, Callable[[], DataFrame]] = field(default_factory=dict)
    """Streaming views under incremental reads: what a reader's micro-batch reads of
    each (the view's query called again, so it reads that reader's new files; or the
    new files of a checked view's kept rows)."""

    def refreshing(self, name: str) -> bool:
        """Whether this update starts ``name`` over (``--full-refresh``)."""
        if isinstance(self.full_refresh, bool):
            return self.full_refresh
        return name in self.full_refresh

    # Resolver protocol -----------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        """The pipeline dataset a table name refers to, or None."""
        return self.plan.lookup(name)

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        """A view from memory, a table from the warehouse."""
        if name not in self.plan.all_datasets:
            raise GraphError(f"'{name}' is not a dataset of this pipeline", names=[name])
        if name in self.views:
            if name in self.stream_view_reads and current_batch() is not None:
                return self.stream_view_reads[name]()
            return self.views[name]
        if not self.warehouse.exists(name):
            raise DatasetNotMaterialized(name)
        files = current_batch() if streaming else None
        if files is not None:
            return read_table(files, self.warehouse, name)
        return self.warehouse.read(name, streaming=streaming)

    # Shared by the executors -------------------------------------------------------
    def query(self, step: PlanStep, flow: QueryFlow | AppendFlowPlan) -> DataFrame:
        """Call the flow's function, wrapping a user error with the dataset's name."""
        df = call_user_code(step.name, flow.function_name, flow.query)
        if not is_dataframe(df):
            raise DatasetFailed(step.name, flow.function_name,
                                TypeError(f"it returned {type(df).__name__}, not a DataFrame"))
        return df

    def publish(self, step: PlanStep, df: DataFrame, specs: tuple[ExpectationSpec, ...],
                counts: FlowCounts, *, progress: tuple[str, int] | None = None) -> None:
        """Write ``df`` as a new version of the step's table and switch to it atomically
        (with ``progress``: the micro-batch that produced it is recorded as done in the
        same switch)."""
        table = step.table
        with self.warehouse.staged(step.name) as staged:
            checked_write(df, step.name, specs,
                          lambda out: self.warehouse.save(writer(out, table), staged),
                          counts, scratch=self.warehouse.scratch,
                          target=self.target(staged, table))
        self.warehouse.publish(step.name, staged, df.schema, partition_cols=table.partition_cols,
                               register=not table.temporary, progress=progress)

    def target(self, staged: Path, table: Table, into: str | None = None) -> Target:
        """What :func:`writer` and the warehouse write of ``table`` into ``staged``."""
        return Target(staged, None if table.partition_cols
                      else self.warehouse.write_format(into))

    def ensure_table(self, step: PlanStep) -> Table:
        """The step's table, created empty (with its schema) when it does not exist."""
        table = step.table
        self.warehouse.ensure(step.name, step.schema, partition_cols=table.partition_cols,
                              register=not table.temporary)
        return table


def writer(df: DataFrame, table: Table) -> Any:
    """A writer honouring the table's partition columns (the warehouse picks the format)."""
    out = df.write.mode("overwrite")
    return out.partitionBy(*table.partition_cols) if table.partition_cols else out
