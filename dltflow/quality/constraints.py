"""Static check that an expectation's constraint is a SQL boolean expression.

Done with sqlglot's Spark dialect so configs are validated before any Spark session
exists (``dltflow deploy`` never starts one). Column types are unknown here, so a bare
column or function call is accepted; what can never be boolean (a number, a string, a
sum) is not.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

_NEVER_BOOLEAN = (exp.Literal, exp.Binary, exp.Neg, exp.Star, exp.Select, exp.Alias)
_BOOLEAN = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean)


def constraint_problem(constraint: str) -> str | None:
    """Why ``constraint`` is not a valid SQL boolean expression, or None when it is."""
    if not isinstance(constraint, str) or not constraint.strip():
        return "it is empty"
    return _parse_problem(constraint)


@lru_cache(maxsize=8192)
def _parse_problem(constraint: str) -> str | None:
    """Parsing is the cost of validating a config; big configs repeat their constraints
    (one rule on many datasets), so each distinct text is parsed once."""
    try:
        tree = sqlglot.parse_one(constraint, read="spark")
    except Exception as err:  # sqlglot raises several error types; all mean "unparsable"
        return str(err).splitlines()[0] if str(err) else type(err).__name__
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, _BOOLEAN):
        return None
    if isinstance(tree, _NEVER_BOOLEAN):
        return f"'{tree.sql(dialect='spark')}' is a value, not a condition"
    return None
