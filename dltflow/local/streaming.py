"""Incremental flows: append flows, streaming tables, CDC and snapshot flows.

A streaming query runs with ``foreachBatch`` and ``trigger(availableNow=True)`` and a
checkpoint per flow under the table's folder, so each run processes only the input
that arrived since the previous one, then stops. Every micro-batch is written to
staging, its expectations counted and checked, and only then appended to the table
(or, for CDC, merged into the stored state and the table republished); the batch id
is recorded so a retried batch is never appended twice. An exception raised inside a
micro-batch stops the stream before its checkpoint commits, and is re-raised as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import DatasetFailed, DLTException
from dltflow.graph.elements import ApplyChangesFlow, SnapshotFlow, Table
from dltflow.local.counting import FlowCounts, checked_write

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from dltflow.local.plan import ExecutionPlan, PlannedFlow, PlanStep
    from dltflow.local.storage import Warehouse


class StreamingFlows:
    """The incremental half of the runner (mixed into :class:`~dltflow.local.runner.Runner`)."""

    spark: SparkSession
    plan: ExecutionPlan
    warehouse: Warehouse
    views: dict[str, DataFrame]

    if TYPE_CHECKING:  # provided by the runner
        def query(self, step: PlanStep, flow: PlannedFlow) -> DataFrame: ...
        def read(self, name: str, *, streaming: bool = False) -> DataFrame: ...
        def publish(self, step: PlanStep, df: DataFrame, specs: Any,
                    counts: FlowCounts) -> None: ...
        @staticmethod
        def writer(df: DataFrame, table: Table) -> Any: ...

    def _ensure_table(self, step: PlanStep) -> Table:
        table = step.dataset
        assert isinstance(table, Table)
        self.warehouse.ensure(step.name, step.schema, partition_cols=table.partition_cols,
                              register=not table.temporary)
        return table

    def _stream(self, df: DataFrame, step: PlanStep, flow: PlannedFlow,
                each: Callable[[DataFrame, int], None], *, output_mode: str = "append") -> None:
        """Run ``each`` on every new micro-batch of ``df`` (available-now), then stop."""
        errors: list[BaseException] = []

        def guarded(batch: DataFrame, batch_id: int) -> None:
            if self.warehouse.batch_done(step.name, flow.name, batch_id):
                return
            try:
                each(batch, batch_id)
            except BaseException as err:
                errors.append(err)
                raise
            self.warehouse.mark_batch(step.name, flow.name, batch_id)

        checkpoint = self.warehouse.checkpoint(step.name, flow.name)
        query = (df.writeStream.foreachBatch(guarded).outputMode(output_mode)
                 .option("checkpointLocation", str(checkpoint))
                 .trigger(availableNow=True).start())
        try:
            query.awaitTermination()
        except Exception:
            if errors:
                raise errors[0] from None
            raise
        if errors:
            raise errors[0]

    # Append flows and streaming tables -----------------------------------------------
    def run_append(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> str:
        """Append the flow's new rows to its streaming table."""
        if flow.once and self.warehouse.once_done(step.name, flow.name):
            return "SKIPPED"
        table = self._ensure_table(step)
        df = self.query(step, flow)
        specs = table.expectations

        def append(batch: DataFrame, _batch_id: int | None = None) -> None:
            with self.warehouse.staged(step.name) as staged:
                checked_write(batch, step.name, specs,
                              lambda out: self.writer(out, table).parquet(str(staged)), counts)
            self.warehouse.append(step.name, staged)

        if df.isStreaming:
            try:
                self._stream(df, step, flow, append)
            except Exception as err:
                if "STREAMING_OUTPUT_MODE" not in str(err):
                    raise
                self._stream_complete(df, step, flow, counts)
        else:
            append(df)
        if flow.once:
            self.warehouse.mark_once(step.name, flow.name)
        return "COMPLETED"

    def _stream_complete(self, df: DataFrame, step: PlanStep, flow: PlannedFlow,
                         counts: FlowCounts) -> None:
        """A streaming aggregation without a watermark runs in complete mode, as in DLT:
        every micro-batch is the whole result and replaces the table atomically."""
        def replace(batch: DataFrame, _batch_id: int) -> None:
            latest = FlowCounts(step.name)
            self.publish(step, batch, step.dataset.expectations, latest)
            counts.output_rows, counts.dropped_rows = latest.output_rows, latest.dropped_rows
            counts.expectations = latest.expectations

        self._stream(df, step, flow, replace, output_mode="complete")

    # CDC ---------------------------------------------------------------------------
    def _source_streams(self, name: str) -> bool:
        if name in self.views:
            return bool(self.views[name].isStreaming)
        return any(s.name == name and s.mode == "streaming" for s in self.plan.steps)

    def _republish(self, step: PlanStep, new_state: DataFrame, flow: Any,
                   counts: FlowCounts) -> None:
        """Persist ``new_state`` atomically, then publish what the table shows."""
        from dltflow.local import cdc

        with self.warehouse.staged(step.name) as staged:
            new_state.write.mode("overwrite").parquet(str(staged))
        self.warehouse.publish(step.name, staged, new_state.schema, slot="state")
        visible = cdc.visible(self.warehouse.read(step.name, slot="state"), flow)
        latest = FlowCounts(step.name)
        self.publish(step, visible, (), latest)
        counts.output_rows = latest.output_rows  # the table's size after this flow

    def _state(self, name: str) -> DataFrame | None:
        return self.warehouse.read(name, slot="state") if self.warehouse.exists(name, "state") \
            else None

    def run_apply_changes(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> str:
        """Apply the source's change events to the target (incrementally when streaming)."""
        from dltflow.local import cdc

        element = flow.element
        assert isinstance(element, ApplyChangesFlow)
        if element.once and self.warehouse.once_done(step.name, flow.name):
            return "SKIPPED"
        streaming = self._source_streams(element.source)
        changes = self.read(element.source, streaming=streaming)

        def apply(batch: DataFrame, _batch_id: int | None = None, *, fresh: bool = False) -> None:
            state = None if fresh else self._state(step.name)
            self._republish(step, cdc.apply_changes(state, batch, element), element, counts)

        if changes.isStreaming:
            self._stream(changes, step, flow, apply)
        else:  # a batch source holds the whole history: recompute from scratch
            apply(changes, fresh=True)
        if element.once:
            self.warehouse.mark_once(step.name, flow.name)
        return "COMPLETED"

    def run_snapshot(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> None:
        """Apply the source's snapshot, or every newer snapshot a snapshot function returns."""
        from dltflow.local import cdc

        element = flow.element
        assert isinstance(element, SnapshotFlow)

        def apply(snapshot: DataFrame, version: Any = None) -> None:
            state = self._state(step.name)
            new_state = cdc.apply_snapshot(state, snapshot, element, version=version)
            self._republish(step, new_state, element, counts)

        if isinstance(element.source, str):
            apply(self.read(element.source))
            return
        state = self._state(step.name)
        version = cdc.last_snapshot_version(state) if state is not None else None
        while True:
            result = self._next_snapshot(step, flow, element, version)
            if result is None:
                return
            snapshot, new_version = result
            if new_version is None or (version is not None and new_version <= version):
                raise DLTException(
                    f"snapshot function of '{step.name}' returned version {new_version!r} "
                    f"after {version!r}; versions must increase, and the function must "
                    "return None when there is no newer snapshot.")
            apply(snapshot, new_version)
            version = new_version

    @staticmethod
    def _next_snapshot(step: PlanStep, flow: PlannedFlow, element: SnapshotFlow,
                       version: Any) -> tuple[DataFrame, Any] | None:
        assert callable(element.source)
        try:
            return element.source(version)
        except DLTException:
            raise
        except Exception as err:
            raise DatasetFailed(step.name, flow.function_name, err) from err
