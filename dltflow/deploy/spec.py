"""Deployment files: per environment, the pipelines to deploy and the code they run.

A deployment file (YAML or JSON) maps an environment to ``workflows``; each workflow is
a Pipelines API settings object (validated against what the installed databricks-sdk
accepts, see :mod:`dltflow.deploy.settings`) plus ``tasks``::

    dev:
      workflows:
        - name: my-pipeline
          target: my_schema
          tasks:
            items:
              - python_file: my_project/pipelines/simple.py
                parameters: ["--conf", "conf/simple.yml"]   # or config_path: ...
                class_name: SimplePipeline                  # optional
                launch_method: launch                       # optional
              - sql_file: my_project/pipelines/orders.sql     # a pipeline SQL file
              - folder: my_project/transformations            # every .py and .sql in it
            dependencies:
              - whl: /Volumes/main/libs/my_lib-0.1-py3-none-any.whl
              - pypi: {package: pyyaml, repo: https://my.index/simple}
              - requirements: requirements.txt

``${ENV_VAR}`` in any string value is replaced from the environment (``$${`` keeps a
literal ``${``). Local paths must stay inside the project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

import dltflow.deploy.settings as api_settings
from dltflow.config import StrictModel, conf_argument, validation_problems
from dltflow.configfile import check_path_text, read_config_file
from dltflow.deploy.env import expand_env_vars
from dltflow.deploy.secrets import SecretUse, find_literal_tokens
from dltflow.exceptions import ConfigError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REMOTE_PREFIXES = ("/Volumes/", "/Workspace/", "dbfs:/")


class PypiPackage(StrictModel):
    """A package from PyPI or another index.

    Fields: ``package`` (a pip requirement such as ``pyyaml>=6``), ``repo`` (index URL).
    """

    package: str = Field(pattern=r"^[^\s]+$")
    repo: str | None = Field(default=None, pattern=r"^[^\s]+$")


class Dependency(StrictModel):
    """One library for the pipeline: exactly one of ``whl`` (a path), ``pypi``, or
    ``requirements`` (a requirements file). A path in the project is uploaded with the
    artifacts; a ``/Volumes/``, ``/Workspace/`` or ``dbfs:/`` path is used as it is."""

    whl: str | None = None
    pypi: PypiPackage | None = None
    requirements: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Dependency:
        given = [v for v in (self.whl, self.pypi, self.requirements) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'whl', 'pypi' or 'requirements'")
        if self.path is not None and _CONTROL.search(self.path):
            raise ValueError("the path contains a control character")
        return self

    @property
    def path(self) -> str | None:
        """The ``whl`` or ``requirements`` path, if this dependency is a file."""
        return self.whl if self.whl is not None else self.requirements

    @property
    def is_local_file(self) -> bool:
        """A file in the project, uploaded with the artifacts (not a workspace path)."""
        return self.path is not None and not self.path.startswith(_REMOTE_PREFIXES)



SOURCE_SUFFIXES = (".py", ".sql")
"""What a ``folder`` task contributes: its Python and SQL files, as a pipeline's glob."""


class TaskItem(StrictModel):
    """One task: a pipeline class or DLT file the notebook runs (``python_file`` plus
    ``parameters`` or ``config_path``), or source files the pipeline runs itself as its
    ``libraries`` (``sql_file``, or a ``folder`` of ``.py`` and ``.sql`` files).

    Fields: ``python_file``, ``parameters`` (argv, e.g. ``["--conf", "conf/x.yml"]``),
    ``config_path``, ``class_name`` (when the file has several pipeline classes),
    ``launch_method`` (default: the project's, else ``register_datasets``); or
    ``sql_file``; or ``folder``.
    """

    python_file: str | None = None
    sql_file: str | None = None
    folder: str | None = None
    parameters: list[str] = Field(default_factory=list)
    config_path: str | None = None
    class_name: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    launch_method: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _one_source(self) -> TaskItem:
        given = [v for v in (self.python_file, self.sql_file, self.folder) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'python_file', 'sql_file' or 'folder'")
        if self.python_file is None and (self.parameters or self.config_path
                                         or self.class_name or self.launch_method):
            raise ValueError("'parameters', 'config_path', 'class_name' and 'launch_method' "
                             "belong to a python_file task")
        return self

    @property
    def is_library(self) -> bool:
        """Source files the pipeline runs itself (``sql_file``, ``folder``), not a task
        of the notebook."""
        return self.python_file is None

    @property
    def library_field(self) -> str:
        """``sql_file`` or ``folder``: the field naming a library task's source."""
        return "sql_file" if self.sql_file is not None else "folder"

    def library_files(self, root: Path) -> list[str]:
        """A library task's files, project-relative, sorted (a folder's ``.py`` and
        ``.sql`` files below it, leaving out hidden ones and ``__pycache__``)."""
        if self.sql_file is not None:
            return [_relative(root, self.sql_file)]
        if self.folder is None:
            return []
        base = (root / self.folder).resolve()
        found = []
        for path in sorted(base.rglob("*")):
            parts = path.relative_to(base).parts
            if path.is_file() and path.suffix in SOURCE_SUFFIXES and not any(
                    p.startswith((".", "_")) for p in parts[:-1]) \
                    and not parts[-1].startswith("."):
                found.append(path.relative_to(root.resolve()).as_posix())
        return found

    @property
    def conf_path(self) -> str | None:
        """``config_path``, else the value of ``--conf``/``--conf-file`` in ``parameters``."""
        return self.config_path or conf_argument(self.parameters)


class Tasks(StrictModel):
    """``items`` (at least one :class:`TaskItem`) and ``dependencies``."""

    items: list[TaskItem] = Field(min_length=1)
    dependencies: list[Dependency] = Field(default_factory=list)

    @property
    def code_items(self) -> list[TaskItem]:
        """The tasks the notebook runs (each has a ``python_file``)."""
        return [item for item in self.items if not item.is_library]


def _relative(root: Path, path: str) -> str:
    return (root / path).resolve().relative_to(root.resolve()).as_posix()


@dataclass(frozen=True)
class Workflow:
    """One pipeline: its API settings (``name`` included) and the tasks it runs.

    Args:
        name: the pipeline name from the settings.
        settings: Pipelines API settings, validated and normalized.
        tasks: what the rendered notebook runs.
    """

    name: str
    settings: dict[str, Any]
    tasks: Tasks


@dataclass(frozen=True)
class DeploymentSpec:
    """The workflows of one environment of one deployment file.

    Args:
        path: the deployment file.
        environment: the environment key.
        project_root: the folder local paths are relative to.
        workflows: the workflows, in file order.
        secrets: fields where a secret-looking value would be uploaded in plain text.
    """

    path: Path
    environment: str
    project_root: Path
    workflows: tuple[Workflow, ...]
    secrets: tuple[SecretUse, ...] = ()

    def select(self, names: str | Sequence[str] | None) -> tuple[Workflow, ...]:
        """All workflows, or those named (a :class:`ConfigError` for an unknown name)."""
        if not names:
            return self.workflows
        wanted = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in wanted if n not in {w.name for w in self.workflows}]
        if unknown:
            raise ConfigError(f"{self.environment}: no workflow named {unknown[0]!r}",
                              source=str(self.path),
                              hint=f"workflows here: {[w.name for w in self.workflows]}.")
        return tuple(w for w in self.workflows if w.name in wanted)


def workflow_label(spec: DeploymentSpec, workflow: Workflow) -> str:
    """``dev.workflows[0] (name=x)``: where a workflow is in its file, for messages."""
    index = next(i for i, wf in enumerate(spec.workflows) if wf.name == workflow.name)
    return f"{spec.environment}.workflows[{index}] (name={workflow.name})"


def load_deployment(path: str | Path, environment: str, *, project_root: str | Path,
                    environ: Mapping[str, str] | None = None) -> DeploymentSpec:
    """Read, substitute and validate one environment of a deployment file.

    Args:
        path: the YAML or JSON deployment file.
        environment: which top-level key to deploy.
        project_root: local paths must resolve inside this folder.
        environ: where ``${VAR}`` values come from (default ``os.environ``).

    Raises:
        ConfigError: naming the file, the workflow and the field, with a hint.
    """
    check_path_text(path, field="deployment file")
    check_path_text(project_root, field="project root")
    path, root = Path(path), Path(project_root).resolve()
    source = str(path)
    raw = read_config_file(path, field="deployment file")
    if isinstance(raw, Mapping) and set(raw) == {"environments"}:
        raw = raw["environments"]  # dbx-style files wrap environments in one key
    if not isinstance(raw, Mapping) or environment not in raw:
        known = sorted(map(str, raw)) if isinstance(raw, Mapping) else []
        raise ConfigError(f"no environment {environment!r}", source=source,
                          hint=f"environments in this file: {known}.")
    secrets = find_literal_tokens(raw[environment], environment)
    env = expand_env_vars(raw[environment], source=source, path=environment,
                          environ=environ, secrets=secrets)
    if not isinstance(env, Mapping) or not isinstance(env.get("workflows"), list):
        raise ConfigError(f"{environment}: field 'workflows': expected a list of workflows",
                          source=source, hint="write `workflows:` with `- name: ...` entries.")
    problems: list[str] = []
    workflows = [wf for i, entry in enumerate(env["workflows"])
                 if (wf := _workflow(entry, f"{environment}.workflows[{i}]", root, problems))]
    extra = sorted(str(key) for key in env if key != "workflows")  # keys may be any type
    if extra:
        problems.append(f"{environment}: unknown key(s) {extra}")
    names = [w.name for w in workflows]
    problems += [f"{environment}: two workflows named {n!r}"
                 for n in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise ConfigError(problems, source=source,
                          hint="fix the fields listed above; settings keys are those of the "
                               "Pipelines API (name, catalog, schema/target, configuration, ...).")
    return DeploymentSpec(path, environment, root, tuple(workflows), tuple(secrets))


def _workflow(entry: Any, where: str, root: Path, problems: list[str]) -> Workflow | None:
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected a mapping with 'name' and 'tasks'")
        return None
    name = entry.get("name")
    label = f"{where} (name={name})" if isinstance(name, str) else where
    before = len(problems)
    if not isinstance(name, str) or not name.strip() or _CONTROL.search(name):
        problems.append(f"{label}: field 'name': a one-line, non-empty name is required")
    settings = {k: v for k, v in entry.items() if k != "tasks"}
    problems += [f"{label}: {p}" for p in api_settings.settings_problems(settings)]
    problems += [f"{label}: {p}" for p in api_settings.rule_problems(settings)]
    if "tasks" not in entry:
        problems.append(f"{label}: field 'tasks': missing (give tasks.items)")
        return None
    try:
        tasks = Tasks.model_validate(entry["tasks"])
    except ValidationError as err:
        problems += [f"{label}: {p}" for p in validation_problems(
            err, entry["tasks"], prefix="tasks.", brackets=True)]
        return None
    problems += [f"{label}: {p}" for p in _path_problems(tasks, root)]
    if len(problems) > before:
        return None
    return Workflow(str(name), api_settings.normalize(settings), tasks)


def _path_problems(tasks: Tasks, root: Path) -> list[str]:
    problems = []
    for i, item in enumerate(tasks.items):
        if item.is_library:
            problem = _library_problem(root, item)
            if problem:
                problems.append(f"field 'tasks.items[{i}].{item.library_field}': {problem}")
            continue
        checks = [("python_file", str(item.python_file))]
        if item.conf_path is not None:
            field = "config_path" if item.config_path else "parameters"
            checks.append((field, item.conf_path))
        for field, rel in checks:
            problem = path_problem(root, rel)
            if problem:
                problems.append(f"field 'tasks.items[{i}].{field}': {problem}")
    for i, dep in enumerate(tasks.dependencies):
        if dep.is_local_file and dep.path is not None:
            problem = path_problem(root, dep.path)
            if problem:
                field = "whl" if dep.whl is not None else "requirements"
                problems.append(f"field 'tasks.dependencies[{i}].{field}': {problem}")
    return problems


def _library_problem(root: Path, item: TaskItem) -> str | None:
    """Why a ``sql_file`` or ``folder`` task cannot be deployed, or None."""
    if item.sql_file is not None:
        problem = path_problem(root, item.sql_file)
        if problem is None and not item.sql_file.endswith(".sql"):
            problem = f"{item.sql_file!r} is not a .sql file (use python_file for Python)"
        return problem
    folder = str(item.folder)
    if _CONTROL.search(folder):
        return f"{folder!r} contains a control character"
    candidate = (root / folder).resolve()
    if not candidate.is_relative_to(root.resolve()):
        return f"{folder!r} is outside the project folder {root}; paths must stay inside it"
    if not candidate.is_dir():
        return f"{folder!r} is not a folder (paths are relative to {root})"
    if not item.library_files(root):
        return f"{folder!r} holds no .py or .sql file"
    return None


def path_problem(root: Path, rel: str) -> str | None:
    """Why ``rel`` is not a usable file inside ``root``, or None when it is."""
    if _CONTROL.search(rel):
        return f"{rel!r} contains a control character"
    candidate = (root / rel).resolve()
    if not candidate.is_relative_to(root.resolve()):
        return f"{rel!r} is outside the project folder {root}; paths must stay inside it"
    if not candidate.is_file():
        return f"{rel!r} does not exist (paths are relative to {root})"
    return None
