"""The error of a pipeline SQL file that does not parse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dltflow.exceptions import ConfigError

__all__ = ["SqlParseError", "SqlProblem", "StatementError"]

_HINT = ("dltflow reads Databricks' pipeline SQL: CREATE [OR REFRESH] [PRIVATE] STREAMING "
         "TABLE | MATERIALIZED VIEW, CREATE TEMPORARY VIEW, CREATE FLOW ... AS INSERT INTO "
         "... BY NAME, AUTO CDC INTO / APPLY CHANGES INTO, SET key = value; statements end "
         "with ';'.")


@dataclass(frozen=True)
class SqlProblem:
    """One statement that does not parse.

    Args:
        statement_line: the file line the statement starts on.
        line: the file line of the offending text (the statement's when unknown).
        message: what the parser found.
    """

    statement_line: int
    line: int
    message: str

    def __str__(self) -> str:
        inside = "" if self.line == self.statement_line else \
            f" (in the statement at line {self.statement_line})"
        return f"line {self.line}{inside}: {self.message}"


class StatementError(Exception):
    """Raised inside the parser for one statement; collected into :class:`SqlParseError`.

    Args:
        message: what is wrong.
        line: the file line of the offending text, when known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class SqlParseError(ConfigError):
    """A pipeline SQL file has statements that do not parse; nothing was declared.

    Args:
        filename: the file.
        errors: one entry per statement that does not parse, in file order.

    Attributes:
        line: the line of the first statement that does not parse.
    """

    def __init__(self, filename: str, errors: Sequence[SqlProblem]) -> None:
        self.filename = filename
        self.errors = list(errors)
        self.line = self.errors[0].statement_line
        super().__init__([str(e) for e in self.errors], source=filename, hint=_HINT)
