"""Named steps of the commit protocols, where a test can kill the process.

A crash can happen between any two steps of a write; the protocols in
:mod:`dltflow.local.storage` are built so the next run neither loses nor repeats
input, whatever the instant. To *test* that rather than hope it, every step calls
:func:`reached` with its name and the dataset it writes, and
``DLTFLOW_FAILPOINT=<step>[@<dataset>][:<n>]`` makes the process kill itself with
SIGKILL (no ``finally`` blocks, no flushing: a real crash) the ``n``-th time (default:
the first) that step is reached (for that dataset). Unset, a step costs one
environment lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "DLTFLOW_FAILPOINT"

STEPS = (
    "append.staged",      # a micro-batch's rows are in staging, not yet committed
    "append.committed",   # the staged batch was renamed into _commits/ (the commit point)
    "append.moving",      # some of its files are in the table, others not yet
    "append.moved",       # all files are in the table, the batch is not yet marked done
    "append.marked",      # marked done; the commit folder is not yet removed
    "publish.staged",     # a new version is written to staging
    "publish.renamed",    # the version folder is in place, the pointer not yet switched
    "publish.switched",   # the pointer names the new version; old ones not yet deleted
    "batch.returned",     # the micro-batch is done; Spark has not yet checkpointed it
    "sink.called",        # a foreach_batch_sink function returned; its batch is not yet marked
)
"""Every step name, in protocol order (tests iterate over these)."""

_hits: Counter[str] = Counter()


def reached(step: str, dataset: str) -> None:
    """Mark that ``step`` is reached for ``dataset``; die here if ``DLTFLOW_FAILPOINT``
    names it."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    name, _, only = point.partition("@")
    if name != step or (only and only != dataset):
        return
    _hits[point] += 1
    if _hits[point] == (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
