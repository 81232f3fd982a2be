"""Benchmark: a streaming pipeline's updates under Structured Streaming and under
dltflow's own incremental reads, on the JVM engine, in one process and session.

The pipeline is the retail scenario of ``tests/support/scenarios.py`` (Auto Loader
bronze, a silver stream joined to a static table, append flows, SCD 1 and 2 from a
streaming view, a materialized view), run for three updates with new files before
each. Both modes are warmed up, then alternate; medians are reported. The last line
is ``ratio=<incremental seconds / structured seconds>``.

Usage::

    PYTHONPATH=$PWD python benchmarks/streaming_modes.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from dltflow.local import get_spark
    from tests.support.scenarios import retail_streaming

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spark = get_spark()
    modes = {"structured": "structured", "incremental": "incremental"}
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as folder:
        for mode in modes:  # warm-up
            retail_streaming(spark, Path(folder) / f"warm-{mode}", streaming=mode)
        for attempt in range(args.repeat):
            for mode in modes:
                start = time.perf_counter()
                retail_streaming(spark, Path(folder) / f"{mode}-{attempt}", streaming=mode)
                seconds[mode].append(time.perf_counter() - start)
    medians = {mode: statistics.median(times) for mode, times in seconds.items()}
    for mode, median in medians.items():
        print(f"{mode}: median {median:.2f} s for three updates "
              f"({', '.join(f'{t:.2f}' for t in seconds[mode])})")
    print(f"ratio={medians['incremental'] / medians['structured']:.2f}")


if __name__ == "__main__":
    main()
