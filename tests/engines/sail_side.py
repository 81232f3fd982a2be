"""Run every scenario of ``scenarios.py`` on the Sail engine; pickle what came out.

Usage: ``python tests/engines/sail_side.py OUT.pickle WORKDIR``. A separate process,
because a Spark Connect session switches the whole Python process to Connect mode.
A scenario that fails is recorded with its error instead of its outcome.
"""

from __future__ import annotations

import pickle
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(out: Path, workdir: Path) -> None:
    from dltflow.local import get_spark
    from tests.support.scenarios import SCENARIOS

    spark = get_spark(engine="sail")
    outcomes = {}
    for name, scenario in SCENARIOS.items():
        try:
            outcome = scenario(spark, workdir / name)
            tables = {table: (df.schema.json(), [tuple(r) for r in df.collect()])
                      for table, df in outcome["tables"].items()}
            outcomes[name] = {"updates": outcome["updates"], "tables": tables}
        except Exception:  # noqa: BLE001 - the parent test shows it
            outcomes[name] = {"error": traceback.format_exc()}
    out.write_bytes(pickle.dumps(outcomes))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
