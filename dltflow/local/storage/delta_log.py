"""The first commit of a Delta table over Parquet files already in its folder.

Sail writes Delta itself. dltflow writes this one commit only where a checked write on a
session without ``Observation`` already holds the kept rows as Parquet files (staged
with their verdicts, see :mod:`dltflow.local.execution.checked_write`): moving them in
under a first commit costs no second Spark job. Only what the base protocol (reader 1,
writer 2) describes without table features is written this way: no ``timestamp_ntz``,
variant or void columns, no column names that would need column mapping. Anything else
is left to the engine's own Delta writer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

FIRST_COMMIT = "00000000000000000000.json"

_NEEDS_A_FEATURE = frozenset({"timestamp_ntz", "variant", "void"})
_NEEDS_COLUMN_MAPPING = frozenset(" ,;{}()\n\t=")


def describable(schema: Mapping[str, Any]) -> bool:
    """Whether the base protocol describes a table of ``schema`` (a struct's JSON, as
    ``StructType.jsonValue()`` gives it)."""
    return _plain(schema)


def _plain(kind: Any) -> bool:
    if isinstance(kind, str):
        return kind not in _NEEDS_A_FEATURE
    if kind["type"] == "struct":
        return all(not _NEEDS_COLUMN_MAPPING.intersection(field["name"])
                   and _plain(field["type"]) for field in kind["fields"])
    if kind["type"] == "array":
        return _plain(kind["elementType"])
    if kind["type"] == "map":
        return _plain(kind["keyType"]) and _plain(kind["valueType"])
    return _plain(kind["type"])  # a user-defined type: its SQL type decides


def write_first_commit(folder: Path, schema: Mapping[str, Any],
                       files: Sequence[tuple[str, int]]) -> None:
    """Make ``folder`` a Delta table of ``schema`` whose first version holds ``files``
    (names inside ``folder``, with their row counts), unpartitioned."""
    now = int(time.time() * 1000)
    actions: list[dict[str, Any]] = [
        {"commitInfo": {"timestamp": now, "operation": "WRITE",
                        "operationParameters": {"mode": "Overwrite", "partitionBy": "[]"},
                        "isBlindAppend": False, "engineInfo": "dltflow"}},
        {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
        {"metaData": {"id": str(uuid.uuid4()), "format": {"provider": "parquet", "options": {}},
                      "schemaString": json.dumps(schema, separators=(",", ":")),
                      "partitionColumns": [], "configuration": {}, "createdTime": now}},
    ]
    for name, rows in files:
        stat = (folder / name).stat()
        actions.append({"add": {"path": quote(name), "partitionValues": {}, "size": stat.st_size,
                                "modificationTime": int(stat.st_mtime * 1000),
                                "dataChange": True,
                                "stats": json.dumps({"numRecords": rows})}})
    log = folder / "_delta_log"
    log.mkdir()
    (log / FIRST_COMMIT).write_text("".join(json.dumps(a) + "\n" for a in actions),
                                    encoding="utf-8")
