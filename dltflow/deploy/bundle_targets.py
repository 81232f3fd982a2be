"""A bundle's targets and variables: which target, and what each variable is in it.

Targets and variables may be declared in ``databricks.yml`` or in any file it includes;
a target split over several files is merged in load order. The target is the one asked
for, else the one with ``default: true``, else the only one; a bundle without targets
has the CLI's implicit target ``default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dltflow.deploy.bundle_model import TargetSpec, VariableSpec, unused_fields, validate
from dltflow.deploy.bundle_refs import Assignment, Variables, environ_assignments
from dltflow.deploy.bundle_source import BundleError, BundleFiles, KeyPath, SourceFile, Warnings

__all__ = ["ChosenTarget", "TargetPart", "choose_target", "target_variables"]

IMPLICIT_TARGET = "default"


@dataclass(frozen=True)
class TargetPart:
    """One file's declaration of a target: the file, its key path and its body."""

    source: SourceFile
    path: KeyPath
    spec: TargetSpec


@dataclass(frozen=True)
class ChosenTarget:
    """The target a run uses, and every part of it.

    Args:
        name: the target's name.
        parts: its declarations, in load order (none for the implicit target).
        names: every target of the bundle, sorted.
    """

    name: str
    parts: tuple[TargetPart, ...]
    names: tuple[str, ...]

    @property
    def mode(self) -> str | None:
        modes = [p.spec.mode for p in self.parts if p.spec.mode is not None]
        return modes[-1] if modes else None

    def merged(self, field: str) -> dict[str, Any]:
        """A mapping field of the target (``presets``, ``workspace``), parts merged."""
        merged: dict[str, Any] = {}
        for part in self.parts:
            merged.update(getattr(part.spec, field))
        return merged


def choose_target(files: BundleFiles, wanted: str | None, warnings: Warnings
                  ) -> ChosenTarget:
    """The target named ``wanted``, else the default one (see the module docstring).

    Raises:
        BundleError: an unknown target, several defaults, or several targets and none
            chosen; each lists the targets.
    """
    parts: dict[str, list[TargetPart]] = {}
    for source in files.all:
        key = "targets" if "targets" in source.data else "environments"
        declared = source.data.get(key)
        if declared is None:
            continue
        if key == "environments":
            warnings.add(f"{source.label}: 'environments' is the old name of 'targets'; "
                         "read as targets")
        if not isinstance(declared, Mapping):
            raise source.error((key,), "expected a mapping of target names to settings")
        for name, body in declared.items():
            spec = validate(TargetSpec, body, source, (key, str(name)))
            parts.setdefault(str(name), []).append(TargetPart(source, (key, str(name)), spec))
    names = tuple(sorted(parts))
    listed = ", ".join(names) or "(none)"
    main = files.main
    if wanted is not None:
        if wanted not in parts and not (wanted == IMPLICIT_TARGET and not parts):
            raise BundleError(f"no target {wanted!r}; targets: {listed}", file=main.label,
                              field="targets", line=main.line(("targets",)),
                              hint="choose one of the targets listed (--target).")
        chosen = wanted
    else:
        chosen = _default(parts, main, listed)
    found = tuple(parts.get(chosen, ()))
    for part in found:
        unused_fields(part.spec, part.source, part.path, warnings)
    return ChosenTarget(chosen, found, names)


def _default(parts: dict[str, list[TargetPart]], main: SourceFile, listed: str) -> str:
    if not parts:
        return IMPLICIT_TARGET
    defaults = sorted(name for name, found in parts.items() if any(p.spec.default
                                                                    for p in found))
    if len(defaults) > 1:
        raise BundleError(f"several targets have default: true ({', '.join(defaults)})",
                          file=main.label, field="targets", line=main.line(("targets",)),
                          hint="keep `default: true` on one target only.")
    if defaults:
        return defaults[0]
    if len(parts) == 1:
        return next(iter(parts))
    raise BundleError(f"no default target; targets: {listed}", file=main.label,
                      field="targets", line=main.line(("targets",)),
                      hint="choose one with --target, or set `default: true` on one.")


def target_variables(files: BundleFiles, target: ChosenTarget, cli: Mapping[str, str],
                     environ: Mapping[str, str] | None) -> Variables:
    """The declared variables and each one's value in ``target``.

    Raises:
        BundleError: a variable declaration is malformed, or the target sets a variable
            the bundle does not declare.
        ConfigError: a ``--var`` names an undeclared variable.
    """
    declared: dict[str, tuple[SourceFile, VariableSpec]] = {}
    for source in files.all:
        section = source.data.get("variables") or {}
        if not isinstance(section, Mapping):
            raise source.error(("variables",), "expected a mapping of variable names")
        for name, body in section.items():
            path: KeyPath = ("variables", str(name))
            spec = (validate(VariableSpec, body, source, path) if isinstance(body, Mapping)
                    else VariableSpec(default=body))
            declared[str(name)] = (source, spec)
    sources = {name: source for name, (source, _) in declared.items()}
    assigned = environ_assignments(sources, cli, environ)
    for part in target.parts:
        for name, value in part.spec.variables.items():
            path = (*part.path, "variables", str(name))
            if name not in declared:
                raise part.source.error(path, f"variable {name!r} is not declared",
                                        hint=f"declare it under `variables: {{{name}: "
                                             "{description: ...}}` in databricks.yml.")
            if name not in assigned or assigned[name].origin == "target":
                complex_ = declared[name][1].type == "complex"
                assigned[name] = _override(value, complex_, part.source, path)
    for name, (source, spec) in declared.items():
        if name in assigned:
            continue
        if spec.has_default:
            assigned[name] = Assignment(spec.default, "default", source,
                                        ("variables", name, "default"))
        elif spec.lookup is not None:
            assigned[name] = Assignment(None, "lookup", source, ("variables", name),
                                        lookup=True)
    return Variables(sources, assigned)


def _override(value: Any, complex_: bool, source: SourceFile, path: KeyPath) -> Assignment:
    """A target's value for a variable: the value itself, ``{default: ...}`` or
    ``{lookup: ...}`` (a complex variable's mapping is its value)."""
    if isinstance(value, Mapping) and not (complex_ and set(value) != {"default"}):
        if "lookup" in value:
            return Assignment(None, "target", source, path, lookup=True)
        if "default" not in value:
            raise source.error(path, "expected a value, {default: ...} or {lookup: ...}")
        return Assignment(value["default"], "target", source, (*path, "default"))
    return Assignment(value, "target", source, path)
