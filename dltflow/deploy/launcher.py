"""What a deployed notebook runs, and the same thing for local runs.

:func:`launch` is the one code path from "a task in a deployment file" to "datasets
registered with the active pipeline backend": on Databricks the rendered notebook calls
it; locally :func:`pipeline_definers` wraps it so ``dltflow run`` (the local engine)
calls it inside its registration context. So "works locally" and "works deployed" are
the same code.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import ConfigError, DLTException

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def launch(spark: SparkSession | None, *, artifact_root: str, module: str, class_name: str,
           conf_path: str | None = None, parameters: Sequence[str] = (),
           launch_method: str | None = None, code_on_path: bool = True) -> Any:
    """Import a pipeline class from the artifacts, configure it, and launch it.

    Args:
        spark: the session (``spark`` in a notebook); None uses the active one.
        artifact_root: the folder holding the uploaded code and config.
        module: the class's module, importable from ``artifact_root``.
        class_name: the pipeline class.
        conf_path: its config (YAML/JSON), relative to ``artifact_root``.
        parameters: argv the class sees while it is constructed (``--conf ...``).
        launch_method: method to call; None calls ``instance.register_datasets()``.
        code_on_path: import ``module`` from ``artifact_root`` (loose files); False
            imports it as installed (the project's wheel), reading only config there.

    Returns:
        Whatever the launch method returns.

    Raises:
        ConfigError: the class, method or config cannot be found or is invalid.
    """
    root = str(Path(artifact_root))
    if code_on_path and root not in sys.path:
        sys.path.insert(0, root)
    if not class_name:  # a plain DLT source file: executed as Databricks runs it
        return _run_source(root, module, spark if spark is not None else _active_spark())
    cls = _import_class(root if code_on_path else None, module, class_name)
    conf = _load_conf(root, conf_path) if conf_path else None
    argv = [f"{module.replace('.', '/')}.py", *_rooted_conf_args(root, parameters)]
    with _argv(argv):
        instance = _instantiate(cls, spark if spark is not None else _active_spark(), conf)
    if launch_method is None:
        if not callable(getattr(instance, "register_datasets", None)):
            raise ConfigError(f"{class_name} is not a DLTMetaMixin and no launch_method is set",
                              source=f"{module}.{class_name}",
                              hint="set launch_method in the task or in dltflow.yml.")
        return instance.register_datasets()
    method = getattr(instance, launch_method, None)
    if not callable(method):
        raise ConfigError(f"field 'launch_method': {class_name} has no method {launch_method!r}",
                          source=f"{module}.{class_name}",
                          hint="set launch_method to a method of the class, or leave it out "
                               "to register the configured datasets.")
    return method()


def _run_source(root: str, module: str, spark: Any) -> None:
    import runpy

    path = Path(root) / f"{module.replace('.', '/')}.py"
    try:
        runpy.run_path(str(path), init_globals={"spark": spark}, run_name="__main__")
    except DLTException:
        raise
    except Exception as err:
        raise ConfigError(f"{path} failed while declaring its datasets: "
                          f"{type(err).__name__}: {err}", source=str(path),
                          hint="fix the error in the pipeline file.") from err


@dataclass(frozen=True)
class PipelineDefiner:
    """A task of a deployment file as a no-argument callable for the local engine.

    Called inside the engine's registration context, it does what the notebook cell does,
    with the project folder as the artifact folder and the active SparkSession.
    """

    workflow: str
    artifact_root: str
    module: str
    class_name: str
    conf_path: str | None
    parameters: tuple[str, ...]
    launch_method: str | None
    configuration: tuple[tuple[str, str], ...] = ()

    def __call__(self) -> None:
        if self.configuration:  # the workflow's `configuration:`, as on Databricks
            from dltflow.local.configuration import add_configuration

            add_configuration(_active_spark(), dict(self.configuration))
        launch(None, artifact_root=self.artifact_root, module=self.module,
               class_name=self.class_name, conf_path=self.conf_path,
               parameters=self.parameters, launch_method=self.launch_method)

    @property
    def __name__(self) -> str:  # progress lines and error messages name the task
        return f"{self.workflow}:{self.module}" + (f".{self.class_name}"
                                                   if self.class_name else "")


def pipeline_definers(deployment_file: str | Path, environment: str, *,
                      project_root: str | Path | None = None,
                      workflow: str | Sequence[str] | None = None) -> list[Callable[[], None]]:
    """The tasks of a deployment file's environment, as callables for the local engine.

    Args:
        deployment_file: the YAML/JSON deployment file.
        environment: the environment to run.
        project_root: the project folder (default: the folder holding ``dltflow.yml``
            above the deployment file, else the current directory).
        workflow: only this workflow, or these (default: all of the environment).

    Raises:
        ConfigError: the file, a workflow or a task is invalid.
    """
    from dltflow.deploy.resolve import resolve_tasks
    from dltflow.deploy.spec import load_deployment

    root = Path(project_root) if project_root is not None else find_project_root(
        Path(deployment_file))
    spec = load_deployment(deployment_file, environment, project_root=root)
    definers: list[Callable[[], None]] = []
    for wf in spec.select(workflow):
        for task in resolve_tasks(spec.project_root, wf,
                                  default_launch_method=project_launch_method(root)):
            definers.append(PipelineDefiner(wf.name, str(spec.project_root), task.module,
                                            task.class_name, task.conf_path, task.parameters,
                                            task.launch_method, _configuration(wf.settings)))
    return definers


def _configuration(settings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    values = settings.get("configuration") or {}
    return tuple((str(k), str(v)) for k, v in values.items())


def project_launch_method(root: Path) -> str | None:
    """The project's default launch method (``include.code.launch_method``), if any."""
    if not (root / "dltflow.yml").is_file():
        return None
    from dltflow.deploy.project import load_project

    return load_project(root).include.code.launch_method


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``dltflow.yml``; else the cwd."""
    from dltflow.deploy.project import find_project_root as _find

    return _find(start.parent if start.suffix else start) or Path.cwd().resolve()


def _import_class(root: str | None, module: str, class_name: str) -> type:
    if root is not None:
        _forget_stale(module, root)
    where = root or "the installed packages"
    try:
        imported = importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(f"cannot import {module} from {where}: {err}", source=module,
                          hint="check python_file, and that its dependencies are "
                               "installed.") from err
    except Exception as err:  # user code failing at import time: say where
        raise ConfigError(f"importing {module} from {where} failed: "
                          f"{type(err).__name__}: {err}", source=module,
                          hint="fix the error in the module's top-level code.") from err
    cls = getattr(imported, class_name, None)
    if not isinstance(cls, type):
        raise ConfigError(f"{module} has no class {class_name!r}", source=module,
                          hint="set class_name to a class defined in the task's python_file.")
    return cls


def _forget_stale(module: str, root: str) -> None:
    """Drop cached modules of the same package loaded from elsewhere.

    The notebook must run the uploaded code, never a same-named copy imported earlier in
    the process (another checkout, an older artifact folder).
    """
    top = module.split(".")[0]
    base = Path(root).resolve()
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        mod = sys.modules[name]
        files = [getattr(mod, "__file__", None), *list(getattr(mod, "__path__", []) or [])]
        located = [Path(f).resolve() for f in files if f]
        if located and not any(p.is_relative_to(base) for p in located):
            del sys.modules[name]
    importlib.invalidate_caches()


def _load_conf(root: str, conf_path: str) -> Any:
    from dltflow.configfile import read_config_file
    from dltflow.quality.config import load_dlt_config

    path = Path(root) / conf_path
    conf = read_config_file(path)
    if isinstance(conf, dict) and "dlt" in conf:
        load_dlt_config(conf, source=str(conf_path))  # errors name the file, not "<dict>"
    return conf


def _instantiate(cls: type, spark: Any, conf: Any) -> Any:
    """``cls(spark=..., init_conf=...)``, or the closest signature the class accepts."""
    # The class's own __init__: the metaclass's __call__ would show only (*args, **kwargs).
    init = cls.__init__  # type: ignore[misc]
    if init is object.__init__:
        return cls()
    try:
        params = dict(list(inspect.signature(init).parameters.items())[1:])
    except (TypeError, ValueError):
        return cls(spark=spark, init_conf=conf)
    names = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [n for n in names if params[n].default is params[n].empty]
    if any(p.kind is p.VAR_KEYWORD for p in params.values()) or {"spark", "init_conf"} <= set(
            names):
        return cls(spark=spark, init_conf=conf)
    if "init_conf" in names:
        others = [n for n in required if n != "init_conf"]
        return cls(spark, init_conf=conf) if len(others) == 1 else cls(init_conf=conf)
    if len(required) >= 2:
        return cls(spark, conf)
    if len(required) == 1:
        wants_spark = required[0] in ("spark", "session", "spark_session") or conf is None
        return cls(spark if wants_spark else conf)
    return cls(spark=spark) if "spark" in names else cls()


def _active_spark() -> Any:
    from pyspark.sql import SparkSession  # lazy: importing dltflow must not start pyspark

    active = SparkSession.getActiveSession()
    if active is None:
        raise DLTException("no active SparkSession: start one (dltflow.local.get_spark()) "
                           "before launching a pipeline locally.")
    return active


def _rooted_conf_args(root: str, parameters: Sequence[str]) -> list[str]:
    """``--conf x.yml`` relative to the artifacts: the cluster's cwd is somewhere else."""
    args = list(parameters)
    for i, arg in enumerate(args):
        if arg in ("--conf", "--conf-file") and i + 1 < len(args):
            if not Path(args[i + 1]).is_absolute():
                args[i + 1] = str(Path(root) / args[i + 1])
    return args


@contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    """Classes that read ``--conf`` from the command line see the task's parameters."""
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved
