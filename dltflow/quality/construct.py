"""``build_pipeline``: the one way dltflow creates a pipeline instance from its config.

The local engine (a pipeline file with ``--conf``), the notebook runtime (a task of a
deployment file), and the pytest plugin all call it. The config travels as an object
(never through a temporary file or a patched ``sys.argv``): a path is read here, once,
so every error names the file.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from dltflow.causes import defining_exit
from dltflow.configfile import read_config_file
from dltflow.exceptions import ConfigError
from dltflow.quality.config import load_dlt_config
from dltflow.quality.dlt_meta import DLTMeta

__all__ = ["build_pipeline"]

T = TypeVar("T")
_SPARK_NAMES = ("spark", "session", "spark_session")


def build_pipeline(cls: type[T], spark: Any, config: Any = None, *,
                   source: str | None = None) -> T:
    """Create ``cls`` with ``spark`` and ``config``, whatever its ``__init__`` looks like.

    ``(spark, init_conf)`` by keyword when the class takes both; otherwise the closest
    signature it accepts (``(session, conf)`` positionally, ``(spark)`` alone, none).
    A ``DLTMetaMixin`` class whose ``__init__`` does not take the config still gets it:
    the metaclass takes ``init_conf`` for itself.

    Args:
        cls: the pipeline class.
        spark: the SparkSession its methods use.
        config: the config (a mapping, a pydantic model, or a YAML/JSON path), or None
            when the class finds its own (an attribute, ``--conf`` on the command line).
        source: the name errors give the config (default: the path, else ``<dict>``).

    Returns:
        The instance, its configured methods bound as datasets.

    Raises:
        ConfigError: the config is invalid, or the class cannot be created.
    """
    if isinstance(config, (str, Path)):
        source = source or str(config)
        config = read_config_file(config, field="config")
    if isinstance(config, Mapping) and "dlt" in config:
        load_dlt_config(config, source=source)  # errors name the file, not "<dict>"
    try:
        return _call(cls, spark, config)
    except SystemExit as err:
        raise defining_exit(f"{cls.__qualname__}(...)", err) from None
    except TypeError as err:
        raise ConfigError(f"cannot create {cls.__name__}(spark, config): {err}",
                          source=source or cls.__qualname__,
                          hint="give __init__ the parameters (spark, init_conf), or create "
                               "the instance yourself and pass it to run().") from err


def _call(cls: type[T], spark: Any, conf: Any) -> T:
    # To the metaclass only: the class's own __init__ does not take it.
    meta: dict[str, Any] = ({"init_conf": conf}
                            if conf is not None and isinstance(cls, DLTMeta) else {})
    init = cls.__init__  # the class's own, not the metaclass's
    if init is object.__init__:
        return cls(**meta)
    try:
        params = dict(list(inspect.signature(init).parameters.items())[1:])
    except (TypeError, ValueError):
        return cls(spark=spark, init_conf=conf)  # type: ignore[call-arg]
    names = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [n for n in names if params[n].default is params[n].empty]
    if any(p.kind is p.VAR_KEYWORD for p in params.values()) or {"spark", "init_conf"} <= set(
            names):
        return cls(spark=spark, init_conf=conf)  # type: ignore[call-arg]
    if "init_conf" in names:
        others = [n for n in required if n != "init_conf"]
        return (cls(spark, init_conf=conf) if len(others) == 1  # type: ignore[call-arg]
                else cls(init_conf=conf))  # type: ignore[call-arg]
    if len(required) >= 2:
        return cls(spark, conf)  # type: ignore[call-arg]
    if len(required) == 1:
        if required[0] in _SPARK_NAMES or conf is None:
            return cls(spark, **meta)  # type: ignore[call-arg]
        return cls(conf)  # type: ignore[call-arg]
    return cls(spark=spark, **meta) if "spark" in names else cls(**meta)  # type: ignore[call-arg]
