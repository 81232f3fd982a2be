"""A file's declaration errors win over "declares no datasets" (the real error first)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dltflow.exceptions import ConfigError
from dltflow.local import explain, run

ONLY_A_TYPO = '''
import dlt

@dlt.table(partion_cols=["v"])
def t():
    return spark.range(3).withColumnRenamed("id", "v")
'''


@pytest.mark.parametrize("entry", [run, explain])
def test_misspelled_option_of_the_only_dataset_is_named(spark: SparkSession, tmp_path: Path,
                                                        entry: object) -> None:
    path = tmp_path / "typo.py"
    path.write_text(textwrap.dedent(ONLY_A_TYPO))
    with pytest.raises(ConfigError) as caught:
        entry(path, spark=spark, warehouse=tmp_path / "wh")  # type: ignore[operator]
    message = str(caught.value)
    assert "partion_cols" in message and "partition_cols" in message
    assert "typo.py:4" in message or "typo.py:5" in message
    assert "declares no datasets" not in message
