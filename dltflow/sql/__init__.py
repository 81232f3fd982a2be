"""Pipeline SQL files (``.sql``): Databricks' pipeline SQL declared to the graph registry.

Example:
    >>> from dltflow.local import run
    >>> from dltflow.sql import declare_file
    >>> run(lambda: declare_file("pipelines/orders.sql", spark=spark,
    ...                          configuration={"landing": "./data"}), spark=spark)

``declare_file(path, *, spark=None, configuration=None)`` and
``declare_text(text, filename, ...)`` parse every statement first (a file that does not
parse raises :class:`SqlParseError` and declares nothing), then register each dataset
and flow with the active registry; ``elements(text, filename, ...)`` returns them
without registering; ``parse_text`` returns the statement records.
"""

from __future__ import annotations

from dltflow.sql.declare import declare_file, declare_text, elements
from dltflow.sql.errors import SqlParseError, SqlProblem
from dltflow.sql.parser import parse_text
from dltflow.sql.rewrite import quiet_sqlglot

__all__ = ["SqlParseError", "SqlProblem", "declare_file", "declare_text", "elements",
           "parse_text", "quiet_sqlglot"]
