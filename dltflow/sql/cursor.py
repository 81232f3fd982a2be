"""A cursor over the tokens of one statement, for the pipeline DDL grammar.

Tokens come from sqlglot's Databricks tokenizer, so strings, backticked names, comments
and operators are lexed exactly as in the queries the statements wrap. Words are
compared case-insensitively by their text, never by sqlglot's token types (which call
some pipeline words keywords and others not).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dltflow.sql.errors import StatementError

if TYPE_CHECKING:
    from sqlglot import Token

__all__ = ["Cursor", "is_symbol", "is_word", "tokenize"]

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPEN, _CLOSE = "(", ")"


def tokenize(text: str, line: int) -> list[Token]:
    """The tokens of ``text`` (a statement starting on file line ``line``).

    sqlglot lexes some word pairs as one token (``PARTITIONED BY``, ``PRIMARY KEY``);
    they are split back into words, so the grammar matches words one by one.
    """
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        tokens = sqlglot.tokenize(text, read="databricks")
    except TokenError as err:
        raise StatementError(f"cannot read the statement: {err}", line) from None
    return [part for token in tokens for part in _words(token, text)]


def _words(token: Token, text: str) -> list[Token]:
    from sqlglot import Token, TokenType

    written = text[token.start:token.end + 1]
    if _quoted(token) or " " not in token.text:
        return [token]
    return [Token(TokenType.VAR, m.group(0), token.line + written.count("\n", 0, m.start()),
                  token.col, token.start + m.start(), token.start + m.end() - 1)
            for m in _WORD.finditer(written)]


def _quoted(token: Token) -> bool:
    return token.token_type.name in ("STRING", "IDENTIFIER", "NATIONAL_STRING", "RAW_STRING")


def is_word(token: Token | None, *words: str) -> bool:
    """Whether ``token`` is an unquoted word, one of ``words`` (any when none given)."""
    if token is None or _quoted(token) or not _PLAIN.match(token.text):
        return False
    return not words or token.text.upper() in words


def is_symbol(token: Token | None, symbol: str) -> bool:
    """Whether ``token`` is the unquoted symbol ``symbol`` (``(``, ``,``, ``=``, ...)."""
    return token is not None and not _quoted(token) and token.text == symbol


def _name_part(token: Token) -> str:
    """A name part as DLT writes it: bare when plain, else backticked."""
    if token.token_type.name == "IDENTIFIER" and not _PLAIN.match(token.text):
        return f"`{token.text}`"
    return token.text


class Cursor:
    """Reads one statement's tokens left to right.

    Args:
        tokens: the statement's tokens.
        text: the statement's text (positions of the tokens point into it).
        line: the file line of ``text``'s first character.
    """

    def __init__(self, tokens: Sequence[Token], text: str, line: int) -> None:
        self.tokens = list(tokens)
        self.text = text
        self.base_line = line
        self.i = 0

    def peek(self, ahead: int = 0) -> Token | None:
        """The token ``ahead`` positions on, or None past the end."""
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def done(self) -> bool:
        """Whether every token was read."""
        return self.i >= len(self.tokens)

    def line(self, token: Token | None = None) -> int:
        """The file line of ``token`` (default: the next one, else the last)."""
        token = token or self.peek() or (self.tokens[-1] if self.tokens else None)
        return self.base_line + (token.line - 1 if token is not None else 0)

    def fail(self, message: str, token: Token | None = None) -> StatementError:
        """An error at ``token`` (default: the next one), for the caller to raise."""
        return StatementError(message, self.line(token))

    def shown(self) -> str:
        """The next token as the user wrote it, for messages."""
        token = self.peek()
        return "the end of the statement" if token is None else \
            repr(self.text[token.start:token.end + 1])

    def at(self, *words: str) -> bool:
        """Whether the next tokens are these words."""
        return all(is_word(self.peek(k), w) for k, w in enumerate(words))

    def at_symbol(self, symbol: str) -> bool:
        """Whether the next token is ``symbol`` (``(``, ``,``, ``=``, ...)."""
        return is_symbol(self.peek(), symbol)

    def accept(self, *words: str) -> bool:
        """Consume these words when they come next."""
        if not self.at(*words):
            return False
        self.i += len(words)
        return True

    def accept_symbol(self, symbol: str) -> bool:
        """Consume ``symbol`` when it comes next."""
        if not self.at_symbol(symbol):
            return False
        self.i += 1
        return True

    def expect(self, *words: str, after: str = "") -> None:
        """Consume these words, or fail naming what came instead."""
        if not self.accept(*words):
            where = f" after {after}" if after else ""
            raise self.fail(f"expected {' '.join(words)}{where}, found {self.shown()}")

    def expect_symbol(self, symbol: str, after: str = "") -> None:
        """Consume ``symbol``, or fail naming what came instead."""
        if not self.accept_symbol(symbol):
            where = f" after {after}" if after else ""
            raise self.fail(f"expected '{symbol}'{where}, found {self.shown()}")

    def word(self, what: str) -> str:
        """Consume one unquoted word."""
        token = self.peek()
        if not is_word(token):
            raise self.fail(f"expected {what}, found {self.shown()}")
        self.i += 1
        assert token is not None
        return token.text

    def string(self, what: str) -> str:
        """Consume a string literal and return its value."""
        token = self.peek()
        if token is None or token.token_type.name not in ("STRING", "RAW_STRING"):
            raise self.fail(f"expected {what} as a quoted string, found {self.shown()}")
        self.i += 1
        return token.text

    def name(self, what: str) -> tuple[str, bool]:
        """Consume a dotted name; returns it without a ``LIVE.`` prefix, and whether
        it had one."""
        parts = [self._part(what)]
        while self.at_symbol(".") and self.peek(1) is not None:
            self.i += 1
            parts.append(self._part(what))
        live = len(parts) > 1 and parts[0].upper() == "LIVE"
        return ".".join(parts[1:] if live else parts), live

    def _part(self, what: str) -> str:
        token = self.peek()
        if token is None or not (is_word(token) or token.token_type.name == "IDENTIFIER"):
            raise self.fail(f"expected {what}, found {self.shown()}")
        self.i += 1
        return _name_part(token)

    def names(self, what: str) -> tuple[str, ...]:
        """``(a, b, ...)``, or ``a, b, ...`` without parentheses."""
        if self.accept_symbol(_OPEN):
            found = [self.name(what)[0]]
            while self.accept_symbol(","):
                found.append(self.name(what)[0])
            self.expect_symbol(_CLOSE, after=f"the {what}s")
            return tuple(found)
        found = [self.name(what)[0]]
        while self.accept_symbol(","):
            found.append(self.name(what)[0])
        return tuple(found)

    def closing(self, start: int) -> int:
        """The index of the token closing the parenthesis at ``start``."""
        depth = 0
        for j in range(start, len(self.tokens)):
            token = self.tokens[j]
            depth += is_symbol(token, _OPEN) - is_symbol(token, _CLOSE)
            if depth == 0:
                return j
        raise self.fail("a '(' is never closed", self.tokens[start])

    def parenthesized(self, what: str) -> str:
        """Consume ``( ... )`` and return the text inside, as written."""
        if not self.at_symbol(_OPEN):
            raise self.fail(f"expected ({what}), found {self.shown()}")
        end = self.closing(self.i)
        inner = self.span(self.i + 1, end)
        self.i = end + 1
        if not inner.strip():
            raise self.fail(f"{what} is empty", self.tokens[end])
        return inner

    def span(self, first: int, stop: int) -> str:
        """The text of tokens ``first`` up to (not including) ``stop``."""
        if first >= stop:
            return ""
        return self.text[self.tokens[first].start:self.tokens[stop - 1].end + 1]

    def text_until(self, stops: Sequence[tuple[str, ...]], what: str) -> str:
        """Consume tokens up to one of the word sequences ``stops`` (outside
        parentheses) or the end; returns their text."""
        first, depth = self.i, 0
        while not self.done():
            if depth == 0 and any(self.at(*stop) for stop in stops):
                break
            token = self.tokens[self.i]
            depth += is_symbol(token, _OPEN) - is_symbol(token, _CLOSE)
            self.i += 1
        if first == self.i:
            raise self.fail(f"expected {what}, found {self.shown()}")
        return self.span(first, self.i)

    def end(self, what: str) -> None:
        """Fail unless every token was read."""
        if not self.done():
            raise self.fail(f"unexpected {self.shown()} after {what}")
