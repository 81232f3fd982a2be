"""The files of a streaming source: a folder (or glob) of files, a Delta table's live
files from its log; and the reader options of dltflow's own that filter them."""

from __future__ import annotations

import fnmatch
import glob
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["FILE_PATH", "NEWER_THAN", "data_files", "delta_files", "option_text",
           "option_value", "source_files"]

NEWER_THAN = "dltflow.newerThanMs"
"""A reader option of dltflow's own: only files modified after this instant (ms) are
new (Auto Loader's ``includeExistingFiles=false``)."""
FILE_PATH = "dltflow.filePathColumn"
"""A reader option of dltflow's own: add a column of this name holding each row's
file, on sessions without ``_metadata`` columns (Sail)."""
_HIDDEN = ("_", ".")


def data_files(root: Path) -> list[tuple[str, float]]:
    """The files Spark would read under ``root`` (none hidden, at any level), with
    their modification times."""
    found: list[tuple[str, float]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith(_HIDDEN)]
        for name in names:
            if not name.startswith(_HIDDEN):
                path = os.path.join(folder, name)
                found.append((path, os.path.getmtime(path)))
    return found


def source_files(path: str, options: Mapping[str, str]) -> list[tuple[str, float]]:
    """The files of a file source: ``path`` (a file, a folder or a glob), filtered by
    ``pathGlobFilter`` and dltflow's ``newerThan``."""
    roots = glob.glob(path) if glob.has_magic(path) else [path]
    found: list[tuple[str, float]] = []
    for root in roots:
        if os.path.isdir(root):
            found += data_files(Path(root))
        elif os.path.isfile(root):
            found.append((os.path.abspath(root), os.path.getmtime(root)))
    pattern = option_value(options, "pathGlobFilter")
    if pattern:
        found = [f for f in found if fnmatch.fnmatch(os.path.basename(f[0]), pattern)]
    newer = option_value(options, NEWER_THAN)
    if newer:
        found = [f for f in found if f[1] * 1000 > float(newer)]
    return found


def delta_files(table: Path, spark: SparkSession) -> list[tuple[str, float]]:
    """The live data files of a Delta table, from its log (its JSON commits, after the
    last checkpoint when the early commits were cleaned up)."""
    log = table / "_delta_log"
    live: dict[str, float] = {}
    start = 0
    if not (log / f"{0:020d}.json").exists() and (log / "_last_checkpoint").exists():
        version = int(json.loads((log / "_last_checkpoint").read_text(encoding="utf-8"))
                      ["version"])
        parts = [str(p) for p in log.glob(f"{version:020d}.checkpoint*.parquet")]
        rows = (spark.read.parquet(*parts).where("add IS NOT NULL")
                .select("add.path", "add.modificationTime").collect())
        live = {row[0]: row[1] / 1000 for row in rows}
        start = version + 1
    for entry in sorted(log.glob("*.json")):
        if not entry.stem.isdigit() or int(entry.stem) < start:
            continue
        for line in entry.read_text(encoding="utf-8").splitlines():
            action = json.loads(line) if line.strip() else {}
            if "add" in action:
                live[action["add"]["path"]] = action["add"].get("modificationTime", 0) / 1000
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return [(_delta_path(table, path), modified) for path, modified in live.items()]


def _delta_path(table: Path, path: str) -> str:
    parsed = urlparse(path)
    if parsed.scheme:
        return unquote(parsed.path)
    return str(table / unquote(path))


def option_text(value: Any) -> str:
    """A reader option's value as Spark takes it (``True`` is ``"true"``)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def option_value(options: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in options.items() if k.lower() == lowered), None)
