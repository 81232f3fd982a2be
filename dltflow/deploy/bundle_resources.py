"""The pipelines of a bundle: where each is declared, and which one a run uses.

A pipeline is declared once under ``resources.pipelines`` (in ``databricks.yml`` or an
included file), and a target may change it under ``targets.<name>.resources``; each
declaration is a :class:`Layer`, applied in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dltflow.deploy.bundle_source import BundleError, BundleFiles, KeyPath, SourceFile
from dltflow.deploy.bundle_targets import ChosenTarget

__all__ = ["Layer", "choose_pipeline", "pipeline_field", "pipeline_layers"]


@dataclass(frozen=True)
class Layer:
    """One declaration of the pipeline: top-level, or a target's override."""

    source: SourceFile
    path: KeyPath
    body: Mapping[str, Any]


def _pipelines_of(source: SourceFile, base: KeyPath, resources: Any
                  ) -> dict[str, Layer]:
    if resources is None:
        return {}
    if not isinstance(resources, Mapping):
        raise source.error(base, "expected a mapping of resource types (pipelines, jobs, "
                                 "...)")
    section = resources.get("pipelines")
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise source.error((*base, "pipelines"), "expected a mapping of pipeline keys")
    found = {}
    for key, body in section.items():
        path = (*base, "pipelines", str(key))
        if body is not None and not isinstance(body, Mapping):
            raise source.error(path, "expected the pipeline's settings (a mapping)")
        found[str(key)] = Layer(source, path, body or {})
    return found


def pipeline_layers(files: BundleFiles, chosen: ChosenTarget) -> dict[str, list[Layer]]:
    """Every pipeline's declarations: the top-level one, then the target's overrides."""
    layers: dict[str, list[Layer]] = {}
    for source in files.all:
        for key, layer in _pipelines_of(source, ("resources",),
                                        source.data.get("resources")).items():
            if key in layers:
                first = layers[key][0].source.label
                raise source.error(layer.path, f"pipeline {key!r} is also declared in "
                                               f"{first}",
                                   hint="declare each pipeline once; a target changes it "
                                        "under targets.<name>.resources.")
            layers[key] = [layer]
    for part in chosen.parts:
        for key, layer in _pipelines_of(part.source, (*part.path, "resources"),
                                        part.spec.resources).items():
            layers.setdefault(key, []).append(layer)
    return layers


def choose_pipeline(layers: dict[str, list[Layer]], wanted: str | None, main: SourceFile,
                     target: str) -> str:
    keys = ", ".join(sorted(layers)) or "(none)"
    if wanted is not None:
        if wanted not in layers:
            raise BundleError(f"no pipeline {wanted!r} in target {target!r}; pipelines: "
                              f"{keys}", file=main.label, field="resources.pipelines",
                              hint="choose one of the pipeline keys listed (--pipeline).")
        return wanted
    if len(layers) == 1:
        return next(iter(layers))
    if not layers:
        raise BundleError(f"the bundle declares no pipeline (resources.pipelines) in target "
                          f"{target!r}", file=main.label, field="resources.pipelines",
                          hint="check `include:` in databricks.yml: it must name the "
                               "resource files (e.g. resources/*.yml).")
    raise BundleError(f"the bundle has several pipelines: {keys}", file=main.label,
                      field="resources.pipelines",
                      hint="choose one with --pipeline KEY.")


def pipeline_field(layers: dict[str, list[Layer]], parts: list[str]
           ) -> tuple[Any, SourceFile, KeyPath] | None:
    """``${resources.pipelines.<key>.<field>}``: the field's last declaration."""
    kind, key, name = parts
    if kind != "pipelines" or key not in layers:
        return None
    for layer in reversed(layers[key]):
        if name in layer.body:
            return layer.body[name], layer.source, (*layer.path, name)
    return None
