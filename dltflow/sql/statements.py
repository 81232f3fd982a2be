"""The statements of a pipeline SQL file, as frozen records of what was written.

Parsing produces these; nothing here touches Spark or a registry.
:mod:`dltflow.sql.declare` turns them into graph elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dltflow.graph.elements import ExpectationSpec

__all__ = [
    "AutoCdc", "ColumnSpec", "CreateDataset", "CreateFlow", "DatasetKind", "DatasetRead",
    "FileRead", "Piece", "Query", "SetConf", "Statement",
]

DatasetKind = Literal["streaming_table", "materialized_view", "view"]


@dataclass(frozen=True)
class DatasetRead:
    """``STREAM(x)`` / ``STREAM x`` / ``STREAM(LIVE.x)`` in a query: a streaming read.

    Args:
        name: the table as written, without a ``LIVE.`` prefix.
        live: it had the ``LIVE.`` prefix, so it must be a dataset of this pipeline.
    """

    name: str
    live: bool = False


@dataclass(frozen=True)
class FileRead:
    """``read_files(...)`` or ``cloud_files(...)`` in a query.

    Args:
        function: ``read_files`` or ``cloud_files``.
        path: the files' location.
        format: the file format (json, csv, ...), or None when not given.
        options: the other options, in the order written.
        streaming: a stream (``STREAM read_files``, and ``cloud_files`` always).
    """

    function: str
    path: str
    format: str | None
    options: tuple[tuple[str, str], ...] = ()
    streaming: bool = False


Piece = str | DatasetRead | FileRead
"""A part of a query: its own SQL text, or a read that is replaced when it runs."""


@dataclass(frozen=True)
class Query:
    """A query of a dataset or flow, split around the reads dltflow must provide.

    Args:
        pieces: SQL text and reads, in order; joined they give the query.
        line: the file line the query starts on.
    """

    pieces: tuple[Piece, ...]
    line: int

    @property
    def reads(self) -> tuple[DatasetRead | FileRead, ...]:
        """The reads, in order."""
        return tuple(p for p in self.pieces if not isinstance(p, str))


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a column list.

    Args:
        name: the column's name.
        type: its SQL type as written (None in a view's column list).
        not_null: declared ``NOT NULL``.
        comment: its ``COMMENT``.
    """

    name: str
    type: str | None = None
    not_null: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class AutoCdc:
    """``AUTO CDC INTO`` / ``APPLY CHANGES INTO`` (or a table's ``FLOW AUTO CDC``).

    Args mirror :class:`~dltflow.graph.elements.ApplyChangesFlow`; conditions and the
    sequencing expression are SQL text. ``name`` is None when the flow is unnamed
    (``APPLY CHANGES INTO`` names it after its target).
    """

    target: str
    source: str
    keys: tuple[str, ...]
    sequence_by: str
    line: int
    name: str | None = None
    where: str | None = None
    ignore_null_updates: bool = False
    apply_as_deletes: str | None = None
    apply_as_truncates: str | None = None
    column_list: tuple[str, ...] | None = None
    except_column_list: tuple[str, ...] | None = None
    stored_as_scd_type: int = 1
    track_history_column_list: tuple[str, ...] | None = None
    track_history_except_column_list: tuple[str, ...] | None = None
    once: bool = False


@dataclass(frozen=True)
class CreateFlow:
    """``CREATE FLOW f AS INSERT INTO [ONCE] t BY NAME query`` (or a table's
    ``FLOW INSERT [ONCE] BY NAME query``)."""

    name: str
    target: str
    query: Query
    line: int
    once: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class CreateDataset:
    """``CREATE ... STREAMING TABLE``, ``MATERIALIZED VIEW``, ``VIEW`` and legacy forms.

    Args:
        kind: what it declares.
        name: the dataset's name, without a ``LIVE.`` prefix.
        line: the file line of the statement.
        query: its ``AS`` query; None for a streaming table written by flows.
        columns: the column list (names, types, comments).
        expectations: its ``CONSTRAINT ... EXPECT`` clauses.
        private: ``PRIVATE`` / ``TEMPORARY`` (not published to the catalog).
        comment, partition_cols, cluster_by, table_properties, path, format, row_filter,
        cluster_by_auto: the table clauses.
        flow: an inline ``FLOW INSERT ...`` or ``FLOW AUTO CDC ...`` clause.
    """

    kind: DatasetKind
    name: str
    line: int
    query: Query | None = None
    columns: tuple[ColumnSpec, ...] = ()
    expectations: tuple[ExpectationSpec, ...] = ()
    private: bool = False
    comment: str | None = None
    partition_cols: tuple[str, ...] = ()
    cluster_by: tuple[str, ...] = ()
    cluster_by_auto: bool = False
    table_properties: tuple[tuple[str, str], ...] = ()
    path: str | None = None
    format: str | None = None
    row_filter: str | None = None
    flow: CreateFlow | AutoCdc | None = field(default=None)


@dataclass(frozen=True)
class SetConf:
    """``SET key = value``: a Spark setting for the statements after it in the file."""

    key: str
    value: str
    line: int


Statement = CreateDataset | CreateFlow | AutoCdc | SetConf
