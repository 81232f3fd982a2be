"""Dataset and flow names: DLT's forms are accepted, anything path-like is refused."""

from __future__ import annotations

import pytest

from dltflow.exceptions import ConfigError, InvalidNameError
from dltflow.graph.names import validate_name, validate_name_part

BAD_NAMES = [
    "", "..", "../../victim", "a/b", "/abs/path", "a\\b", "C:\\x", "a\x00b", "a\nb", "a\tb",
    "a..b", ".a", "a.", "a b", "`a/b`", "`..`", "`a\x01`", "a.b.c.d", "x" * 256, "`a``b`",
    "a-b", "a;drop", "`a`b",
]
GOOD_NAMES = ["orders", "sales.orders", "main.sales.orders", "`my-table`", "`a-b`.`c-d`",
              "x" * 255, "Ünïcode_1", "_private"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_path_like_or_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        validate_name(name, role="dataset", location="p.py:3")
    assert isinstance(info.value, ConfigError)
    assert info.value.name == name and info.value.location == "p.py:3"
    assert "catalog.schema.name" in str(info.value)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_dlt_forms_are_accepted(name: str) -> None:
    assert validate_name(name) == name


def test_non_strings_are_refused() -> None:
    with pytest.raises(InvalidNameError, match="not a string"):
        validate_name(None)


def test_a_schema_is_one_part() -> None:
    assert validate_name_part("bronze") == "bronze"
    for bad in ("a.b", "../../x", ""):
        with pytest.raises(InvalidNameError):
            validate_name_part(bad, role="schema")
