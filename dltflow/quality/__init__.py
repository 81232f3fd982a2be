"""Public authoring API: ``from dltflow.quality import DLTMetaMixin``."""

from dltflow.exceptions import (
    ConfigError,
    DatasetFailed,
    DLTException,
    ExpectationFailed,
    GraphError,
)
from dltflow.quality.config import (
    AppendConfig,
    ApplyChangesConfig,
    DLTConfig,
    DLTConfigs,
    Expectation,
    WriteOpts,
    load_dlt_config,
)
from dltflow.quality.construct import build_pipeline
from dltflow.quality.dlt_meta import DLTMetaMixin

__all__ = [
    "AppendConfig", "ApplyChangesConfig", "ConfigError", "DLTConfig", "DLTConfigs",
    "DLTException", "DLTMetaMixin", "DatasetFailed",
    "Expectation", "ExpectationFailed", "GraphError", "WriteOpts", "build_pipeline",
    "load_dlt_config",
]
