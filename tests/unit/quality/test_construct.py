"""``build_pipeline``: one constructor for every place dltflow creates a pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dltflow.quality import ConfigError, DLTMetaMixin, build_pipeline

CONF: dict[str, Any] = {"dlt": [{"func_name": "numbers", "kind": "table"}],
                        "reader": {"landing_dir": "in"}}
SESSION = object()  # registration is lazy: the session is only handed over


class SparkOnly(DLTMetaMixin):
    """The original dltflow README's shape: ``__init__`` takes only ``spark``."""

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def numbers(self) -> Any: ...


class Keywords(DLTMetaMixin):
    def __init__(self, spark: Any = None, init_conf: Any = None) -> None:
        self.spark, self.got = spark, init_conf

    def numbers(self) -> Any: ...


class Positional(DLTMetaMixin):
    def __init__(self, session: Any, conf: Any) -> None:
        self.spark, self.conf = session, conf

    def numbers(self) -> Any: ...


class NoInit(DLTMetaMixin):
    def numbers(self) -> Any: ...


@pytest.mark.parametrize("cls", [SparkOnly, Keywords, Positional, NoInit])
def test_every_signature_gets_its_config(cls: type) -> None:
    pipeline = build_pipeline(cls, SESSION, CONF)
    assert [e.func_name for e in pipeline.pipeline_config.dlt] == ["numbers"]
    assert pipeline.pipeline_config.get("reader") == {"landing_dir": "in"}
    if cls is not NoInit:
        assert pipeline.spark is SESSION


def test_keywords_class_receives_the_config_object() -> None:
    pipeline = build_pipeline(Keywords, SESSION, CONF)
    assert pipeline.got == CONF


def test_metaclass_takes_init_conf_when_init_lacks_it() -> None:
    pipeline = SparkOnly(SESSION, init_conf=CONF)
    assert pipeline.pipeline_config.get("reader") == {"landing_dir": "in"}


def test_a_path_is_read_once_and_errors_name_it(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text("dlt:\n  - func_name: numbers\n    kind: table\n")
    assert build_pipeline(SparkOnly, SESSION, good).pipeline_config.dlt[0].kind == "table"
    bad = tmp_path / "bad.yml"
    bad.write_text("dlt:\n  - func_name: numbers\n    kind: tabel\n")
    with pytest.raises(ConfigError) as info:
        build_pipeline(SparkOnly, SESSION, bad)
    assert info.value.source == str(bad)


def test_an_instance_without_config_says_how_to_give_one() -> None:
    with pytest.raises(ConfigError) as info:
        _ = SparkOnly(SESSION).pipeline_config
    assert "init_conf" in (info.value.hint or "")
