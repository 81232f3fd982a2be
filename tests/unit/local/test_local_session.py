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


def _file_system(spark, folder):
    jvm = spark._jvm
    return jvm.org.apache.hadoop.fs.Path(str(folder)).getFileSystem(
        spark._jsc.hadoopConfiguration())


def test_local_files_are_written_without_a_chmod_process(local_spark, tmp_path):
    """Without Hadoop's native library every folder and file a write creates would start
    a `chmod` process (about nine per table); the session's file system sets modes in
    the JVM, with Hadoop's checksums as before, and the same modes Hadoop's gives."""
    from dltflow.local.engines.local_files import CLASS_NAME

    raw = _file_system(local_spark, tmp_path).getRaw()
    assert raw.getClass().getName() == f"{CLASS_NAME}$Raw"
    local_spark.range(10).write.parquet(str(tmp_path / "t"))
    modes = {path.name: path.stat().st_mode & 0o7777 for path in (tmp_path / "t").iterdir()}
    assert (tmp_path / "t").stat().st_mode & 0o7777 == 0o755
    assert set(modes.values()) == {0o644}
    assert "_SUCCESS" in modes and any(n.endswith(".parquet.crc") for n in modes)


def test_the_session_file_system_sets_exactly_the_mode_asked(local_spark, tmp_path):
    """Modes are set bit for bit, sticky bit included (which only `chmod` can set)."""
    jvm = local_spark._jvm
    fs = _file_system(local_spark, tmp_path)
    for mode in (0o700, 0o640, 0o751, 0o1777):
        target = tmp_path / f"m{mode:o}"
        target.mkdir()
        fs.setPermission(jvm.org.apache.hadoop.fs.Path(str(target)),
                         jvm.org.apache.hadoop.fs.permission.FsPermission(mode))
        assert target.stat().st_mode & 0o7777 == mode


def _compiled(df):
    """Whether the physical plan has a whole-stage code generation stage (``*(1)``)."""
    return "*(" in df._jdf.queryExecution().executedPlan().toString()


def test_no_stage_is_compiled_unless_a_run_asks_for_it(local_spark):
    """Compiling each dataset's whole-stage code costs more than running a small table; a
    run with millions of rows sets Spark's default back (as --configuration does), and
    gets the same rows."""
    from chispa import assert_df_equality

    spark = local_spark

    def query():  # a new frame each time: a frame keeps the plan it was first given
        return spark.range(2000).where("id % 7 <> 0").selectExpr("id % 10 AS k", "id * 3 AS v")

    assert not _compiled(query())
    interpreted = query().groupBy("k").sum("v").collect()
    compiled_conf = {"spark.sql.codegen.wholeStage": "true"}
    previous = {key: spark.conf.get(key) for key in compiled_conf}
    for key, value in compiled_conf.items():
        spark.conf.set(key, value)
    try:
        assert _compiled(query())
        compiled = query().groupBy("k").sum("v").collect()
    finally:
        for key, value in previous.items():
            spark.conf.set(key, value)
    assert_df_equality(spark.createDataFrame(interpreted), spark.createDataFrame(compiled),
                       ignore_row_order=True)


def test_jobs_carry_the_hadoop_configuration_without_the_source_of_each_key(local_spark,
                                                                           tmp_path):
    """Every job ships the session's Hadoop configuration, each key with its sources
    gzip-compressed; the session's keys keep their values and lose only the sources."""
    conf = local_spark._jsc.hadoopConfiguration()
    assert conf.getPropertySources("fs.permissions.umask-mode") is None
    assert conf.get("fs.permissions.umask-mode") == "022"
    local_spark.range(10).write.parquet(str(tmp_path / "t"))
    assert local_spark.read.parquet(str(tmp_path / "t")).count() == 10
    assert conf.getPropertySources("fs.permissions.umask-mode") is None  # jobs kept it so
