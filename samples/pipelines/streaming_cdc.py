"""Change events streamed from a landing folder into an SCD type 2 history table.

Users' change events (``INSERT`` / ``UPDATE`` / ``DELETE`` with a ``sequenceNum``)
arrive as JSON files in a landing folder. ``user_changes`` streams the folder
(``spark.readStream``) and the config (``conf/streaming_cdc.yml``) applies the events
with ``apply_chg_config`` to the streaming table ``users_history``, stored as SCD
type 2: every version of a user with ``__START_AT`` / ``__END_AT``. Events may arrive
late and out of order; they are placed by their sequence number. A second
``dltflow run`` processes only files that arrived since the first; ``--full-refresh``
rebuilds the table from every file.

The data is DLT's documented CDC example: the first run sees ``FIRST_EVENTS`` (seeded
when the landing folder is missing); drop ``LATE_EVENTS`` with :func:`write_batch`
and run again to get the documented history table::

    dltflow run samples/pipelines/streaming_cdc.py --conf conf/streaming_cdc.yml
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from dltflow.local import DEFAULT_WAREHOUSE, current_warehouse
from dltflow.quality import DLTMetaMixin

CHANGE_SCHEMA = "userId long, name string, city string, operation string, sequenceNum long"
_FIELDS = ["userId", "name", "city", "operation", "sequenceNum"]
FIRST_EVENTS: list[tuple[Any, ...]] = [
    (124, "Raul", "Oaxaca", "INSERT", 1),
    (123, "Isabel", "Monterrey", "INSERT", 1),
    (125, "Mercedes", "Tijuana", "INSERT", 2),
    (126, "Lily", "Cancun", "INSERT", 2),
    (123, None, None, "DELETE", 6),
    (125, "Mercedes", "Guadalajara", "UPDATE", 6),
]
LATE_EVENTS: list[tuple[Any, ...]] = [  # older than what the target already holds
    (125, "Mercedes", "Mexicali", "UPDATE", 5),
    (123, "Isabel", "Chihuahua", "UPDATE", 5),
]


def write_batch(landing: Path, name: str, events: list[tuple[Any, ...]]) -> None:
    """Drop one JSON file of change events into the landing folder (atomically)."""
    landing.mkdir(parents=True, exist_ok=True)
    staged = landing / f".{name}.tmp"
    staged.write_text("".join(json.dumps(dict(zip(_FIELDS, e, strict=True))) + "\n"
                              for e in events), encoding="utf-8")
    staged.replace(landing / f"{name}.json")  # a rename: streams never see half a file


class StreamingCdcPipeline(DLTMetaMixin):
    """Users' change events applied to an SCD type 2 table."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any] | str | None = None
                 ) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def landing(self) -> Path:
        """The landing folder (``reader.landing_dir``, relative to the run's warehouse),
        seeded with the first events when missing; absolute, because Spark resolves
        relative paths from its own working directory."""
        reader = self.pipeline_config.get("reader") or {}  # the config's own section
        configured = Path(reader.get("landing_dir", "cdc_landing"))
        folder = (Path(current_warehouse() or DEFAULT_WAREHOUSE) / configured).resolve()
        if not folder.exists():
            write_batch(folder, "changes-0001", FIRST_EVENTS)
        return folder

    def user_changes(self) -> DataFrame:
        return self.spark.readStream.schema(CHANGE_SCHEMA).json(str(self.landing()))
