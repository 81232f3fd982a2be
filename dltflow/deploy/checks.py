"""Checks a deployment must pass before dltflow makes a single workspace call.

The settings keys and their combinations are checked when the deployment file is loaded
(:mod:`dltflow.deploy.settings`); this module adds what needs the project's files: each
task's pipeline config is loaded and validated exactly as a local run would, and every
``func_name`` must be a method of the task's class, found by parsing the source (never
importing it). ``dltflow validate`` runs the same checks with no workspace at all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.deploy.resolve import base_name, project_relative, resolve_task
from dltflow.deploy.settings import did_you_mean
from dltflow.deploy.spec import DeploymentSpec, TaskItem, Workflow, workflow_label
from dltflow.exceptions import ConfigError

if TYPE_CHECKING:
    from dltflow.deploy.files import UploadRules

_KNOWN_BASES = frozenset({"DLTMetaMixin", "object", "ABC"})

#: Settings whose change makes Databricks drop and recreate the pipeline's tables.
RECREATING_KEYS = ("catalog", "storage")


def check_deployment(spec: DeploymentSpec, workflows: Sequence[Workflow] | None = None, *,
                     default_launch_method: str | None = None,
                     include_files: Sequence[str] = (),
                     artifact_path: str | None = None) -> None:
    """Raise one :class:`ConfigError` listing every task problem of ``workflows``.

    Args:
        spec: the loaded deployment file environment (its settings are already checked).
        workflows: which workflows (default: all of the environment).
        default_launch_method: the project's launch method, for tasks that set none.
        include_files: ``include.files`` of ``dltflow.yml``; a config the upload rules
            leave out is not read here (the plan reports it as such).
        artifact_path: where artifacts go; serverless compute cannot read ``dbfs:/``.

    Raises:
        ConfigError: naming the deployment file, the workflow, the task field and, for a
            config problem, the config file and its entry.
    """
    from dltflow.deploy.files import UploadRules

    rules = UploadRules(spec.project_root, include_files)
    problems: list[str] = []
    for wf in workflows if workflows is not None else spec.workflows:
        for i, item in enumerate(wf.tasks.items):
            where = workflow_label(spec, wf)
            if item.is_library:
                problems += [f"{where}: field 'tasks.items[{i}].{item.library_field}' {p}"
                             for p in sql_problems(spec.project_root, item,
                                                   wf.settings.get("configuration"))]
                continue
            problems += [f"{where}: field 'tasks.items[{i}].{field}' {p}" for field, p in
                         task_problems(spec.project_root, item, default_launch_method, rules)]
        if wf.settings.get("serverless") is True and (artifact_path or "").startswith("dbfs:"):
            problems.append(f"{workflow_label(spec, wf)}: field 'serverless': serverless "
                            f"compute cannot read DBFS, where artifact_path {artifact_path!r} "
                            "puts the code; use a /Workspace/... or /Volumes/... artifact_path")
    if problems:
        raise ConfigError(problems, source=str(spec.path),
                          hint="fix the task's config or class, then run `dltflow validate` "
                               "again; nothing was uploaded.")


def sql_problems(root: Path, item: TaskItem,
                 configuration: Mapping[str, Any] | None = None) -> list[str]:
    """A library task's SQL files that do not parse, each with its line and the
    parser's message; ``${key}`` reads the workflow's ``configuration`` (Python files of
    a folder are run, not checked, here)."""
    from dltflow.sql import SqlParseError, parse_text

    problems = []
    for rel in item.library_files(root):
        if not rel.endswith(".sql"):
            continue
        try:
            parse_text((root / rel).read_text(encoding="utf-8"), rel,
                       {str(k): str(v) for k, v in (configuration or {}).items()})
        except SqlParseError as err:
            problems.append(f"({rel}): {err}")
    return problems


def task_problems(root: Path, item: TaskItem, default_launch_method: str | None = None,
                  rules: UploadRules | None = None) -> list[tuple[str, str]]:
    """Problems of one task (its class, its config, the config's methods) by field."""
    python_file = project_relative(root, str(item.python_file))
    try:
        resolved = resolve_task(root, python_file, item.class_name, default_launch_method)
    except ConfigError as err:
        return [("python_file", f"({python_file}): {p}") for p in err.problems]
    if item.conf_path is None:
        return []
    field = "config_path" if item.config_path else "parameters"
    conf_file = project_relative(root, item.conf_path)
    if rules is not None and rules.excluded_by(conf_file) is not None:
        return []  # never uploaded: the plan reports it, and it is not read here
    try:
        entries = _dlt_entries(root / conf_file, conf_file)
    except ConfigError as err:
        return [(field, f"({conf_file}): {p}") for p in err.problems]
    methods = class_methods(root / python_file, resolved.class_name)
    if methods is None:  # an imported base may define them; the launch will tell
        return []
    return [(field, f"({conf_file}): dlt[{i}].func_name: {resolved.class_name} has no "
                    f"method {name!r}" + did_you_mean(name, methods))
            for i, name in entries if name not in methods]


def _dlt_entries(path: Path, source: str) -> list[tuple[int, str]]:
    from dltflow.configfile import read_config_file
    from dltflow.quality.config import load_dlt_config

    conf = read_config_file(path)
    if not isinstance(conf, Mapping) or "dlt" not in conf:
        return []  # a class may read its own config; launch() does the same
    loaded = load_dlt_config(conf, source=source)
    return [(i, entry.func_name) for i, entry in enumerate(loaded.dlt)]


def class_methods(python_file: Path, class_name: str) -> set[str] | None:
    """Names a class defines or inherits within its file; None when a base is imported."""
    try:
        tree = ast.parse(python_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    names: set[str] = set()
    todo, seen = [class_name], set()
    while todo:
        node = classes.get(todo.pop())
        if node is None:
            return None
        if node.name in seen:
            continue
        seen.add(node.name)
        names.update(_defined(node.body))
        for base in node.bases:
            written = base_name(base)
            if written in _KNOWN_BASES:
                continue
            if written is None or written not in classes:
                return None
            todo.append(written)
    return names


def _defined(body: Iterable[ast.stmt]) -> set[str]:
    names = set()
    for item in body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)
        elif isinstance(item, ast.Assign):
            names.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return names




def recreate_problems(desired: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Changes of ``catalog``/``storage`` against an existing pipeline's settings."""
    problems = []
    for key in RECREATING_KEYS:
        if key not in desired and key not in current:
            continue
        old, new = current.get(key), desired.get(key)
        if key == "storage" and new is None:
            continue  # the server filled in a default storage location; nothing changes
        if old != new:
            problems.append(f"field '{key}': {old!r} -> {new!r} makes Databricks recreate "
                            "the pipeline's tables (their data is dropped)")
    return problems
