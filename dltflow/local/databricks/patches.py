"""Every change dltflow makes to pyspark and the interpreter, in one table.

Code written for Databricks expects things a local Spark lacks: ``LIVE.x`` names,
Auto Loader's ``cloudFiles``, ``dbutils`` as a builtin, ``import dlt``, and Databricks'
``pyspark.pipelines`` (with ``expect*``, AUTO CDC and sinks). dltflow provides them by
replacing the attributes listed in :func:`_table` — only while a pipeline is being
defined or run (:func:`patched`), as pyspark's own ``block_session_mutations`` scopes its
changes — and puts back exactly what was there when the outermost block ends, so the
user's session classes and modules are as they were once ``run()`` returns.

The replacements themselves stay with the feature they emulate (:mod:`.live`,
:mod:`.autoloader`, :mod:`dltflow.local.streaming.standin`, :mod:`.dbutils`); each is
a no-op for anything that is not the pipeline's.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = ["MISSING", "Patch", "patched", "patches"]

MISSING: Any = object()
"""What an attribute is before a patch when it does not exist (and a replacement
returns to leave the attribute alone)."""


@dataclass(frozen=True)
class Patch:
    """One replaced attribute.

    Attributes:
        target: ``module:Object.attribute`` (``pyspark.sql.session:SparkSession.table``),
            ``module:attribute`` (``builtins:dbutils``), or ``sys.modules:name``.
        replace: the original value (or :data:`MISSING`) -> what stands in its place
            (:data:`MISSING`: leave it as it is).
        why: what Databricks code needs it for.
    """

    target: str
    replace: Callable[[Any], Any]
    why: str


_SESSIONS = ("pyspark.sql.session:SparkSession", "pyspark.sql.connect.session:SparkSession")
_READERS = ("pyspark.sql.readwriter:DataFrameReader",
            "pyspark.sql.connect.readwriter:DataFrameReader")
_STREAM_READERS = ("pyspark.sql.streaming.readwriter:DataStreamReader",
                   "pyspark.sql.connect.streaming.readwriter:DataStreamReader")


def _wrapping(wrap: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A replacement wrapping the original, leaving an attribute that does not exist."""
    return lambda original: MISSING if original is MISSING else wrap(original)


def patches() -> tuple[Patch, ...]:
    """The table: what is replaced, by what, and why (classic and Spark Connect)."""
    from dltflow.graph import api
    from dltflow.local.databricks import autoloader, dbutils, live
    from dltflow.local.streaming import standin

    rows: list[Patch] = []
    for session in _SESSIONS:
        rows += [
            Patch(f"{session}.table", _wrapping(partial(live.wrap_table, streaming=False)),
                  "spark.table('LIVE.x') and dataset names read the pipeline's dataset"),
            Patch(f"{session}.sql", _wrapping(live.wrap_sql),
                  "LIVE.x, STREAM(LIVE.x) and dataset names in spark.sql"),
            Patch(f"{session}.readStream", _wrapping(standin.wrap_read_stream),
                  "incremental reads: a micro-batch's streaming reads get its new files"),
        ]
    for reader in _READERS:
        rows += [
            Patch(f"{reader}.table", _wrapping(partial(live.wrap_table, streaming=False)),
                  "spark.read.table('LIVE.x')"),
            Patch(f"{reader}.format", _wrapping(partial(autoloader.wrap_format, streaming=False)),
                  "spark.read.format('cloudFiles') fails with Auto Loader's message"),
        ]
    for reader in _STREAM_READERS:
        rows += [
            Patch(f"{reader}.table", _wrapping(partial(live.wrap_table, streaming=True)),
                  "spark.readStream.table('LIVE.x')"),
            Patch(f"{reader}.format", _wrapping(partial(autoloader.wrap_format, streaming=True)),
                  "spark.readStream.format('cloudFiles'): the local Auto Loader"),
        ]
    rows += [
        Patch("builtins:dbutils", lambda old: dbutils.dbutils if old is MISSING else MISSING,
              "dbutils.widgets / fs / secrets in pipeline code (unless already defined)"),
        Patch("sys.modules:dlt", lambda _: api, "import dlt"),
        Patch("sys.modules:pyspark.pipelines", lambda _: api,
              "from pyspark import pipelines as dp, with Databricks' additions"),
        Patch("pyspark:pipelines", lambda _: api, "pyspark.pipelines after import pyspark"),
    ]
    return tuple(rows)


_lock = threading.RLock()
_depth = 0
_saved: list[tuple[Any, str, Any]] = []
"""(owner, name, what it held) for every replacement in place, in installation order."""


@contextmanager
def patched() -> Iterator[None]:
    """The table's replacements are in place inside the block (blocks nest: the
    outermost one installs them and removes them)."""
    global _depth
    with _lock:
        if _depth == 0:
            _install()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _remove()


def _install() -> None:
    try:
        for patch in patches():
            owner, name = _owner(patch.target)
            if owner is None:
                continue  # e.g. Spark Connect's client without its dependencies
            held = _held(owner, name)
            current = owner.get(name, MISSING) if isinstance(owner, dict) \
                else getattr(owner, name, MISSING)
            replacement = patch.replace(current)
            if replacement is MISSING:
                continue
            _saved.append((owner, name, held))
            _set(owner, name, replacement)
    except BaseException:
        _remove()
        raise


def _remove() -> None:
    while _saved:
        owner, name, held = _saved.pop()
        if held is MISSING:
            if isinstance(owner, dict):
                owner.pop(name, None)
            elif name in vars(owner):
                delattr(owner, name)
        else:
            _set(owner, name, held)


def _owner(target: str) -> tuple[Any, str]:
    """The object holding the target attribute (a dict for ``sys.modules``), or None."""
    module_name, _, path = target.partition(":")
    if module_name == "sys.modules":
        return sys.modules, path
    try:
        owner: Any = importlib.import_module(module_name)
    except ImportError:
        return None, path
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def _held(owner: Any, name: str) -> Any:
    """What ``owner`` itself holds under ``name`` (not what it inherits): what to restore."""
    if isinstance(owner, dict):
        return owner.get(name, MISSING)
    return vars(owner).get(name, MISSING)


def _set(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, dict):
        owner[name] = value
    else:
        setattr(owner, name, value)
