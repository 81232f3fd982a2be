"""The `dlt:` config: the original format, its aliases, and every error case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dltflow.quality import ConfigError, DLTConfig, DLTConfigs, DLTException, load_dlt_config

ORIGINAL = {
    "reader": {"path": "somewhere"},
    "dlt": [
        {
            "func_name": "orchestrate",
            "kind": "table",
            "expectation_action": "drop",
            "expectations": [{"name": "check_age", "constraint": "age between 10 and 100"}],
            "write_opts": {"name": "people", "partition_cols": ["country"]},
            "is_streaming_table": False,
        },
        {
            "func_name": "changes",
            "kind": "table",
            "is_streaming": True,
            "apply_changes_config": {
                "target": "people_scd", "source": "people_changes", "keys": ["id"],
                "sequence_by": "msg_id", "stored_as_scd_type": 2,
                "apply_as_deletes": "op = 'DELETE'", "except_column_list": ["op"],
            },
        },
        {"func_name": "events", "append_config": {"target": "t", "name": "f", "comment": "c",
                                                  "once": False}},
    ],
}


def test_original_format_is_accepted_unchanged() -> None:
    config = load_dlt_config(ORIGINAL)
    first, second, third = config.dlt
    assert first.dataset_name == "people"
    assert first.action_of(first.expectations[0]) == "drop"
    assert second.is_streaming_table is True
    assert second.apply_chg_config is not None and second.apply_chg_config.target == "people_scd"
    assert third.append_config is not None and third.append_config.name == "f"
    assert third.kind == "table" and third.expectation_action == "allow"
    assert config.model_extra == {"reader": {"path": "somewhere"}}


def test_a_single_entry_need_not_be_a_list() -> None:
    config = load_dlt_config({"dlt": {"func_name": "orchestrate"}})
    assert [e.func_name for e in config.dlt] == ["orchestrate"]


def test_per_expectation_action_overrides_the_entry_default() -> None:
    entry = DLTConfig.model_validate({
        "func_name": "f", "expectation_action": "drop",
        "expectations": [{"name": "a", "constraint": "x > 0"},
                         {"name": "b", "constraint": "x < 9", "action": "fail"}]})
    assert [entry.action_of(e) for e in entry.expectations] == ["drop", "fail"]


@pytest.mark.parametrize("suffix", [".yml", ".json"])
def test_loads_yaml_and_json_files(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"pipeline{suffix}"
    path.write_text(json.dumps(ORIGINAL) if suffix == ".json" else yaml.safe_dump(ORIGINAL))
    assert len(load_dlt_config(path).dlt) == 3
    assert len(load_dlt_config(str(path)).dlt) == 3


def test_loads_a_pydantic_model() -> None:
    class UserConf(BaseModel):
        dlt: list[dict]  # type: ignore[type-arg]

    assert load_dlt_config(UserConf(dlt=[{"func_name": "f"}])).dlt[0].func_name == "f"


def _error(config: object, source: str | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_dlt_config(config, source=source)
    assert isinstance(info.value, DLTException)
    return info.value


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({"func_name": "f", "colour": "red"}, "colour", "unknown key"),
        ({"func_name": "f", "write_opts": {"nmae": "x"}}, "write_opts.nmae", "unknown key"),
        ({"func_name": "f", "kind": "cube"}, "kind", "table"),
        ({"func_name": "f", "expectation_action": "explode"}, "expectation_action", "allow"),
        ({"func_name": "f", "expectations": [{"name": "a", "constraint": "x > 0",
                                               "action": "warn"}]},
         "expectations.0.action", "allow"),
        ({"kind": "table"}, "func_name", "Field required"),
        ({"func_name": "f", "append_config": {"target": "t"},
          "apply_chg_config": {"target": "t", "keys": ["id"], "sequence_by": "s"}},
         None, "cannot be used together"),
        ({"func_name": "f", "kind": "view", "is_streaming_table": True}, None, "kind 'view'"),
        ({"func_name": "f", "kind": "view", "append_config": {"target": "t"}}, None, "view"),
        ({"func_name": "f", "expectations": [{"name": "a", "constraint": "age >"}]},
         "expectations.0", "not a valid SQL boolean expression"),
        ({"func_name": "f", "expectations": [{"name": "a", "constraint": "1 + 2"}]},
         "expectations.0", "not a condition"),
        ({"func_name": "f", "expectations": [{"name": "a", "constraint": "'text'"}]},
         "expectations.0", "not a condition"),
    ],
)
def test_each_bad_entry_is_one_clear_error(entry: dict, field: str | None, words: str) -> None:  # type: ignore[type-arg]
    error = _error({"dlt": [{"func_name": "ok"}, entry]}, source="conf/p.yml")
    assert error.source == "conf/p.yml"
    text = str(error)
    assert "conf/p.yml" in text and "dlt[1]" in text and words in text
    if field:
        assert f"field '{field}'" in text
    assert error.hint


def test_entry_is_named_by_func_name() -> None:
    error = _error({"dlt": [{"func_name": "orchestrate", "kind": "cube"}]})
    assert "dlt[0] (func_name=orchestrate)" in str(error)


def test_two_entries_for_one_method() -> None:
    error = _error({"dlt": [{"func_name": "f"}, {"func_name": "f", "kind": "view"}]})
    assert "two entries for one method" in str(error) and "'f'" in str(error)


def test_two_entries_for_one_dataset_name() -> None:
    error = _error({"dlt": [{"func_name": "f", "write_opts": {"name": "t"}},
                            {"func_name": "g", "write_opts": {"name": "t"}}]})
    assert "two entries for one dataset" in str(error)


def test_missing_dlt_section() -> None:
    assert "no 'dlt' section" in str(_error({"reader": {}}))


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    assert "cannot read" in str(_error(tmp_path / "missing.yml"))
    bad = tmp_path / "bad.yml"
    bad.write_text("dlt: [unclosed\n")
    error = _error(bad)
    assert error.source == str(bad) and "not valid YAML" in str(error)


def test_valid_constraints_are_accepted() -> None:
    good = ["age between 10 and 100", "x IS NOT NULL AND y > 0", "NOT flag", "is_valid",
            "country IN ('NL', 'BE')", "name LIKE 'a%'", "(a > 1) OR (b < 2)",
            "coalesce(x, 0) >= 0", "true"]
    config = load_dlt_config({"dlt": {"func_name": "f", "expectations": [
        {"name": f"e{i}", "constraint": c} for i, c in enumerate(good)]}})
    assert len(config.dlt[0].expectations) == len(good)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["dlt", "func_name", "kind", "expectations", "name",
                                       "constraint", "action", "write_opts", "append_config",
                                       "apply_chg_config", "target", "keys", "sequence_by",
                                       "expectation_action", "is_streaming"])
                      | st.text(max_size=5) | st.integers(),
                      children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.just("dlt"), _json, min_size=0, max_size=1) | _json)
def test_arbitrary_input_only_ever_raises_config_error(data: object) -> None:
    try:
        result = load_dlt_config(data)
    except ConfigError:
        return
    assert isinstance(result, DLTConfigs)


def test_validation_is_linear_in_the_number_of_entries() -> None:
    """200,000 entries validate in seconds; the duplicate checks were quadratic and this
    took over 400 s (no timing assertion: a regression shows as a stalled suite)."""
    entries = [{"func_name": f"f{i}", "expectations": [{"name": "a", "constraint": "x > 1"}]}
               for i in range(200_000)]
    assert len(load_dlt_config({"dlt": entries}).dlt) == 200_000
    entries.append({"func_name": "f7"})
    with pytest.raises(ConfigError, match="two entries for one method"):
        load_dlt_config({"dlt": entries})
