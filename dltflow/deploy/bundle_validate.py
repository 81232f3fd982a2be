"""``dltflow validate --bundle``: a bundle's pipeline checked offline, as a run would
find it: the bundle itself, then each library (SQL statements parsed with the
pipeline's configuration, Python compiled), every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dltflow.deploy.bundle import BundlePipeline, read_bundle
from dltflow.exceptions import ConfigError

__all__ = ["BundleValidation", "validate_bundle"]


@dataclass(frozen=True)
class BundleValidation:
    """What was checked: the bundle's pipeline and its source files."""

    pipeline: BundlePipeline
    files: tuple[str, ...]


def validate_bundle(root: str | Path, *, target: str | None = None,
                    pipeline: str | None = None) -> BundleValidation:
    """Check one pipeline of a bundle without running it.

    Raises:
        ConfigError: the bundle is broken, or any library does not parse (each named
            with its file and line).
    """
    from dltflow.sql import SqlParseError, parse_text  # lazy: only SQL libraries need it

    chosen = read_bundle(root, target=target, pipeline=pipeline)
    problems: list[str] = []
    for library in chosen.libraries:
        text = library.path.read_text(encoding="utf-8")
        shown = library.relative
        if library.language == "sql":
            try:
                parse_text(text, shown, configuration=chosen.configuration)
            except SqlParseError as err:
                problems += [f"{shown}: {p}" for p in err.problems]
            continue
        try:
            compile(text, shown, "exec")
        except SyntaxError as err:
            problems.append(f"{shown}:{err.lineno}: {err.msg}")
    if problems:
        raise ConfigError(problems, source=str(chosen.root / chosen.source),
                          hint="fix each library above; nothing was run.")
    return BundleValidation(chosen, tuple(lib.relative for lib in chosen.libraries))
