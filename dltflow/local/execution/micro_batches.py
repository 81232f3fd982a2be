"""How a streaming flow's micro-batches run: the two strategies behind one interface.

:class:`StructuredStreaming` hands the flow's stream to Spark (``foreachBatch`` with
``trigger(availableNow=True)`` and a checkpoint per flow); :class:`IncrementalReads` is
dltflow's own loop (:mod:`dltflow.local.streaming`) for engines without ``foreachBatch``
(Sail) or by choice (``--streaming incremental``). Both call ``each(batch, batch_id)``
once per new micro-batch; ``each`` commits the batch's output together with its id
(:meth:`~dltflow.local.storage.Warehouse.commit_batch`), so a batch replayed after a
crash is found done and skipped. The run context carries the strategy of the run's
streaming mode (:func:`micro_batches`); executors never ask which one it is, only
whether it builds the flow's query again for every batch (:attr:`rebuilds_query`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dltflow.exceptions import ConfigError
from dltflow.local.storage.failpoints import reached
from dltflow.local.streaming.batch import BatchFiles
from dltflow.local.streaming.offsets import OFFSETS, OffsetLog
from dltflow.local.streaming.standin import reading

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import PlannedFlow
    from dltflow.local.storage import Warehouse

__all__ = ["IncrementalReads", "MicroBatches", "StructuredStreaming", "micro_batches"]

Each = Callable[["DataFrame", int], None]


class MicroBatches(Protocol):
    """Runs a streaming flow's new micro-batches, then stops (an available-now update)."""

    mode: str
    """The ``--streaming`` mode this strategy is."""
    rebuilds_query: bool
    """Whether the flow's query is built again for every micro-batch (it then reads
    only that batch's new input), rather than once as one stream."""

    def run(self, warehouse: Warehouse, step: PlanStep, flow: PlannedFlow,
            build: Callable[[], DataFrame], each: Each, *,
            output_mode: str = "append") -> None:
        """Call ``each`` on every new micro-batch of the stream ``build`` returns."""


class StructuredStreaming:
    """Spark's Structured Streaming: the stream is built once and run by Spark."""

    mode = "structured"
    rebuilds_query = False

    def run(self, warehouse: Warehouse, step: PlanStep, flow: PlannedFlow,
            build: Callable[[], DataFrame], each: Each, *,
            output_mode: str = "append") -> None:
        _stream_batches(warehouse, build(), step, flow, each, output_mode=output_mode)


class IncrementalReads:
    """dltflow's incremental reads: the query is built for each batch of new files."""

    mode = "incremental"
    rebuilds_query = True

    def __init__(self, engine: str) -> None:
        self.engine = engine  # named in the errors of sources it cannot follow

    def run(self, warehouse: Warehouse, step: PlanStep, flow: PlannedFlow,
            build: Callable[[], DataFrame], each: Each, *,
            output_mode: str = "append") -> None:
        _incremental_batches(warehouse, self.engine, step, flow, build, each)


def micro_batches(mode: str, engine: str) -> MicroBatches:
    """The strategy of streaming ``mode`` (``structured`` or ``incremental``) on ``engine``."""
    return IncrementalReads(engine) if mode == "incremental" else StructuredStreaming()


def _stream_batches(warehouse: Warehouse, df: DataFrame, step: PlanStep, flow: PlannedFlow,
                   each: Callable[[DataFrame, int], None], *,
                   output_mode: str = "append") -> None:
    """Run ``each`` on every new micro-batch of ``df`` (available-now), then stop.

    ``each`` must commit the batch's output together with its id (so that
    :meth:`~dltflow.local.storage.Warehouse.batch_done` knows it); a batch found done
    (replayed after a crash) is skipped.
    """
    errors: list[BaseException] = []
    checkpoint = warehouse.checkpoint(step.name, flow.name)
    _same_mode(checkpoint / OFFSETS, step, "incremental reads", "structured")

    def guarded(batch: DataFrame, batch_id: int) -> None:
        if warehouse.batch_done(step.name, flow.name, batch_id):
            return
        try:
            each(batch, batch_id)
        except BaseException as err:
            errors.append(err)
            raise
        reached("batch.returned", step.name)

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


def _incremental_batches(warehouse: Warehouse, engine: str, step: PlanStep, flow: PlannedFlow,
                        build: Callable[[], DataFrame],
                        each: Callable[[DataFrame, int], None]) -> None:
    """Run ``each`` on micro-batches of the new files ``build``'s query reads, until
    none is left: the micro-batches by dltflow's own incremental reads.

    A batch's files are logged before it runs and its output commits with its id, so a
    batch that never committed is replayed with exactly its files, and one that did is
    never repeated (see :mod:`dltflow.local.streaming`).
    """
    checkpoint = warehouse.checkpoint(step.name, flow.name)
    _same_mode(checkpoint / "offsets", step, "Structured Streaming", "incremental")
    log = OffsetLog(checkpoint / OFFSETS)
    while True:
        batch_id, replay = log.next_batch(
            lambda done: warehouse.batch_done(step.name, flow.name, done))
        files = BatchFiles(log.consumed(batch_id), replay, step.name,
                           engine)
        with reading(files):
            df = build()
        if replay is None:
            if not files.anything:
                return
            log.write(batch_id, files.taken)
        each(df, batch_id)
        reached("batch.returned", step.name)
        if replay is None and not files.held_back:
            return


def _same_mode(other: Path, step: PlanStep, used: str, now: str) -> None:
    """A flow's progress is kept by the streaming mode that made it: switching modes
    would read its input again, so it needs a full refresh of the table."""
    if other.exists():
        raise ConfigError(f"streaming table '{step.name}' was last updated with {used}; "
                          f"its progress cannot carry over to --streaming {now}",
                          hint=f"run with --full-refresh {step.name} to switch, or keep "
                               "the mode it was built with.")
