"""The local session is tuned for small data: a dataset of a few small files is one task."""

from __future__ import annotations

import pytest

from dltflow.local.engines.capabilities import jvm_handles


@pytest.fixture
def local_spark(spark):
    """The suite's session when it is the local JVM one these settings belong to."""
    if jvm_handles(spark) is None:
        pytest.skip("a setting of the local JVM session")
    return spark


def test_a_folder_of_small_parquet_files_is_read_as_one_partition(local_spark, tmp_path):
    """Each task of a local job costs milliseconds; a small table read as one partition
    costs one task per dataset downstream, not one per file upstream."""
    spark = local_spark
    folder = str(tmp_path / "small")
    spark.range(1000).repartition(4).write.parquet(folder)
    read = spark.read.parquet(folder)
    assert len(list((tmp_path / "small").glob("*.parquet"))) == 4
    assert read.rdd.getNumPartitions() == 1
    assert read.count() == 1000


def test_a_large_input_is_still_split(local_spark, tmp_path):
    """Only small inputs are packed together: a file above the split size is read in
    several partitions."""
    spark = local_spark
    folder = str(tmp_path / "large")
    spark.range(200_000).coalesce(1).write.parquet(folder)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "64k")
    try:
        assert spark.read.parquet(folder).rdd.getNumPartitions() > 1
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
