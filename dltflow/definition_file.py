"""Executing a pipeline's Python source file, as Databricks executes one: ``spark`` in
its globals, run as ``__main__``.

The deployed notebook (:mod:`dltflow.runtime`) and the local engine
(:mod:`dltflow.local`) both load definition files through :func:`execute`, so a file
fails the same way in both: a ``sys.exit`` while defining and any error of the file's
own code are a :class:`~dltflow.exceptions.ConfigError` naming the file.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from dltflow.causes import defining_exit
from dltflow.exceptions import ConfigError, DLTException

__all__ = ["execute"]


def execute(path: str | Path, spark: Any) -> dict[str, Any]:
    """Run the file at ``path`` with ``spark`` in its globals; returns its namespace.

    Raises:
        ConfigError: the file called ``sys.exit`` or raised while declaring.
        DLTException: dltflow's own errors (a bad decorator argument), as they are.
    """
    try:
        return runpy.run_path(str(path), init_globals={"spark": spark}, run_name="__main__")
    except DLTException:
        raise
    except SystemExit as err:
        raise defining_exit(str(path), err) from None
    except Exception as err:
        raise ConfigError(f"{path} failed while declaring its datasets: "
                          f"{type(err).__name__}: {err}", source=str(path),
                          hint="fix the error in the pipeline file.") from err
