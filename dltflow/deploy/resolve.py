"""Find the pipeline class of a task by reading its source, never by importing it.

Importing user code at deploy time would run it on the laptop (and need its
dependencies there); parsing with :mod:`ast` needs neither. A class is a pipeline class
when it names ``DLTMetaMixin`` among its bases, directly or through another class of the
same file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dltflow.deploy.notebook import NotebookTask
from dltflow.deploy.spec import Workflow
from dltflow.exceptions import ConfigError

_MIXIN = "DLTMetaMixin"
PLAIN_SOURCE = ""
"""The ``class_name`` of a task whose file is a plain DLT source (``import dlt``, no class):
the notebook executes the file itself."""


@dataclass(frozen=True)
class ResolvedTask:
    """Where a task's pipeline class lives.

    Args:
        module: the dotted module name, relative to the project root.
        class_name: the class to instantiate.
    """

    module: str
    class_name: str
    launch_method: str | None = None


def module_name(python_file: str) -> str:
    """``pkg/pipelines/simple.py`` -> ``pkg.pipelines.simple``."""
    parts = PurePosixPath(python_file.replace("\\", "/")).with_suffix("").parts
    parts = tuple(p for p in parts if p not in ("", "."))
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isascii() and p.isidentifier() for p in parts):
        raise ConfigError(f"python_file {python_file!r} is not importable as a module",
                          source=python_file,
                          hint="every folder and the file name must be ASCII Python "
                               "identifiers (letters, digits, _), as the deployed notebook "
                               "imports it by name.")
    return ".".join(parts)


def resolve_task(root: Path, python_file: str, class_name: str | None = None,
                 launch_method: str | None = None) -> ResolvedTask:
    """The module and pipeline class of ``python_file`` (relative to ``root``).

    Args:
        root: the project root.
        python_file: the task's file, relative to ``root``.
        class_name: the class to use when the file has several.
        launch_method: a default launch method; kept in the result only when the class
            may have it (a class of the file without it falls back to registering).

    Raises:
        ConfigError: the file does not parse, has no pipeline class, has several and
            ``class_name`` is not given, or has no class ``class_name``.
    """
    path = root / python_file
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError) as err:
        raise ConfigError(f"cannot parse {python_file}: {err}", source=python_file,
                          hint="the task's python_file must be valid Python.") from None
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    pipelines = _pipeline_classes(classes)
    module = module_name(python_file)
    if class_name is not None:
        if class_name not in classes:
            raise ConfigError(f"field 'class_name': {python_file} defines no class "
                              f"{class_name!r}", source=python_file,
                              hint=f"classes in the file: {sorted(classes)}.")
        return ResolvedTask(module, class_name, _maybe(classes, class_name, launch_method))
    if len(pipelines) == 1:
        return ResolvedTask(module, pipelines[0], _maybe(classes, pipelines[0], launch_method))
    if not pipelines and _declares_with_dlt(tree):
        return ResolvedTask(module, PLAIN_SOURCE)  # a plain DLT source file: run as is
    if not pipelines:
        raise ConfigError(f"{python_file} defines no {_MIXIN} subclass", source=python_file,
                          hint=f"subclass {_MIXIN} (from dltflow.quality import {_MIXIN}), "
                               "or set class_name for a class whose base is imported.")
    raise ConfigError(f"{python_file} defines several pipeline classes: {pipelines}",
                      source=python_file,
                      hint="set class_name in the task to choose one.")


def _declares_with_dlt(tree: ast.Module) -> bool:
    """Whether the file imports ``dlt`` or ``pyspark.pipelines`` (a plain DLT source)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
                a.name in ("dlt", "pyspark.pipelines") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (
                node.module in ("dlt", "pyspark.pipelines")
                or (node.module == "pyspark" and any(a.name == "pipelines"
                                                     for a in node.names))):
            return True
    return False


def _maybe(classes: dict[str, ast.ClassDef], name: str, method: str | None) -> str | None:
    """``method`` if class ``name`` defines or may inherit it, else None."""
    if method is None:
        return None
    todo, seen = [name], set()
    while todo:
        node = classes.get(todo.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if any(isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign))
               and _defines(item, method) for item in node.body):
            return method
        for base in map(base_name, node.bases):
            if base not in classes and base not in (_MIXIN, "object", "ABC"):
                return method  # an imported base may define it; launch will tell
            todo.append(str(base))
    return None


def _defines(item: ast.stmt, method: str) -> bool:
    if isinstance(item, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == method for t in item.targets)
    return getattr(item, "name", None) == method


def _pipeline_classes(classes: dict[str, ast.ClassDef]) -> list[str]:
    found: set[str] = set()
    changed = True
    while changed:  # a class whose base is a pipeline class of this file is one too
        changed = False
        for name, node in classes.items():
            if name not in found and any(base_name(b) in found | {_MIXIN} for b in node.bases):
                found.add(name)
                changed = True
    return [name for name in classes if name in found]


def base_name(node: ast.expr) -> str | None:
    """The name a class base is written with (``Mixin``, ``mod.Mixin``, ``Base[T]``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return base_name(node.value)
    return None


def resolve_tasks(root: Path, workflow: Workflow, *,
                  default_launch_method: str | None = None) -> list[NotebookTask]:
    """Every task of ``workflow`` resolved to what the notebook launches.

    Args:
        root: the project root (paths in the workflow are relative to it).
        workflow: a validated workflow.
        default_launch_method: the project's launch method, for tasks that set none.
    """
    tasks = []
    for item in workflow.tasks.code_items:  # sql_file / folder tasks are libraries
        resolved = resolve_task(root, project_relative(root, str(item.python_file)),
                                item.class_name,
                                default_launch_method)
        conf = item.conf_path
        tasks.append(NotebookTask(
            module=resolved.module,
            class_name=resolved.class_name,
            conf_path=project_relative(root, conf) if conf else None,
            parameters=tuple(item.parameters),
            launch_method=item.launch_method or resolved.launch_method,
        ))
    return tasks


def project_relative(root: Path, path: str) -> str:
    """``path`` (relative to ``root``, already checked to be inside it) in POSIX form."""
    return (root / path).resolve().relative_to(root.resolve()).as_posix()
