"""A bundle pipeline's ``libraries``, as the local files a run reads.

Paths are relative to the file that declares them (the CLI's rule), or absolute once
``${workspace.file_path}`` made them the bundle folder; either way they must stay inside
the bundle folder. ``file`` names a ``.py`` or ``.sql`` file; ``notebook`` a notebook
exported as source (``.py``/``.sql``, the extension may be left out as in the
workspace); ``glob.include`` a file, or a folder ending in ``/**`` (any pattern with
``*``, ``?`` or ``[...]`` works), from which ``.py`` and ``.sql`` files are read in path
order. ``whl``, ``jar`` and ``maven`` are installed on Databricks: warned, not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dltflow.deploy.bundle_model import LibrarySpec
from dltflow.deploy.bundle_source import BundleError, KeyPath, SourceFile, Warnings, dotted

__all__ = ["BundleLibrary", "LibraryEntry", "local_path", "resolve_libraries"]

Kind = Literal["file", "notebook", "glob"]
Language = Literal["python", "sql"]
_LANGUAGES: dict[str, Language] = {".py": "python", ".sql": "sql"}
_NOTEBOOK_HEADERS = (b"# Databricks notebook source", b"-- Databricks notebook source")
_WORKSPACE_PREFIXES = ("/Workspace/", "/Volumes/", "/Repos/", "/Shared/", "dbfs:/")
_GLOB_CHARS = re.compile(r"[*?\[]")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class BundleLibrary:
    """One source file the pipeline runs.

    Args:
        kind: how the bundle names it: ``file``, ``notebook`` or ``glob``.
        path: the local file (absolute, resolved).
        language: ``python`` or ``sql``.
        notebook: the file is a notebook exported as source (its first line says so);
            its ``# MAGIC``/``# COMMAND`` lines are comments to Python.
        declared_in: the bundle file listing it (relative to the bundle folder).
        field: where in that file (``resources.pipelines.etl.libraries[0].glob.include``).
        root: the bundle folder.
    """

    kind: Kind
    path: Path
    language: Language
    notebook: bool
    declared_in: str
    field: str
    root: Path

    @property
    def relative(self) -> str:
        """The file relative to the bundle folder, in POSIX form."""
        return self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class LibraryEntry:
    """One ``libraries`` item as declared: its file, key path and validated value."""

    source: SourceFile
    path: KeyPath
    spec: LibrarySpec


def resolve_libraries(entries: Iterable[LibraryEntry], root: Path,
                      warnings: Warnings) -> tuple[BundleLibrary, ...]:
    """The local files of ``entries``, in order, each once.

    Raises:
        BundleError: a path is outside the bundle folder, missing, or of a kind that
            cannot run locally (an ``.ipynb`` notebook, a Scala file).
    """
    found: dict[Path, BundleLibrary] = {}
    for entry in entries:
        for library in _resolve(entry, root, warnings):
            if library.path in found:
                warnings.add(f"{library.declared_in}: {library.relative} is listed twice "
                             f"({found[library.path].field} and {library.field}); read once")
                continue
            found[library.path] = library
    return tuple(found.values())


def _resolve(entry: LibraryEntry, root: Path, warnings: Warnings) -> list[BundleLibrary]:
    spec, source = entry.spec, entry.source
    if spec.file is not None:
        where = (*entry.path, "file", "path")
        path = local_path(spec.file.path, source, where, root)
        if not path.is_file():
            raise source.error(where, f"{spec.file.path!r}: no such file ({path})")
        return [_library("file", path, source, where, root)]
    if spec.notebook is not None:
        where = (*entry.path, "notebook", "path")
        return [_library("notebook", _notebook(spec.notebook.path, source, where, root),
                         source, where, root)]
    if spec.glob is not None:
        where = (*entry.path, "glob", "include")
        return _glob(spec.glob.include, source, where, root, warnings)
    kind = "whl" if spec.whl is not None else "jar" if spec.jar is not None else "maven"
    advice = ("a local run uses the Python environment dltflow runs in: pip install it "
              "there" if kind == "whl" else "a local run has no JVM libraries")
    warnings.add(f"{source.label}: field '{dotted((*entry.path, kind))}' is installed on "
                 f"Databricks only; {advice}")
    return []


def local_path(text: str, source: SourceFile, where: KeyPath, root: Path) -> Path:
    """``text`` as a resolved local path inside ``root``."""
    raw = Path(text)
    path = (raw if raw.is_absolute() else source.path.parent / raw).resolve()
    if path.is_relative_to(root):
        return path
    if text.startswith(_WORKSPACE_PREFIXES):
        raise source.error(where, f"{text!r} is a workspace path; a local run reads the "
                                  "bundle's own files",
                           hint=f"write the path relative to {source.label}, or as "
                                "${workspace.file_path}/<path in the bundle>.")
    raise source.error(where, f"{text!r} is outside the bundle folder {root}",
                       hint="library paths must stay inside the bundle (they are relative "
                            f"to {source.label}).")


def _notebook(text: str, source: SourceFile, where: KeyPath, root: Path) -> Path:
    path = local_path(text, source, where, root)
    suffix = path.suffix.lower()
    if suffix in _LANGUAGES and path.is_file():
        return path
    if suffix == ".ipynb" or path.with_name(path.name + ".ipynb").is_file():
        raise source.error(where, f"{text!r} is a Jupyter notebook (.ipynb), which a "
                                  "local run cannot read",
                           hint="export it as source (a .py file starting with "
                                "'# Databricks notebook source') and point at that.")
    for extension in _LANGUAGES:
        candidate = path.with_name(path.name + extension)
        if candidate.is_file():
            return local_path(str(candidate), source, where, root)
    tried = ", ".join(p.name for p in [path, *(path.with_name(path.name + e)
                                               for e in _LANGUAGES)])
    raise source.error(where, f"{text!r}: no such notebook (tried {tried} in "
                              f"{path.parent})",
                       hint="notebooks run locally as source files: .py (Python) or .sql.")


def _glob(pattern: str, source: SourceFile, where: KeyPath, root: Path,
          warnings: Warnings) -> list[BundleLibrary]:
    parts = pattern.replace("\\", "/").split("/")
    literal = next((i for i, p in enumerate(parts) if _GLOB_CHARS.search(p)), len(parts))
    prefix = "/".join(parts[:literal]) or "."
    if pattern.startswith("/") and literal == 0:
        prefix = "/"
    base = local_path(prefix, source, where, root)
    rest = "/".join(parts[literal:])
    if not rest:
        if base.is_file():
            return [_library("glob", base, source, where, root)]
        if not base.is_dir():
            raise source.error(where, f"{pattern!r}: no such file or folder ({base})")
        warnings.add(f"{source.label}: field '{dotted(where)}' names the folder "
                     f"{pattern!r}; read as {pattern.rstrip('/')}/** (as Databricks "
                     "expects it written)")
        rest = "**"
    if rest == "**" or rest.endswith("/**"):
        rest += "/*"
    files = sorted((p for p in base.glob(rest) if p.is_file()
                    and not _hidden(p.relative_to(base))), key=lambda p: p.as_posix())
    skipped = [p for p in files if p.suffix.lower() == ".ipynb"]
    if skipped:
        warnings.add(f"{source.label}: field '{dotted(where)}': {len(skipped)} Jupyter "
                     "notebook(s) skipped (a local run reads .py and .sql source), e.g. "
                     f"{skipped[0].relative_to(base).as_posix()}")
    chosen = [local_path(str(p), source, where, root) for p in files
              if p.suffix.lower() in _LANGUAGES]
    if not chosen:
        warnings.add(f"{source.label}: field '{dotted(where)}': {pattern!r} matches no .py "
                     "or .sql file")
    return [_library("glob", path, source, where, root) for path in chosen]


def _hidden(relative: Path) -> bool:
    return any(p.startswith(".") or p in _SKIPPED_DIRS for p in relative.parts)


def _library(kind: Kind, path: Path, source: SourceFile, where: KeyPath,
             root: Path) -> BundleLibrary:
    language = _LANGUAGES.get(path.suffix.lower())
    if language is None:
        raise BundleError(f"field '{dotted(where)}': {path.name} is not a .py or .sql file",
                          file=source.label, field=dotted(where), line=source.line(where),
                          hint="a pipeline's source is Python (.py) or SQL (.sql).")
    with path.open("rb") as handle:
        first = handle.readline().strip()
    return BundleLibrary(kind, path, language, first in _NOTEBOOK_HEADERS, source.label,
                         dotted(where), root)
