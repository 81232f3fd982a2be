"""Which schemas dltflow describes in a first Delta commit of its own, and that commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dltflow.local.storage import delta_log


def _struct(*fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "struct", "fields": [{"name": name, "type": kind, "nullable": True,
                                          "metadata": {}} for name, kind in fields]}


@pytest.mark.parametrize(("schema", "plain"), [
    (_struct(("id", "long"), ("label", "string"), ("at", "timestamp"),
             ("price", "decimal(10,2)")), True),
    (_struct(("tags", {"type": "array", "elementType": "string", "containsNull": True}),
             ("attrs", {"type": "map", "keyType": "string",
                        "valueType": _struct(("x", "double")), "valueContainsNull": True})),
     True),
    (_struct(("at", "timestamp_ntz")), False),
    (_struct(("nested", _struct(("at", "timestamp_ntz")))), False),
    (_struct(("v", {"type": "array", "elementType": "variant", "containsNull": True})), False),
    (_struct(("nothing", "void")), False),
    (_struct(("order id", "long")), False),  # a space needs column mapping
    (_struct(("a=b", "long")), False),
])
def test_only_what_the_base_protocol_describes_is_plain(schema: dict[str, Any],
                                                        plain: bool) -> None:
    assert delta_log.describable(schema) is plain


def test_the_first_commit_adds_each_file_with_its_rows(tmp_path: Path) -> None:
    (tmp_path / "kept0-a.parquet").write_bytes(b"1234")
    (tmp_path / "kept1-b c.parquet").write_bytes(b"123456")
    schema = _struct(("id", "long"))
    delta_log.write_first_commit(tmp_path, schema, [("kept0-a.parquet", 3),
                                                    ("kept1-b c.parquet", 4)])
    actions = [json.loads(line) for line in
               (tmp_path / "_delta_log" / delta_log.FIRST_COMMIT).read_text().splitlines()]
    assert [next(iter(a)) for a in actions] == ["commitInfo", "protocol", "metaData", "add", "add"]
    assert actions[1]["protocol"] == {"minReaderVersion": 1, "minWriterVersion": 2}
    assert json.loads(actions[2]["metaData"]["schemaString"]) == schema
    assert [(a["add"]["path"], a["add"]["size"], json.loads(a["add"]["stats"])["numRecords"])
            for a in actions[3:]] == [("kept0-a.parquet", 4, 3), ("kept1-b%20c.parquet", 6, 4)]
