"""Read one YAML or JSON file, with bounds: the only way dltflow parses a config file.

``dltflow.yml``, deployment files and pipeline configs (``conf/*.yml``) all come through
:func:`read_config_file`. A hostile or broken file fails fast with a :class:`ConfigError`
naming the file, instead of a traceback or minutes of work:

- non-text input (NUL bytes, invalid UTF-8) and files over :data:`MAX_BYTES`;
- YAML aliases beyond :data:`MAX_ALIASES`, or a document that would expand to more than
  :data:`MAX_NODES` values (a "billion laughs" file of a few hundred bytes);
- nesting deeper than :data:`MAX_DEPTH` (YAML and JSON), which would otherwise end in a
  ``RecursionError``.

The bounds are checked while the YAML node graph is composed, before any Python object
is built, so the cost is proportional to the file's size, never to its expansion.
This module sits low in the layer stack: it imports nothing of dltflow but
``exceptions``, so ``quality``, ``local`` and ``deploy`` may all use it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from dltflow.exceptions import ConfigError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "check_path_text",
           "parse_config_text", "read_config_file", "yaml_lines"]

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 200
MAX_NODES = 250_000

_BOUNDS_HINT = ("a config file is a small, plain mapping; write the values out instead of "
                "nesting anchors and aliases.")
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def read_config_file(path: str | Path, *, field: str = "path") -> Any:
    """Parse a YAML or JSON file (``.json`` is JSON, anything else YAML) within bounds.

    Args:
        path: the file.
        field: what the caller calls the path (``conf``, ``--deployment-file``), named
            when the path itself is unusable.

    Returns:
        The parsed document (mappings, lists, scalars); ``None`` for an empty file.

    Raises:
        ConfigError: the file cannot be read, is not text, is not valid YAML/JSON, or
            exceeds a bound (size, aliases, expansion, depth); names the file. A path
            with a NUL byte (which no file system accepts) names ``field``.
    """
    check_path_text(path, field=field)
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"cannot read the file: {err.strerror or err}", source=source,
                          hint="check the path (relative paths start at the current "
                               "directory).") from None
    return parse_config_text(data, source=source, fmt="json" if path.suffix == ".json"
                             else "yaml")


def check_path_text(path: str | Path, *, field: str = "path") -> None:
    """Refuse a path holding a NUL byte with a ConfigError instead of the ``ValueError``
    every OS call would raise; the path is shown escaped (``repr``) so the NUL is visible.

    Args:
        path: the path as given.
        field: what the caller calls it, for the message.

    Raises:
        ConfigError: the path contains a NUL byte.
    """
    text = str(path)
    if "\0" in text:
        raise ConfigError(f"field '{field}': the path {text!r} contains a NUL byte (\\x00)",
                          source=repr(text),
                          hint="no file name can hold a NUL byte; check how the path was "
                               "built (a value read from binary data or a C string).")


def parse_config_text(data: bytes | str, *, source: str, fmt: str = "yaml") -> Any:
    """Parse YAML or JSON text within the bounds of :func:`read_config_file`.

    Args:
        data: the file's bytes (or text).
        source: the file, for error messages.
        fmt: ``yaml`` or ``json``.

    Raises:
        ConfigError: as :func:`read_config_file`.
    """
    text = _as_text(data, source)
    if fmt == "json":
        _check_json_depth(text, source)
        try:
            return json.loads(text)
        except ValueError as err:
            raise ConfigError(f"not valid JSON: {err}", source=source) from None
    loader = _loader(text, source)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as err:
        if "maximum nesting depth" in str(err):
            # libyaml >= 0.2.5 stops at 1,000 open flow collections while it looks ahead,
            # before our composer sees them: the same bound, said the same way.
            raise _too_deep(source) from None
        raise ConfigError(f"not valid YAML: {err}", source=source) from None
    finally:
        loader.dispose()


def yaml_lines(data: bytes | str, *, source: str) -> dict[tuple[str | int, ...], int]:
    """The 1-based line of every mapping key and list item of a YAML document.

    Errors found after parsing (a bad field, an undefined reference) can then say where
    the value is, as the parser does for a syntax error. Keys are paths such as
    ``("resources", "pipelines", "etl", "libraries", 0)``; mapping keys as text. The same
    bounded composer as :func:`parse_config_text` builds the node graph, so a file that
    parsed is walked in time linear in its size (an aliased node is walked once).

    Args:
        data: the file's bytes (or text).
        source: the file, for error messages.

    Raises:
        ConfigError: as :func:`parse_config_text`.
    """
    loader = _loader(_as_text(data, source), source)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML: {err}", source=source) from None
    finally:
        loader.dispose()
    lines: dict[tuple[str | int, ...], int] = {}
    todo: list[tuple[Node, tuple[str | int, ...]]] = [(node, ())] if node is not None else []
    seen: set[int] = set()
    while todo:
        current, path = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, MappingNode):
            for key, value in current.value:
                child = (*path, str(key.value))
                lines.setdefault(child, key.start_mark.line + 1)
                todo.append((value, child))
        elif isinstance(current, SequenceNode):
            for i, item in enumerate(current.value):
                lines.setdefault((*path, i), item.start_mark.line + 1)
                todo.append((item, (*path, i)))
    return lines


def _as_text(data: bytes | str, source: str) -> str:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                          source=source, hint="a config file is a few kilobytes of text; "
                          "check that this is the file you meant.")
    if b"\0" in raw:
        raise ConfigError("not a text file (it contains NUL bytes)", source=source,
                          hint="give a YAML or JSON text file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"not a UTF-8 text file (invalid byte at offset {err.start})",
                          source=source, hint="save the file as UTF-8 text.") from None


def _check_json_depth(text: str, source: str) -> None:
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(source)
        elif token in "]}":
            depth -= 1


def _too_deep(source: str) -> ConfigError:
    return ConfigError(f"nesting is deeper than {MAX_DEPTH} levels", source=source,
                       hint=_BOUNDS_HINT)


def _expanded_size(node: Node, sizes: dict[int, tuple[int, int]], source: str,
                   depth: int = 1) -> tuple[int, int]:
    """How many values ``node`` becomes once every alias is expanded, and how deep.

    Memoized by node, so the work is linear in the file. An alias may put a deep anchor
    at a deep place, so the expanded depth is bounded too (which also bounds this
    recursion); an alias to its own ancestor has no finite expansion and is rejected.
    """
    if depth > MAX_DEPTH:
        raise _too_deep(source)
    known = sizes.get(id(node))
    if known is not None:
        if known[0] < 0:
            raise ConfigError("a YAML alias refers to a node that contains it",
                              source=source, hint=_BOUNDS_HINT)
        if depth + known[1] - 1 > MAX_DEPTH:
            raise _too_deep(source)
        return known
    sizes[id(node)] = (-1, 0)
    total, below = 1, 0
    if isinstance(node, SequenceNode):
        children: list[Node] = list(node.value)
    elif isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        size, height = _expanded_size(child, sizes, source, depth + 1)
        total, below = total + size, max(below, height)
        if total > MAX_NODES:
            raise ConfigError(f"more than {MAX_NODES:,} values once YAML aliases are "
                              "expanded",
                              source=source, hint=_BOUNDS_HINT)
    sizes[id(node)] = (total, below + 1)
    return sizes[id(node)]


class _BoundedComposer(Composer):
    """Counts aliases and depth while composing, and sizes each document's expansion
    before any Python object is built."""

    source: str
    _aliases: int
    _depth: int

    def _start_bounds(self, source: str) -> None:
        self.source = source
        self._aliases = 0
        self._depth = 0

    def compose_document(self) -> Node | None:
        node: Node | None = super().compose_document()
        if node is not None:
            _expanded_size(node, {}, self.source)
        return node

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise ConfigError(f"more than {MAX_ALIASES} YAML aliases (*name)",
                                  source=self.source, hint=_BOUNDS_HINT)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _too_deep(self.source)
            node: Node | None = super().compose_node(parent, index)
            return node
        finally:
            self._depth -= 1


class _PyLoader(Reader, Scanner, Parser, _BoundedComposer, SafeConstructor, Resolver):
    """The pure-Python loader, for when PyYAML was built without libyaml."""

    def __init__(self, text: str, source: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._start_bounds(source)

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # This scanner looks ahead over every open ``[``/``{`` (each may start a key), so
        # a deep flow collection is refused here, before that look-ahead grows.
        if self.flow_level >= MAX_DEPTH:
            raise _too_deep(self.source)
        super().fetch_flow_collection_start(token_class)


def _loader(text: str, source: str) -> Any:
    """libyaml's scanner and parser (fast) under our own composer, when available."""
    try:
        from yaml.cyaml import CParser as c_parser  # type: ignore[attr-defined]
    except ImportError:  # PyYAML built without libyaml
        return _PyLoader(text, source)

    class _CLoader(c_parser, _BoundedComposer, SafeConstructor, Resolver):
        get_single_node = Composer.get_single_node
        get_node = Composer.get_node
        check_node = Composer.check_node

    loader = _CLoader(text)
    Composer.__init__(loader)
    SafeConstructor.__init__(loader)
    Resolver.__init__(loader)
    loader._start_bounds(source)
    return loader
