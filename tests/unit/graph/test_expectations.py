"""One implementation of "which rows fail", shared by every backend."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession

from dltflow.exceptions import ExpectationFailed
from dltflow.graph.elements import ExpectationSpec
from dltflow.graph.expectations import (
    FAILED_EXPECTATIONS_COLUMN,
    enforce_lazily,
    evaluate,
    kept_rows,
    observe,
    passes,
    quarantined_rows,
    sharing_checks,
)

ROWS = [(1, 20), (2, 5), (3, None), (4, 200)]


def _people(spark: SparkSession):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(ROWS, "id int, age int")


def test_null_fails_and_only_removing_actions_drop_rows(spark: SparkSession) -> None:
    specs = [ExpectationSpec("adult", "age >= 18", "drop"),
             ExpectationSpec("known", "age is not null", "allow")]
    kept = kept_rows(_people(spark), specs)
    expected = spark.createDataFrame([(1, 20), (4, 200)], "id int, age int")
    assert_df_equality(kept, expected, ignore_row_order=True)


def test_evaluate_counts_each_expectation_in_one_pass(spark: SparkSession) -> None:
    specs = [ExpectationSpec("adult", "age >= 18", "drop"),
             ExpectationSpec("sane", "age < 150", "allow")]
    checked, metrics = evaluate(_people(spark), "people", specs)
    # adult fails ids 2 and 3 (NULL fails); sane fails 3 (NULL) and 4.
    assert [(m.name, m.passed_records, m.failed_records) for m in metrics] == [
        ("adult", 2, 2), ("sane", 2, 2)]
    assert sorted(r.id for r in checked.kept.collect()) == [1, 4]


def test_observe_gives_the_same_counts_after_the_write(spark: SparkSession) -> None:
    specs = [ExpectationSpec("adult", "age >= 18", "quarantine")]
    checked = observe(_people(spark), "people", specs)
    assert sorted(r.id for r in checked.kept.collect()) == [1, 4]
    assert checked.total_rows() == 4
    assert [(m.passed_records, m.failed_records) for m in checked.metrics()] == [(2, 2)]
    assert checked.quarantine is not None
    quarantined = {r.id: list(r[FAILED_EXPECTATIONS_COLUMN])
                   for r in checked.quarantine.collect()}
    assert quarantined == {2: ["adult"], 3: ["adult"]}


def test_shared_checks_are_built_once_and_count_every_dataset_alike(
        spark: SparkSession) -> None:
    adult = ExpectationSpec("adult", "age >= 18", "drop")
    assert passes(adult) is not passes(adult)  # outside a run: a fresh Column each time
    with sharing_checks():
        assert passes(adult) is passes(ExpectationSpec("grown", "age >= 18"))
        first = observe(_people(spark), "people", [adult])
        second = observe(_people(spark).filter("id > 1"), "others", [adult])
        assert sorted(r.id for r in first.kept.collect()) == [1, 4]
        assert sorted(r.id for r in second.kept.collect()) == [4]
    assert [(m.passed_records, m.failed_records) for m in first.metrics()] == [(2, 2)]
    assert [(m.passed_records, m.failed_records) for m in second.metrics()] == [(1, 2)]
    assert passes(adult) is not passes(adult)  # the sharing ended with the block


def test_raise_for_failures_names_the_expectation_and_a_row(spark: SparkSession) -> None:
    specs = [ExpectationSpec("sane", "age < 150", "fail")]
    checked, metrics = evaluate(_people(spark), "people", specs)
    with pytest.raises(ExpectationFailed) as info:
        checked.raise_for_failures(metrics)
    assert info.value.expectation == "sane"
    assert info.value.dataset == "people"
    assert info.value.failed_records == 2
    assert info.value.record is not None and info.value.record["id"] in (3, 4)


def test_enforce_lazily_runs_nothing_until_consumed(spark: SparkSession) -> None:
    specs = [ExpectationSpec("sane", "age < 150", "fail")]
    lazy = enforce_lazily(_people(spark), "people", specs)  # no action yet: no error
    with pytest.raises(Exception, match="sane"):
        lazy.collect()


def test_quarantined_rows_lists_every_failed_name(spark: SparkSession) -> None:
    specs = [ExpectationSpec("adult", "age >= 18", "quarantine"),
             ExpectationSpec("sane", "age < 150", "quarantine")]
    rows = {r.id: sorted(r[FAILED_EXPECTATIONS_COLUMN])
            for r in quarantined_rows(_people(spark), specs).collect()}
    assert rows == {2: ["adult"], 3: ["adult", "sane"], 4: ["sane"]}
