"""What a deployed pipeline's notebook runs (on the cluster, not on the deployer's laptop).

The rendered notebook calls :func:`launch` once per task: import the pipeline class
from the uploaded artifacts, build it with its config (:func:`build_pipeline`), and
register its datasets with the active pipeline backend. ``dltflow run
--deployment-file`` runs the same function inside the local engine, so "works locally"
and "works deployed" are the same code.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.causes import defining_exit
from dltflow.config import conf_argument
from dltflow.configfile import read_config_file
from dltflow.definition_file import execute
from dltflow.exceptions import ConfigError, NoSparkSessionError
from dltflow.quality.construct import build_pipeline

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["launch"]


def launch(spark: SparkSession | None, *, artifact_root: str, module: str, class_name: str,
           conf_path: str | None = None, parameters: Sequence[str] = (),
           launch_method: str | None = None, code_on_path: bool = True) -> Any:
    """Import a pipeline class from the artifacts, configure it, and launch it.

    Args:
        spark: the session (``spark`` in a notebook); None uses the active one.
        artifact_root: the folder holding the uploaded code and config.
        module: the class's module, importable from ``artifact_root``.
        class_name: the pipeline class; empty for a plain DLT source file, which is
            executed with ``spark`` in its globals.
        conf_path: its config (YAML/JSON), relative to ``artifact_root``; default: the
            ``--conf`` of ``parameters``.
        parameters: the task's parameters; only ``--conf``/``--conf-file`` is read.
        launch_method: method to call; None calls ``instance.register_datasets()``.
        code_on_path: import ``module`` from ``artifact_root`` (loose files); False
            imports it as installed (the project's wheel), reading only config there.

    Returns:
        Whatever the launch method returns.

    Raises:
        ConfigError: the class, method or config cannot be found or is invalid.
        NoSparkSessionError: ``spark`` is None and no session is active.
    """
    root = str(Path(artifact_root))
    if code_on_path and root not in sys.path:
        sys.path.insert(0, root)
    if not class_name:  # a plain DLT source file: executed as Databricks runs it
        return _run_source(root, module, spark if spark is not None else _active_spark())
    cls = _import_class(root if code_on_path else None, module, class_name)
    conf_file = conf_path or conf_argument(parameters)
    conf = (read_config_file(Path(root) / conf_file, field="conf_path" if conf_path else "--conf")
            if conf_file else None)
    session = spark if spark is not None else _active_spark()
    instance: Any = build_pipeline(cls, session, conf, source=conf_file)
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
    execute(Path(root) / f"{module.replace('.', '/')}.py", spark)


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
    except SystemExit as err:
        raise defining_exit(module, err) from None
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


def _active_spark() -> Any:
    from pyspark.sql import SparkSession  # lazy: importing dltflow must not start pyspark

    active = SparkSession.getActiveSession()
    if active is None:
        raise NoSparkSessionError("launching a pipeline")
    return active
