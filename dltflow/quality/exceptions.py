"""Re-exports of dltflow's exceptions under their original import path."""

from dltflow.exceptions import (
    ConfigError,
    DatasetFailed,
    DLTException,
    ExpectationFailed,
    GraphError,
)

__all__ = ["ConfigError", "DLTException", "DatasetFailed", "ExpectationFailed", "GraphError"]
