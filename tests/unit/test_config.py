"""dltflow.config: the one --conf parser, strict base and error formatter."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dltflow.config import StrictModel, conf_argument, validation_problems
from dltflow.exceptions import ConfigError
from dltflow.quality import load_dlt_config


@pytest.mark.parametrize(("args", "expected"), [
    (["--conf", "a.yml"], "a.yml"),
    (["--conf-file", "b.yml"], "b.yml"),
    (["x", "--conf=c.yml"], "c.yml"),
    (["--conf"], None),
    ([], None),
])
def test_conf_argument(args: list[str], expected: str | None) -> None:
    assert conf_argument(args) == expected


class _Item(StrictModel):
    name: str
    size: int


class _Box(StrictModel):
    items: list[_Item]


def test_strict_model_rejects_unknown_keys_and_names_list_items() -> None:
    data = {"items": [{"name": "ok", "size": 1}, {"name": "big", "size": "x", "colour": 1}]}
    with pytest.raises(ValidationError) as info:
        _Box.model_validate(data)
    problems = validation_problems(info.value, data)
    assert "field 'items.1.colour' (name=big): unknown key" in problems
    assert any(p.startswith("field 'items.1.size' (name=big):") for p in problems)
    bracketed = validation_problems(info.value, data, prefix="box.", brackets=True)
    assert "field 'box.items[1].colour' (name=big): unknown key" in bracketed


def test_a_constraint_that_is_not_sql_names_the_expectation() -> None:
    conf = {"dlt": {"func_name": "orchestrate", "expectations": [
        {"name": "check_addition", "constraint": "result <"}]}}
    with pytest.raises(ConfigError) as info:
        load_dlt_config(conf)
    (problem,) = info.value.problems
    assert problem.startswith("dlt[0] (func_name=orchestrate): field 'expectations.0' "
                              "(name=check_addition):")
    assert "not a valid SQL boolean expression" in problem
