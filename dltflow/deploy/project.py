"""Pydantic models of the project file ``dltflow.yml``, and its loader.

The original dltflow format stays valid (``targets: null``, ``default: "false"`` as a
string, the ``include`` defaults). Targets carry a Databricks config ``profile`` or a
``host`` (authentication itself is whatever databricks-sdk resolves), the workspace
``root_path`` and the ``artifact_path``. String values may use ``${ENV_VAR}``; an unset
variable is an error naming it, and ``$${X}`` keeps a literal ``${X}``.

Example::

    dltflow: {name: my_project}
    include:
      code: {name: my_project, launch_method: launch}
      conf: {name: conf}
      workflows: {name: workflows}
    targets:
      dev:
        mode: development
        default: true
        workspace:
          profile: DEV
          root_path: /Users/me@x.com/.dltflow/my_project
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from dltflow.config import StrictModel, validation_problems
from dltflow.configfile import check_path_text, read_config_file
from dltflow.deploy.env import expand_env_vars
from dltflow.exceptions import ConfigError

PROJECT_FILE = "dltflow.yml"
PERSONAL_PREFIXES = ("/Users/", "/Workspace/Users/")
ModeName = Literal["development", "production"]

_MODE_ALIASES = {"dev": "development", "prod": "production"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ProjectInfo(StrictModel):
    """The ``dltflow:`` section: ``name`` of the project."""

    name: str = Field(min_length=1)


class CodeInclude(StrictModel):
    """Where the pipeline code lives: package ``name`` (a folder in the project) and the
    default ``launch_method`` the deployed notebook calls on each pipeline instance."""

    name: str = Field(min_length=1)
    launch_method: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class PathInclude(StrictModel):
    """A project folder: ``name`` relative to the project root."""

    name: str = Field(min_length=1)


class IncludeConfig(StrictModel):
    """The ``include:`` section: ``code``, ``conf`` and ``workflows`` folders, and
    ``files``: project-relative paths or globs deploy uploads even though they are
    dotfiles, key or secret files, or git-ignored (which it otherwise never uploads)."""

    code: CodeInclude = Field(default_factory=lambda: CodeInclude(name="src",
                                                                  launch_method="launch"))
    conf: PathInclude = Field(default_factory=lambda: PathInclude(name="conf"))
    workflows: PathInclude = Field(default_factory=lambda: PathInclude(name="workflows"))
    files: list[str] = Field(default_factory=list)

    @field_validator("files")
    @classmethod
    def _plain_paths(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip() or _CONTROL.search(item):
                raise ValueError(f"{item!r} is not a usable path")
            if Path(item).is_absolute() or ".." in Path(item).parts:
                raise ValueError(f"{item!r} must be a path inside the project, relative to "
                                 "dltflow.yml")
        return value


class WorkspaceConfig(StrictModel):
    """Where a target deploys: a Databricks config ``profile`` or a ``host`` (both optional:
    databricks-sdk also resolves environment variables), the workspace ``root_path`` and
    the ``artifact_path`` (workspace files, ``/Volumes/...``, or ``dbfs:/...``)."""

    profile: str | None = None
    host: str | None = None
    root_path: str | None = None
    artifact_path: str | None = None

    @field_validator("profile", "host", "root_path", "artifact_path")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        # A path with a newline or control character can never name a workspace folder.
        if value is not None and _CONTROL.search(value):
            raise ValueError(f"{value!r} contains a line break or control character")
        return value


class TargetConfig(StrictModel):
    """One deployment target: ``mode`` (development | production), whether it is the
    ``default`` target, and its ``workspace``."""

    mode: ModeName | None = None
    default: bool = False
    workspace: WorkspaceConfig = Field(default_factory=WorkspaceConfig)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_aliases(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _MODE_ALIASES.get(value.lower(), value.lower())
        return value

    @property
    def is_personal(self) -> bool:
        """True when the root path is in a user's home folder, so deployed names get a
        per-user prefix and never overwrite the shared pipeline."""
        root = self.workspace.root_path or ""
        return root.startswith(PERSONAL_PREFIXES)


class ProjectConfig(StrictModel):
    """The whole ``dltflow.yml``: ``dltflow`` (project info), ``include`` (folders) and
    ``targets`` (name -> :class:`TargetConfig`)."""

    dltflow: ProjectInfo
    include: IncludeConfig = Field(default_factory=IncludeConfig)
    targets: dict[str, TargetConfig] = Field(default_factory=dict)

    @field_validator("targets", mode="before")
    @classmethod
    def _null_targets(cls, value: Any) -> Any:
        # The original `dltflow init` wrote `targets: null` when no profile existed.
        return {} if value is None else value

    @field_validator("targets")
    @classmethod
    def _one_default(cls, value: dict[str, TargetConfig]) -> dict[str, TargetConfig]:
        defaults = sorted(name for name, target in value.items() if target.default)
        if len(defaults) > 1:
            raise ValueError(f"only one target can have default: true, found {defaults}")
        return value

    def target(self, env: str | None = None) -> TargetConfig:
        """The target named ``env``; ``None`` means the ``default: true`` target.

        Raises:
            ConfigError: the target is unknown, or none is the default.
        """
        names = ", ".join(sorted(self.targets)) or "(none)"
        if env is None:
            defaults = [t for t in self.targets.values() if t.default]
            if defaults:
                return defaults[0]
            if len(self.targets) == 1:
                return next(iter(self.targets.values()))
            raise ConfigError(f"no default target; targets: {names}", source=PROJECT_FILE,
                              hint="pass an environment, or set `default: true` on one "
                                   "target.")
        if env not in self.targets:
            raise ConfigError(f"unknown target '{env}'; targets: {names}", source=PROJECT_FILE,
                              hint=f"add `targets: {{{env}: {{workspace: {{...}}}}}}` to "
                                   f"{PROJECT_FILE}, or use one of the targets listed.")
        return self.targets[env]

    def dump(self) -> str:
        """The config as YAML, in the file's own key order, without empty values."""
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder, from ``start`` (default: the current one) upwards, holding a
    ``dltflow.yml``; ``None`` when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def load_project(root: Path) -> ProjectConfig:
    """Read and validate ``root/dltflow.yml``.

    Args:
        root: the project folder.

    Returns:
        The validated project config, with ``${ENV_VAR}`` substituted.

    Raises:
        ConfigError: the file is missing, not YAML, or invalid; names file and field.
    """
    check_path_text(root, field="project root")
    path = Path(root) / PROJECT_FILE
    source = str(path)
    if not path.is_file():
        raise ConfigError("cannot read the project file: no such file", source=source,
                          hint="run `dltflow init` to create one, or run from the project "
                               "folder.")
    data = read_config_file(path)
    if not isinstance(data, Mapping):
        raise ConfigError("the file must be a mapping with a `dltflow:` section",
                          source=source, hint="start it with `dltflow: {name: my_project}`.")
    data = expand_env_vars(data, source=source)
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(validation_problems(err, data), source=source,
                          hint=_hint(err)) from None


def _hint(err: ValidationError) -> str:
    kinds = {item["type"] for item in err.errors()}
    if "extra_forbidden" in kinds:
        return ("check the spelling; top-level keys are dltflow, include, targets; a target "
                "has mode, default, workspace (profile, host, root_path, artifact_path).")
    if "literal_error" in kinds:
        return "mode is development or production."
    return "fix the fields listed above and run again."
