"""Read a Databricks Asset Bundle's pipeline, to run it locally.

``databricks.yml`` (renamed Declarative Automation Bundles in 2026, same format) names
the bundle, ``include:``\\ s resource files, declares ``variables`` and ``targets``;
``resources.pipelines.<key>`` holds each pipeline. :func:`read_bundle` picks the target
and the pipeline, merges the target's ``resources`` over the top-level ones (mappings
merged, lists appended, values replaced: the CLI's rule), resolves ``${...}``
references (:mod:`dltflow.deploy.bundle_refs`) and the ``libraries`` into local files
(:mod:`dltflow.deploy.bundle_libraries`). Files are read with dltflow's bounded YAML
reader; the Databricks CLI is never run, and no workspace is asked for anything.

Example::

    pipeline = read_bundle(Path("my_bundle"), target="dev", pipeline=None)
    pipeline.catalog, pipeline.schema, [lib.relative for lib in pipeline.libraries]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dltflow.deploy import settings as api_settings
from dltflow.deploy.bundle_libraries import (
    BundleLibrary,
    LibraryEntry,
    local_path,
    resolve_libraries,
)
from dltflow.deploy.bundle_model import BundleInfo, PipelineSpec, unused_fields, validate
from dltflow.deploy.bundle_refs import Resolver, local_user
from dltflow.deploy.bundle_resources import Layer, choose_pipeline, pipeline_field, pipeline_layers
from dltflow.deploy.bundle_source import (
    BundleError,
    BundleFiles,
    SourceFile,
    Warnings,
    load_bundle_files,
)
from dltflow.deploy.bundle_targets import ChosenTarget, choose_target, target_variables

__all__ = ["BundlePipeline", "read_bundle"]

_TOP_LEVEL = frozenset({"bundle", "include", "variables", "targets", "environments",
                        "resources", "workspace", "artifacts", "sync", "permissions",
                        "run_as", "presets", "experimental", "scripts", "python"})
#: The pipeline fields a local run reads: only these are substituted, so a lookup
#: variable in, say, a cluster policy never stops a local run.
_READ = frozenset({"name", "catalog", "schema", "target", "configuration", "libraries",
                   "serverless", "development", "continuous", "root_path", "environment"})


@dataclass(frozen=True)
class BundlePipeline:
    """One pipeline of a bundle, resolved for a target, as a local run needs it.

    Args:
        bundle_name: ``bundle.name``.
        root: the bundle folder (holding ``databricks.yml``), resolved.
        target: the chosen target.
        mode: the target's ``mode`` (``development``/``production``), if any.
        key: the pipeline's key under ``resources.pipelines``.
        name: its ``name`` (the key when it has none).
        catalog: ``catalog``, if any.
        schema: ``schema``, or the legacy ``target`` (see ``legacy_target``).
        legacy_target: the schema came from the deprecated ``target`` field.
        configuration: ``configuration``, every value as text (as the API has it).
        serverless: ``serverless``, if set.
        development: ``development``; else true in a ``mode: development`` target (as the
            CLI sets it) or with ``presets.pipelines_development``.
        continuous: ``continuous``, if set.
        root_path: ``root_path`` as a local folder (Databricks puts it on ``sys.path``).
        libraries: the source files, in order.
        dependencies: ``environment.dependencies``, resolved (installed on Databricks).
        variables: every variable with a value, resolved.
        source: the file declaring the pipeline, relative to ``root``.
        user: who ``${workspace.current_user.userName}`` was.
        pipelines: every pipeline key of the bundle in this target.
        targets: every target of the bundle.
        warnings: fields not applied locally, unknown fields, references left as
            written; each once.
    """

    bundle_name: str
    root: Path
    target: str
    mode: str | None
    key: str
    name: str
    catalog: str | None
    schema: str | None
    legacy_target: bool
    configuration: Mapping[str, str]
    serverless: bool | None
    development: bool | None
    continuous: bool | None
    root_path: Path | None
    libraries: tuple[BundleLibrary, ...]
    dependencies: tuple[str, ...]
    variables: Mapping[str, Any]
    source: str
    user: str
    pipelines: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def read_bundle(root: str | Path, *, target: str | None, pipeline: str | None,
                user: str | None = None, variables: Mapping[str, str] | None = None,
                environ: Mapping[str, str] | None = None) -> BundlePipeline:
    """Read one pipeline of the bundle in ``root`` for one target.

    Args:
        root: the bundle folder (or its ``databricks.yml``).
        target: the target; None: the ``default: true`` one, else the only one.
        pipeline: the key under ``resources.pipelines``; None: the only pipeline.
        user: the user name for ``${workspace.current_user.*}``; default
            ``$DATABRICKS_USER``, else the login name.
        variables: ``--var`` values (they win over everything else).
        environ: where ``BUNDLE_VAR_<name>`` and ``DATABRICKS_USER`` are read (default:
            ``os.environ``).

    Returns:
        The resolved pipeline.

    Raises:
        ConfigError: naming the file, the key path and the line: no ``databricks.yml``,
            broken YAML, an unknown target or pipeline (listing those there are), an
            undefined variable, a library path outside the bundle or missing.
    """
    import os

    env = os.environ if environ is None else environ
    warnings = Warnings()
    files = load_bundle_files(root, warnings)
    for source in files.all:
        _check_top_level(source, warnings)
    main = files.main
    if "bundle" not in main.data:
        raise main.error(("bundle",), "missing: a bundle starts with `bundle: {name: ...}`")
    info = validate(BundleInfo, main.data["bundle"], main, ("bundle",))
    unused_fields(info, main, ("bundle",), warnings)
    chosen = choose_target(files, target, warnings)
    values = target_variables(files, chosen, variables or {}, env)
    layers = pipeline_layers(files, chosen)
    key = choose_pipeline(layers, pipeline, main, chosen.name)
    name = local_user(user, env)
    workspace = {**_top_level_workspace(files), **chosen.merged("workspace")}
    resolver = Resolver(bundle_name=info.name, target=chosen.name, root=files.root,
                        user=name, variables=values, workspace=workspace,
                        resource=lambda parts: pipeline_field(layers, parts), warnings=warnings)
    specs = []
    for layer in layers[key]:
        read = {k: v for k, v in layer.body.items() if k in _READ}
        resolved = {**layer.body, **resolver.resolve(read, layer.source, layer.path)}
        spec = validate(PipelineSpec, resolved, layer.source, layer.path)
        unused_fields(spec, layer.source, layer.path, warnings)
        specs.append((layer, spec))
    return _pipeline(files, chosen, key, specs, resolver, warnings, info.name, name, layers)


@dataclass
class _Merged:
    """The pipeline's declarations merged: values replaced, mappings merged, lists
    appended (the CLI's rule), each library with the file that declares it."""

    values: dict[str, Any] = field(default_factory=dict)
    configuration: dict[str, str] = field(default_factory=dict)
    libraries: list[LibraryEntry] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    root_path: tuple[Layer, str] | None = None


def _merge(specs: list[tuple[Layer, PipelineSpec]]) -> _Merged:
    merged = _Merged()
    for layer, spec in specs:
        for name in ("name", "catalog", "schema_", "target", "serverless", "development",
                     "continuous"):
            if name in spec.model_fields_set and getattr(spec, name) is not None:
                merged.values[name] = getattr(spec, name)
        merged.configuration.update(api_settings.normalize(
            {"configuration": spec.configuration})["configuration"])
        merged.libraries += [LibraryEntry(layer.source, (*layer.path, "libraries", i), lib)
                             for i, lib in enumerate(spec.libraries)]
        if spec.environment is not None:
            merged.dependencies += spec.environment.dependencies
        if spec.root_path is not None:
            merged.root_path = (layer, spec.root_path)
    return merged


def _pipeline(files: BundleFiles, chosen: ChosenTarget, key: str,
              specs: list[tuple[Layer, PipelineSpec]], resolver: Resolver,
              warnings: Warnings, bundle_name: str, user: str,
              layers: dict[str, list[Layer]]) -> BundlePipeline:
    merged = _merge(specs)
    values, last = merged.values, specs[-1][0]
    problems = api_settings.rule_problems({"schema": values.get("schema_"),
                                           "target": values.get("target")})
    if problems:
        raise BundleError(problems, file=last.source.label, field="schema",
                          line=last.source.line((*last.path, "schema")),
                          hint="a pipeline publishes to one schema; the catalog goes in "
                               "'catalog'.")
    if values.get("continuous"):
        warnings.add(f"{last.source.label}: field 'continuous' is not applied locally: a "
                     "local run is one triggered update")
    libraries = resolve_libraries(merged.libraries, files.root, warnings)
    if not libraries:
        warnings.add(f"{specs[0][0].source.label}: pipeline {key!r} has no library a local "
                     "run can read")
    return BundlePipeline(
        bundle_name=bundle_name, root=files.root, target=chosen.name, mode=chosen.mode,
        key=key, name=str(values.get("name") or key), catalog=values.get("catalog"),
        schema=values.get("schema_") or values.get("target"),
        legacy_target=values.get("target") is not None,
        configuration=merged.configuration, serverless=values.get("serverless"),
        development=_development(values, chosen), continuous=values.get("continuous"),
        root_path=_root_path(merged.root_path, files.root), libraries=libraries,
        dependencies=tuple(merged.dependencies), variables=resolver.variable_values(),
        source=specs[0][0].source.label, user=user, pipelines=tuple(sorted(layers)),
        targets=chosen.names, warnings=warnings.as_tuple())


def _root_path(declared: tuple[Layer, str] | None, root: Path) -> Path | None:
    if declared is None:
        return None
    layer, text = declared
    folder = local_path(text, layer.source, (*layer.path, "root_path"), root)
    if not folder.is_dir():
        raise layer.source.error((*layer.path, "root_path"), f"{text!r}: no such folder")
    return folder


def _development(merged: dict[str, Any], chosen: ChosenTarget) -> bool | None:
    if "development" in merged:
        return bool(merged["development"])
    preset = chosen.merged("presets").get("pipelines_development")
    if isinstance(preset, bool):
        return preset
    return True if chosen.mode == "development" else None


def _check_top_level(source: SourceFile, warnings: Warnings) -> None:
    for key in source.data:
        if key == "python":
            warnings.add(f"{source.label}: resources defined in Python (the 'python' "
                         "section) are not read locally; only YAML resources are")
        elif key not in _TOP_LEVEL:
            warnings.add(f"{source.label}: top-level key {key!r} is not a bundle setting; "
                         "ignored" + api_settings.did_you_mean(str(key), _TOP_LEVEL))


def _top_level_workspace(files: BundleFiles) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for source in files.all:
        section = source.data.get("workspace")
        if isinstance(section, Mapping):
            merged.update(section)
    return merged


