"""What dltflow's patch table touches, as the classes and modules hold it themselves
(not what they inherit): compared before and after a block or a run."""

from __future__ import annotations

import builtins
import sys

from pyspark.sql.readwriter import DataFrameReader
from pyspark.sql.session import SparkSession
from pyspark.sql.streaming.readwriter import DataStreamReader

CLASSES = (SparkSession, DataFrameReader, DataStreamReader)


def patch_state() -> dict[str, object]:
    held = {f"{c.__qualname__}.{n}": vars(c).get(n) for c in CLASSES
            for n in ("table", "sql", "readStream", "format")}
    held["builtins.dbutils"] = vars(builtins).get("dbutils")
    for name in ("dlt", "pyspark.pipelines"):
        held[f"sys.modules[{name}]"] = sys.modules.get(name)
    held["pyspark.pipelines"] = vars(sys.modules["pyspark"]).get("pipelines")
    return held
