"""The local SparkSession: tuned for small data, or any session the user brings.

``SPARK_REMOTE`` / ``remote=`` gives a Spark Connect session (a cluster, or Databricks
Connect); otherwise a classic local session with few shuffle partitions and no UI,
because pipelines run locally are small and start-up time dominates.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
}


def get_spark(remote: str | None = None, *, app_name: str = "dltflow",
              catalog_dir: str | os.PathLike[str] | None = None) -> SparkSession:
    """The active session, a Spark Connect session for ``remote``, or a new local one.

    Args:
        remote: a Spark Connect URL (``sc://host:port``); defaults to ``SPARK_REMOTE``.
        app_name: the application name of a new local session.
        catalog_dir: where a new local session keeps its catalog folder
            (``spark.sql.warehouse.dir``); by default Spark's ``./spark-warehouse``.
            ``dltflow run`` puts it inside its warehouse, so a run writes nowhere else.
    """
    from pyspark.sql import SparkSession  # lazy: `dltflow --help` must not start pyspark

    remote = remote or os.environ.get("SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master("local[2]").appName(app_name)
    for key, value in LOCAL_CONF.items():
        builder = builder.config(key, value)
    if catalog_dir is not None:
        builder = builder.config("spark.sql.warehouse.dir", os.path.abspath(catalog_dir))
    return builder.getOrCreate()
