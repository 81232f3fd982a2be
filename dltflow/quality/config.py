"""Pydantic models of a pipeline config's ``dlt:`` section, and its loader.

The original dltflow format is accepted unchanged (``func_name``, ``kind``,
``expectation_action``, ``expectations``, ``write_opts``, ``is_streaming_table``,
``append_config``, ``apply_chg_config``); validation is strict and every error names
the file, the entry and the field.

Fields of one entry (:class:`DLTConfig`):
    func_name: the method that becomes a dataset.
    kind: ``table`` | ``view`` | ``materialized_view`` | ``streaming_table``.
    expectation_action: default action of the entry's expectations.
    expectations: list of :class:`Expectation` (name, constraint, optional action).
    write_opts: options for ``dlt.table`` (name, comment, spark_conf, ...).
    is_streaming_table (alias ``is_streaming``): the method returns a streaming DataFrame.
    append_config: write the method's rows into a streaming table through an append flow.
    apply_chg_config (alias ``apply_changes_config``): apply the method's change events
        to a streaming table (CDC).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from dltflow.config import StrictModel, validation_problems
from dltflow.configfile import read_config_file
from dltflow.exceptions import ConfigError, InvalidNameError
from dltflow.graph.names import validate_name
from dltflow.quality.constraints import constraint_problem

ActionName = Literal["allow", "drop", "fail", "quarantine"]
KindName = Literal["table", "view", "materialized_view", "streaming_table"]


def _dataset_name(value: str) -> str:
    try:
        return validate_name(value)
    except InvalidNameError as err:  # pydantic reports ValueErrors with the field's path
        raise ValueError(f"{err.problem}: {err.rule}") from None


DatasetName = Annotated[str, AfterValidator(_dataset_name)]
"""A dataset or flow name in DLT's form (see :mod:`dltflow.graph.names`)."""


class Expectation(StrictModel):
    """One data-quality rule: ``name``, SQL ``constraint``, optional ``action`` override."""

    name: str = Field(min_length=1)
    constraint: str = Field(min_length=1)
    action: ActionName | None = None

    @model_validator(mode="after")
    def _constraint_is_boolean_sql(self) -> Expectation:
        problem = constraint_problem(self.constraint)
        if problem:
            raise ValueError(f"constraint {self.constraint!r} is not a valid SQL boolean "
                             f"expression: {problem}")
        return self


class WriteOpts(StrictModel):
    """Options passed to ``dlt.table`` / ``dlt.view``: name, comment, spark_conf,
    table_properties, partition_cols, cluster_by, path, schema, temporary, row_filter,
    format."""

    name: DatasetName | None = None
    comment: str | None = None
    spark_conf: dict[str, str] | None = None
    table_properties: dict[str, str] | None = None
    partition_cols: list[str] | None = None
    cluster_by: list[str] | None = None
    path: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    temporary: bool | None = None
    row_filter: str | None = None
    format: str | None = None


class AppendConfig(StrictModel):
    """An append flow: ``target`` streaming table, flow ``name``, ``comment``, ``once``,
    ``spark_conf``."""

    target: DatasetName
    name: DatasetName | None = None
    comment: str | None = None
    once: bool = False
    spark_conf: dict[str, str] | None = None


class ApplyChangesConfig(StrictModel):
    """An ``apply_changes`` flow; fields as in ``dlt.apply_changes``. ``source`` defaults
    to the decorated method's dataset."""

    target: DatasetName
    source: DatasetName | None = None
    keys: list[str] = Field(min_length=1)
    sequence_by: str | list[str]
    where: str | None = None
    ignore_null_updates: bool = False
    apply_as_deletes: str | None = None
    apply_as_truncates: str | None = None
    column_list: list[str] | None = None
    except_column_list: list[str] | None = None
    stored_as_scd_type: Literal[1, 2, "1", "2"] = 1
    track_history_column_list: list[str] | None = None
    track_history_except_column_list: list[str] | None = None
    flow_name: DatasetName | None = None

    @model_validator(mode="after")
    def _exclusive_lists(self) -> ApplyChangesConfig:
        if self.column_list is not None and self.except_column_list is not None:
            raise ValueError("give column_list or except_column_list, not both")
        if (self.track_history_column_list is not None
                and self.track_history_except_column_list is not None):
            raise ValueError("give track_history_column_list or "
                             "track_history_except_column_list, not both")
        for field_name in ("apply_as_deletes", "apply_as_truncates", "where"):
            value = getattr(self, field_name)
            problem = constraint_problem(value) if value else None
            if problem:
                raise ValueError(f"{field_name} {value!r} is not a valid SQL boolean "
                                 f"expression: {problem}")
        return self


class DLTConfig(StrictModel):
    """One entry of the ``dlt:`` section: which method becomes which dataset, and how."""

    func_name: str = Field(min_length=1)
    kind: KindName = "table"
    expectation_action: ActionName = "allow"
    expectations: list[Expectation] = Field(default_factory=list)
    write_opts: WriteOpts = Field(default_factory=WriteOpts)
    is_streaming_table: bool = Field(
        default=False, validation_alias=AliasChoices("is_streaming_table", "is_streaming"))
    append_config: AppendConfig | None = None
    apply_chg_config: ApplyChangesConfig | None = Field(
        default=None, validation_alias=AliasChoices("apply_chg_config", "apply_changes_config"))

    @model_validator(mode="after")
    def _consistent(self) -> DLTConfig:
        if self.append_config and self.apply_chg_config:
            raise ValueError("append_config and apply_chg_config cannot be used together: "
                             "a method feeds a streaming table either by appending or by CDC")
        streaming = self.is_streaming_table or self.append_config or self.apply_chg_config
        if self.kind == "view" and streaming:
            raise ValueError("streaming options (is_streaming_table, append_config, "
                             "apply_chg_config) need a table, not kind 'view'")
        duplicates = _repeated(e.name for e in self.expectations)
        if duplicates:
            raise ValueError(f"expectation names must be unique, repeated: {duplicates}")
        return self

    @property
    def dataset_name(self) -> str:
        """The dataset's name: ``write_opts.name``, else the method name."""
        return self.write_opts.name or self.func_name

    def action_of(self, expectation: Expectation) -> ActionName:
        """The effective action of one of this entry's expectations."""
        return expectation.action or self.expectation_action


class DLTConfigs(BaseModel):
    """A whole pipeline config: the ``dlt`` key (one entry or a list); other keys are the
    user's own and are kept untouched."""

    model_config = ConfigDict(extra="allow", frozen=True)

    dlt: list[DLTConfig]

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level section: ``dlt``, or one of the user's own (``reader``, ...)."""
        if key == "dlt":
            return self.dlt
        return (self.model_extra or {}).get(key, default)

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("dlt"), Mapping):
            return {**data, "dlt": [data["dlt"]]}
        return data

    @model_validator(mode="after")
    def _one_entry_per_method(self) -> DLTConfigs:
        for attr, label in (("func_name", "method"), ("dataset_name", "dataset")):
            repeated = _repeated(getattr(entry, attr) for entry in self.dlt)
            if repeated:
                raise ValueError(f"two entries for one {label}: {repeated}")
        return self


def _repeated(names: Iterable[str]) -> list[str]:
    """Names that occur more than once, sorted (linear: configs may be huge)."""
    return sorted(name for name, count in Counter(names).items() if count > 1)


def load_dlt_config(config: Any, *, source: str | None = None) -> DLTConfigs:
    """Validate a pipeline config given as a dict, a YAML/JSON path, or a pydantic model.

    Args:
        config: the config, or the path of a file holding it.
        source: a name for error messages (defaults to the file path or ``<dict>``).

    Returns:
        The validated config.

    Raises:
        ConfigError: naming the file, each bad entry and field, with a hint.
    """
    if isinstance(config, DLTConfigs):
        return config
    if isinstance(config, (str, Path)):
        source = source or str(config)
        config = read_config_file(config, field="config")
    elif isinstance(config, BaseModel):
        config = config.model_dump(by_alias=True, exclude_none=True)
    source = source or "<dict>"
    if not isinstance(config, Mapping) or "dlt" not in config:
        raise ConfigError("the config has no 'dlt' section", source=source,
                          hint="add `dlt:` with entries like `- func_name: my_method`.")
    try:
        return DLTConfigs.model_validate(dict(config))
    except ValidationError as err:
        raise ConfigError(validation_problems(err, config, entry_depth=2), source=source,
                          hint=_hint(err)) from None


def _hint(err: ValidationError) -> str:
    kinds = {item["type"] for item in err.errors()}
    if "extra_forbidden" in kinds:
        return ("check the spelling; entry keys are func_name, kind, expectation_action, "
                "expectations, write_opts, is_streaming_table, append_config, "
                "apply_chg_config.")
    if "literal_error" in kinds:
        return "kind is table|view|materialized_view|streaming_table; actions are " \
               "allow|drop|fail|quarantine."
    return "fix the fields listed above and run again."
