"""The files of a Databricks Asset Bundle: ``databricks.yml`` and what it ``include:``\\ s.

Every file is parsed by :func:`dltflow.configfile.read_config_file` (bounded, never the
Databricks CLI). Each keeps where it came from, so an error found later, while merging
or substituting, names the file, the key path (``a.b[0].c``) and the line.
"""

from __future__ import annotations

import glob as _glob
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dltflow.configfile import check_path_text, read_config_file, yaml_lines
from dltflow.exceptions import ConfigError

__all__ = ["BUNDLE_FILES", "BundleError", "BundleFiles", "KeyPath", "SourceFile", "Warnings",
           "dotted", "find_bundle_file", "load_bundle_files"]

#: The names the Databricks CLI accepts for a bundle's root file, in its order.
BUNDLE_FILES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")
KeyPath = tuple[str | int, ...]


class BundleError(ConfigError):
    """A bundle file is invalid: names the file, the key path and the line.

    Args:
        problems: one line per problem.
        file: the bundle file (``databricks.yml``, ``resources/x.pipeline.yml``).
        field: the dotted key path of the value, when there is one.
        line: the 1-based line of that key, when the YAML gives it.
        hint: what to do about it.
    """

    def __init__(self, problems: str | list[str], *, file: str, field: str | None = None,
                 line: int | None = None, hint: str | None = None) -> None:
        self.file = file
        self.field = field
        self.line = line
        super().__init__(problems, source=f"{file}:{line}" if line else file, hint=hint)


def dotted(path: Iterable[str | int]) -> str:
    """``("a", "b", 0, "c")`` -> ``a.b[0].c``."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".")


@dataclass
class SourceFile:
    """One parsed bundle file.

    Args:
        path: the file.
        root: the bundle root (messages show paths relative to it).
        data: the parsed mapping.
    """

    path: Path
    root: Path
    data: Mapping[str, Any]
    _lines: dict[KeyPath, int] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The file relative to the bundle root, as messages show it."""
        try:
            return self.path.relative_to(self.root).as_posix()
        except ValueError:
            return str(self.path)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, else of its nearest ancestor present in the file.

        Positions are only computed for an error: a good bundle is parsed once.
        """
        if self._lines is None:
            self._lines = yaml_lines(self.path.read_bytes(), source=str(self.path))
        for end in range(len(path), 0, -1):
            found = self._lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def error(self, path: KeyPath, message: str, *, hint: str | None = None) -> BundleError:
        """A :class:`BundleError` for the value at ``path`` of this file."""
        where = dotted(path)
        text = f"field '{where}': {message}" if where else message
        return BundleError(text, file=self.label, field=where or None, line=self.line(path),
                           hint=hint)


class Warnings:
    """Warnings in first-seen order, each once (a bundle repeats a field per target)."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}

    def add(self, message: str) -> None:
        self._seen.setdefault(message, None)

    def __iter__(self) -> Any:
        return iter(self._seen)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._seen)


@dataclass(frozen=True)
class BundleFiles:
    """``databricks.yml`` and the files its ``include:`` names, in load order."""

    root: Path
    main: SourceFile
    included: tuple[SourceFile, ...]

    @property
    def all(self) -> tuple[SourceFile, ...]:
        return (self.main, *self.included)


def find_bundle_file(root: str | Path) -> Path:
    """The bundle's root file: ``root`` itself when it is one, else the first of
    :data:`BUNDLE_FILES` in the folder ``root``.

    Raises:
        ConfigError: no such file.
    """
    check_path_text(root, field="bundle folder")
    path = Path(root)
    if path.is_file() and path.name in BUNDLE_FILES:
        return path
    for name in BUNDLE_FILES:
        if (path / name).is_file():
            return path / name
    raise ConfigError(f"no databricks.yml in {path}", source=str(path / BUNDLE_FILES[0]),
                      hint="give the folder that holds the bundle's databricks.yml (run "
                           "`databricks bundle init` or `dltflow bundle` to create one).")


def load_bundle_files(root: str | Path, warnings: Warnings) -> BundleFiles:
    """Parse ``databricks.yml`` and every file its ``include:`` globs match.

    Raises:
        ConfigError: a file is missing, not YAML, or not a mapping; an ``include`` entry
            is not a path inside the bundle.
    """
    main_path = find_bundle_file(root)
    bundle_root = main_path.parent.resolve()
    main = _parse(main_path.resolve(), bundle_root)
    includes = main.data.get("include") or []
    if not isinstance(includes, list):
        raise main.error(("include",), "expected a list of file paths or globs",
                         hint="write `include: [resources/*.yml]`.")
    found: dict[Path, None] = {}
    for i, pattern in enumerate(includes):
        for path in _included(main, i, pattern, warnings):
            found.setdefault(path, None)
    included = tuple(_parse(path, bundle_root) for path in found if path != main.path)
    for source in included:
        if "include" in source.data:
            warnings.add(f"{source.label}: 'include' is only read in databricks.yml; "
                         "ignored here")
    return BundleFiles(bundle_root, main, included)


def _included(main: SourceFile, index: int, pattern: Any, warnings: Warnings) -> list[Path]:
    where: KeyPath = ("include", index)
    if not isinstance(pattern, str) or not pattern.strip():
        raise main.error(where, "expected a file path or glob (text)")
    if Path(pattern).is_absolute() or any(part == ".." for part in Path(pattern).parts):
        raise main.error(where, f"{pattern!r} must be a path inside the bundle folder, "
                                "relative to databricks.yml")
    matches = sorted(_glob.glob(pattern, root_dir=main.root, recursive=True))
    paths = [(main.root / m).resolve() for m in matches if (main.root / m).is_file()]
    for path in paths:
        if not path.is_relative_to(main.root):
            raise main.error(where, f"{pattern!r} matches {path}, outside the bundle folder "
                                    "(a symbolic link?)")
    if not paths:
        warnings.add(f"databricks.yml: include {pattern!r} matches no file")
    return paths


def _parse(path: Path, root: Path) -> SourceFile:
    data = read_config_file(path, field="bundle file")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        label = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        raise BundleError("a bundle file must be a mapping (bundle:, resources:, targets:, "
                          "...)", file=label, line=1)
    return SourceFile(path, root, data)
