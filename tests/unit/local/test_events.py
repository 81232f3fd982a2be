"""The event log: DLT-shaped JSON records, appended per run, readable as a DataFrame."""

from __future__ import annotations

from pyspark.sql import functions as F

from dltflow.graph import api as dlt
from dltflow.local import FlowFinished, FlowStarted, RunFinished, RunStarted, run
from dltflow.local.events import DatasetDefined, FlowDefined


def _pipeline(spark):
    def pipeline():
        @dlt.table
        @dlt.expect_or_drop("small", "id < 4")
        def numbers():
            return spark.range(6)

    return pipeline


def test_event_log_has_dlt_shape_and_appends_per_run(spark, tmp_path):
    seen = []
    first = run(_pipeline(spark), spark=spark, warehouse=tmp_path, on_event=seen.append)
    second = run(_pipeline(spark), spark=spark, warehouse=tmp_path)
    assert [type(e) for e in seen] == [RunStarted, DatasetDefined, FlowDefined, FlowStarted,
                                       FlowFinished, RunFinished]
    assert seen == first.events

    log = first.event_log()
    assert log.select("origin.update_id").distinct().count() == 2
    finished = (log.filter(F.col("origin.update_id") == first.run_id)
                .filter("event_type = 'flow_progress'")
                .filter("details.flow_progress.status = 'COMPLETED'")
                .select("origin.flow_name", "details.flow_progress.metrics.num_output_rows",
                        "details.flow_progress.data_quality.dropped_records",
                        F.explode("details.flow_progress.data_quality.expectations")
                        .alias("e"))
                .select("flow_name", "num_output_rows", "dropped_records", "e.*")
                .collect())
    assert [r.asDict() for r in finished] == [{
        "flow_name": "numbers", "num_output_rows": 4, "dropped_records": 2,
        "dataset": "numbers", "failed_records": 2, "name": "small", "passed_records": 4}]
    states = (log.filter(F.col("origin.update_id") == second.run_id)
              .filter("event_type = 'update_progress'")
              .select("details.update_progress.state").collect())
    assert [r.state for r in states] == ["COMPLETED"]
