"""Pydantic models of the parts of a Databricks Asset Bundle that a local run reads.

The bundle format belongs to Databricks, not to dltflow, and grows with every CLI
release; so these models *allow* extra keys, and :func:`unused_fields` reports each one:
quietly dropped when it only matters to a deployment (``permissions``, ``photon``), a
warning when a local run cannot honour it (``event_log``, ``storage``), and a warning
with the nearest known name when nobody knows it (a typo). Fields dltflow does read are
typed, and a wrong type is an error naming the file, the key and the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dltflow.config import validation_problems
from dltflow.deploy.bundle_source import BundleError, KeyPath, SourceFile, Warnings, dotted
from dltflow.deploy.settings import did_you_mean

__all__ = ["BundleInfo", "EnvironmentSpec", "GlobRef", "LibrarySpec", "PathRef",
           "PipelineSpec", "TargetSpec", "VariableSpec", "unused_fields", "validate"]

_Scalar = str | int | float | bool


class _BundleModel(BaseModel):
    """A bundle mapping: extra keys kept (see :func:`unused_fields`), values immutable."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    #: Known keys that matter only to a deployment: dropped without a word.
    DEPLOY_ONLY: ClassVar[frozenset[str]] = frozenset()
    #: Known keys a local run cannot honour, with the reason shown in the warning.
    NOT_LOCAL: ClassVar[dict[str, str]] = {}


class BundleInfo(_BundleModel):
    """The ``bundle:`` section: ``name`` (required)."""

    DEPLOY_ONLY = frozenset({"uuid", "databricks_cli_version", "git", "deployment",
                             "cluster_id", "compute_id"})
    name: str = Field(min_length=1)


class VariableSpec(_BundleModel):
    """One ``variables:`` entry: ``description``, ``default``, ``type``, ``lookup``."""

    description: str | None = None
    default: Any = None
    type: str | None = None
    lookup: dict[str, Any] | None = None

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set


class TargetSpec(_BundleModel):
    """One ``targets:`` entry: ``default``, ``mode``, ``variables`` (overrides),
    ``resources`` (merged over the top-level ones), ``presets`` and ``workspace``."""

    DEPLOY_ONLY = frozenset({"bundle", "git", "cluster_id", "compute_id", "permissions",
                             "run_as", "sync", "artifacts"})
    default: bool = False
    mode: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    resources: dict[str, Any] = Field(default_factory=dict)
    presets: dict[str, Any] = Field(default_factory=dict)
    workspace: dict[str, Any] = Field(default_factory=dict)

    @field_validator("variables", "resources", "presets", "workspace", mode="before")
    @classmethod
    def _null_mapping(cls, value: Any) -> Any:
        return {} if value is None else value


class PathRef(_BundleModel):
    """``file:`` / ``notebook:`` of a library: its ``path``."""

    path: str = Field(min_length=1)


class GlobRef(_BundleModel):
    """``glob:`` of a library: the ``include`` pattern (a file, or a folder ending ``/**``)."""

    include: str = Field(min_length=1)


class LibrarySpec(_BundleModel):
    """One ``libraries:`` entry: exactly one of ``file``, ``notebook``, ``glob``, ``whl``,
    ``jar``, ``maven``."""

    file: PathRef | None = None
    notebook: PathRef | None = None
    glob: GlobRef | None = None
    whl: str | None = None
    jar: str | None = None
    maven: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LibrarySpec:
        given = [k for k in ("file", "notebook", "glob", "whl", "jar", "maven")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of file, notebook, glob, whl, jar or maven, "
                             f"got {given or 'none'}")
        return self


class EnvironmentSpec(_BundleModel):
    """``environment:``: the pip ``dependencies`` the pipeline installs."""

    DEPLOY_ONLY = frozenset({"environment_version"})
    dependencies: list[str] = Field(default_factory=list)


class PipelineSpec(_BundleModel):
    """One ``resources.pipelines.<key>`` body (or a target's override of it).

    Read: ``name``, ``catalog``, ``schema`` (or the legacy ``target``), ``configuration``,
    ``libraries``, ``serverless``, ``development``, ``continuous``, ``root_path``,
    ``environment``. Every field is optional: a target override sets a few.
    """

    DEPLOY_ONLY = frozenset({
        "allow_duplicate_names", "budget_policy_id", "cascade_on_destroy", "channel",
        "clusters", "edition", "id", "lifecycle", "notifications", "permissions", "photon",
        "restart_window", "run_as", "serverless_compute_id", "tags", "usage_policy_id",
        "deployment", "parameters"})
    NOT_LOCAL = {
        "event_log": "a local run keeps its own event log in the warehouse",
        "storage": "tables are written to the local warehouse",
        "trigger": "a local run is one triggered update",
        "filters": "every library is read",
        "ingestion_definition": "managed ingestion runs only on Databricks",
        "gateway_definition": "managed ingestion runs only on Databricks",
    }
    name: str | None = None
    catalog: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    target: str | None = None
    configuration: dict[str, _Scalar] = Field(default_factory=dict)
    libraries: list[LibrarySpec] = Field(default_factory=list)
    serverless: bool | None = None
    development: bool | None = None
    continuous: bool | None = None
    root_path: str | None = None
    environment: EnvironmentSpec | None = None

    @field_validator("configuration", "libraries", mode="before")
    @classmethod
    def _null_collection(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {} if info.field_name == "configuration" else []
        return value


def validate(model: type[_BundleModel], data: Any, source: SourceFile, base: KeyPath
             ) -> Any:
    """``model`` validated from ``data`` (the value at ``base`` of ``source``).

    Raises:
        BundleError: every bad field, with the line of the first.
    """
    try:
        return model.model_validate({} if data is None else data)
    except ValidationError as err:
        prefix = dotted(base)
        problems = validation_problems(err, data, prefix=f"{prefix}." if prefix else "",
                                       brackets=True)
        first = _located(err.errors()[0]["loc"], data)
        raise BundleError(problems, file=source.label, field=dotted((*base, *first)),
                          line=source.line((*base, *first)),
                          hint="fix the fields listed above; see the Databricks bundle "
                               "reference for each resource's settings.") from None


def _located(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """The longest prefix of a pydantic location that exists in ``data`` (locations hold
    union branch names too, which are no keys of the file)."""
    found: list[str | int] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            continue
        found.append(part)
    return tuple(found)


def unused_fields(model: _BundleModel, source: SourceFile, base: KeyPath,
                  warnings: Warnings) -> None:
    """Warn once about every key of ``model`` (and the models inside it) that a local run
    does not use: those it cannot honour, and those nobody knows."""
    for path, owner, key in _extras(model, base):
        where = f"{source.label}: field '{dotted((*path, key))}'"
        if key in owner.DEPLOY_ONLY:
            continue
        if key in owner.NOT_LOCAL:
            warnings.add(f"{where} is not applied locally: {owner.NOT_LOCAL[key]}")
        else:
            known = set(type(owner).model_fields) | owner.DEPLOY_ONLY | set(owner.NOT_LOCAL)
            known = {type(owner).model_fields[k].alias or k if k in type(owner).model_fields
                     else k for k in known}
            warnings.add(f"{where} is not a setting dltflow knows; ignored"
                         + did_you_mean(key, known))


def _extras(model: _BundleModel, base: KeyPath
            ) -> Iterator[tuple[KeyPath, _BundleModel, str]]:
    for key in model.model_extra or {}:
        yield base, model, str(key)
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
        if isinstance(value, _BundleModel):
            yield from _extras(value, (*base, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, _BundleModel):
                    yield from _extras(item, (*base, key, i))
