"""dltflow's own incremental reads: streaming flows without a streaming engine.

Structured Streaming needs ``foreachBatch``, which Sail lacks. A streaming flow gets the
same effect from batch reads of only what its sources gained since it last ran:

* a *source* is a folder of files (``spark.readStream.format("json").load(path)``,
  Auto Loader, ``readStream.format("delta")``) or a table of the pipeline
  (``dlt.read_stream("bronze")``), whose data files the engine lists: a Parquet
  version's files, a Delta version's live files from its log;
* before a micro-batch runs, the files it reads are written to the flow's *offset
  log* (``_checkpoints/<flow>/incremental/<batch>.json``); its output then commits with
  the batch id (:meth:`~dltflow.local.storage.Warehouse.commit_batch`, or a pointer
  switch with progress). A batch logged but never committed (the process died) is
  replayed with exactly its files, so nothing is read twice or skipped;
* while the flow's query is called inside :func:`reading`, ``spark.readStream`` hands
  out an :class:`IncrementalStreamReader`, and a streaming read of a dataset goes to
  :func:`read_table`: both return *batch* DataFrames of the new files only.

The flow's query therefore runs once per micro-batch, as it does under Structured
Streaming; what cannot be computed one batch at a time without state (aggregations,
``dropDuplicates``, joins of two streams) is found by :func:`dltflow.local.plan.stateful_operator`
while planning and refused.

Modules: :mod:`.batch` (the micro-batch being built and the files it takes),
:mod:`.offsets` (the offset log), :mod:`.listing` (the files of a source),
:mod:`.reader` (batch reads of those files, with Sail's JSON workaround) and
:mod:`.standin` (the ``spark.readStream`` stand-in and its patch).
"""

from __future__ import annotations

from dltflow.local.streaming.batch import BatchFiles, current_batch
from dltflow.local.streaming.listing import FILE_PATH, NEWER_THAN, option_text
from dltflow.local.streaming.offsets import OFFSETS, OffsetLog
from dltflow.local.streaming.reader import read_folder, read_table
from dltflow.local.streaming.standin import IncrementalStreamReader, reading, register_source

__all__ = ["FILE_PATH", "NEWER_THAN", "OFFSETS", "BatchFiles", "IncrementalStreamReader",
           "OffsetLog", "current_batch", "option_text", "read_folder", "read_table", "reading",
           "register_source"]
