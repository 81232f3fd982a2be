"""The Hadoop configuration of dltflow's own JVM sessions, without the source of each key.

Spark ships the session's Hadoop configuration (about 1,100 keys) with every job: in
the task of a write and in the broadcast of every Parquet scan. Hadoop writes each key
with the list of the resources that set it (``core-default.xml``, ...), gzip-compressed
key by key: a compressor started a thousand times per job, about a sixth of what a small
local table costs to write. The lists only say where a value came from (Hadoop's
``getPropertySources``, for people reading a dump); the values are untouched. Keys set
later still record their source, and so does everything after Hadoop reloads its
defaults: that costs time again, never a value.

Only sessions :func:`~dltflow.local.engines.session.get_spark` starts get it; a session
the user brings is left as it is. If this Hadoop keeps its sources elsewhere, nothing
changes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Classes that add default resources to every configuration the first time they are
# used (a write job uses them); Hadoop then reads all keys again, sources included.
_ADDING_DEFAULTS = ("org.apache.hadoop.mapred.JobConf",
                    "org.apache.hadoop.hdfs.HdfsConfiguration")


def drop_property_sources(spark: SparkSession) -> bool:
    """Forget where each key of ``spark``'s Hadoop configuration came from; True if done.

    Every job's configuration is a copy of this one, so it is done once, at start.
    """
    jvm: Any = spark._jvm  # a classic session: get_spark starts no other kind here
    try:
        for name in _ADDING_DEFAULTS:  # each adds its defaults when first used: now
            jvm.java.lang.Class.forName(name)
        conf = spark._jsc.hadoopConfiguration()
        conf.size()  # the keys are read from their resources on first use
        sources = jvm.java.lang.Class.forName("org.apache.hadoop.conf.Configuration") \
            .getDeclaredField("updatingResource")
        sources.setAccessible(True)
        sources.get(conf).clear()
    except Exception as err:  # noqa: BLE001 - any failure leaves the configuration as it was
        log.debug("the Hadoop configuration keeps its sources: %s", err)
        return False
    return True
