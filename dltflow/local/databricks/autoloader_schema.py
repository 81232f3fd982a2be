"""Auto Loader's schema rules, locally: inference, hints, evolution, the rescued data column.

Auto Loader infers a schema from the files (JSON and CSV columns as strings unless
``cloudFiles.inferColumnTypes``), applies ``cloudFiles.schemaHints``, keeps the schema
in ``cloudFiles.schemaLocation`` (``_schemas/<n>``, one file per version) and evolves it
by ``cloudFiles.schemaEvolutionMode``:

* ``addNewColumns`` (the default without a given schema): new columns are added at the
  end; on Databricks the stream stops and the pipeline restarts it, locally the next
  stream start (the next run) simply sees them;
* ``rescue``: the schema never changes, new columns go to ``_rescued_data``;
* ``failOnNewColumns``: new columns stop the update with an error naming them;
* ``none``: new columns are ignored.

Values that do not fit their column's type, and columns the schema does not hold, are
kept as a JSON object in ``_rescued_data`` (with ``_file_path``), never lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import ConfigError, DLTException

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructField, StructType

RESCUED = "_rescued_data"
EVOLUTION_MODES = ("addNewColumns", "rescue", "failOnNewColumns", "none")
STRING_FORMATS = ("json", "csv")


class NewColumnsFound(DLTException):
    """``schemaEvolutionMode=failOnNewColumns`` and the files hold new columns.

    Args:
        path: the Auto Loader source folder.
        columns: the new columns.
    """

    def __init__(self, path: str, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        super().__init__(f"Auto Loader found new column(s) in {path}: {', '.join(columns)} "
                         "(cloudFiles.schemaEvolutionMode=failOnNewColumns)\nHint: add them "
                         "to the schema or cloudFiles.schemaHints, or use addNewColumns.")


@dataclass(frozen=True)
class SchemaChoice:
    """The schemas one stream start works with.

    Args:
        read: what the file reader is given (JSON/CSV columns as strings, so no value
            is lost to a parse error).
        target: what the stream returns, without the rescued data column.
        rescue: the rescued data column's name, or None.
    """

    read: StructType
    target: StructType
    rescue: str | None


def _store_dir(location: Path) -> Path:
    return location / "_schemas"


def load_stored(location: Path | None) -> StructType | None:
    """The latest schema version kept in ``location``, or None."""
    from pyspark.sql.types import StructType

    if location is None or not _store_dir(location).is_dir():
        return None
    versions = sorted((p for p in _store_dir(location).iterdir() if p.name.isdigit()),
                      key=lambda p: int(p.name))
    if not versions:
        return None
    return StructType.fromJson(json.loads(versions[-1].read_text(encoding="utf-8")))


def store(location: Path, schema: StructType) -> None:
    """Keep ``schema`` as the next version in ``location`` (when it changed)."""
    if load_stored(location) == schema:
        return
    folder = _store_dir(location)
    folder.mkdir(parents=True, exist_ok=True)
    number = len([p for p in folder.iterdir() if p.name.isdigit()])
    tmp = folder / f".{number}.tmp"
    tmp.write_text(json.dumps(schema.jsonValue()), encoding="utf-8")
    tmp.replace(folder / str(number))


def parse_hints(spark: SparkSession, hints: str | None) -> dict[str, DataType]:
    """``"a INT, b STRING"`` as name -> type."""
    if not hints:
        return {}
    try:
        parsed = spark.createDataFrame([], hints).schema
    except Exception as err:  # noqa: BLE001 - Spark's parse error says what is wrong
        raise ConfigError(f"cloudFiles.schemaHints {hints!r} is not a column list: "
                          f"{str(err).strip().splitlines()[0]}",
                          hint="write it as DDL: 'id BIGINT, amount DECIMAL(10,2)'.") from err
    return {f.name: f.dataType for f in parsed.fields}


def infer(spark: SparkSession, fmt: str, path: str, options: Mapping[str, str],
          infer_types: bool) -> StructType | None:
    """The schema of the files now in ``path``; None when there are none."""
    from pyspark.sql.types import StringType, StructField, StructType

    if fmt in STRING_FORMATS and fmt == "csv":
        options = {**options, "inferSchema": "true" if infer_types else "false"}
    try:
        found = spark.read.format(fmt).options(**options).load(path).schema
    except Exception as err:  # noqa: BLE001 - no files, or none readable yet
        text = str(err)
        if "UNABLE_TO_INFER_SCHEMA" in text or "PATH_NOT_FOUND" in text \
                or "Unable to infer schema" in text:
            return None
        raise
    if fmt == "json":  # Spark orders inferred JSON fields by name; Sail keeps file order
        found = StructType(sorted(found.fields, key=lambda f: f.name))
    if fmt in STRING_FORMATS and not infer_types:
        return StructType([StructField(f.name, StringType()) for f in found.fields])
    return found


def _field(name: str, data_type: DataType) -> StructField:
    from pyspark.sql.types import StructField

    return StructField(name, data_type, True)


def choose(spark: SparkSession, *, fmt: str, path: str, options: Mapping[str, str],
           given: StructType | None, stored: StructType | None, infer_types: bool,
           hints: str | None, mode: str | None, rescue: str | None) -> SchemaChoice:
    """Decide the stream's schema from the given, stored and inferred schemas.

    Raises:
        ConfigError: no schema can be found (no files yet, none given).
        NewColumnsFound: ``failOnNewColumns`` and the files have new columns.
    """
    from pyspark.sql.types import StringType, StructType

    found = None if given is not None else infer(spark, fmt, path, options, infer_types)
    if given is not None:
        base, mode = given, mode or "none"
    elif stored is not None:
        base = stored
    elif found is not None:
        base = found
    else:
        raise ConfigError(f"Auto Loader cannot infer a schema: {path} holds no "
                          f"{fmt} files yet",
                          hint="add a file, or give the schema with .schema(...) or "
                               "cloudFiles.schemaHints plus cloudFiles.schemaLocation.")
    mode = mode or "addNewColumns"
    if rescue is None and given is None and mode != "none":
        rescue = RESCUED
    fields = [f for f in base.fields if f.name != rescue]
    known = {f.name for f in fields}
    new = [f for f in (found.fields if found is not None else []) if f.name not in known
           and f.name != rescue]
    if new and mode == "failOnNewColumns" and stored is not None:
        raise NewColumnsFound(path, [f.name for f in new])
    if mode == "addNewColumns":
        fields += new
    for name, data_type in parse_hints(spark, hints).items():
        fields = [_field(name, data_type) if f.name == name else f for f in fields]
        if name not in {f.name for f in fields}:
            fields.append(_field(name, data_type))
    target = StructType(fields)
    extras = [f for f in (found.fields if found is not None else [])
              if f.name not in {t.name for t in fields}] if rescue else []
    read_fields = fields + extras
    if fmt in STRING_FORMATS:
        read = StructType([_field(f.name, StringType()) for f in read_fields])
    else:
        read = StructType(read_fields)
    return SchemaChoice(read, target, rescue)


def _as_text(column: Column, data_type: DataType) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StringType, StructType

    if isinstance(data_type, StringType):
        return column
    if isinstance(data_type, (StructType, ArrayType, MapType)):
        return F.to_json(column)
    return column.cast("string")


def _typed(raw: Column, read_type: DataType, target: DataType) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StringType, StructType

    if read_type == target:
        return raw
    if isinstance(read_type, StringType) and isinstance(target, (StructType, ArrayType,
                                                                 MapType)):
        return F.from_json(raw, target)
    return raw.try_cast(target)


FILE_PATH = "__dltflow_file_path"
"""A column naming each row's file, which the engine adds where the session has no
``_metadata`` columns (Sail)."""


def project(df: DataFrame, choice: SchemaChoice) -> DataFrame:
    """Typed target columns, plus the rescued data column when there is one."""
    from pyspark.sql import functions as F

    read_types = {f.name: f.dataType for f in choice.read.fields}
    columns, rescued = [], []
    for field in choice.target.fields:
        raw = F.col(f"`{field.name}`")
        value = _typed(raw, read_types[field.name], field.dataType)
        columns.append(value.alias(field.name))
        if choice.rescue and read_types[field.name] != field.dataType:
            lost = raw.isNotNull() & value.isNull()
            rescued.append((field.name, F.when(lost, _as_text(raw, read_types[field.name]))))
    if choice.rescue:
        target = {f.name for f in choice.target.fields}
        rescued += [(f.name, _as_text(F.col(f"`{f.name}`"), f.dataType))
                    for f in choice.read.fields if f.name not in target]
        path = F.col(FILE_PATH) if FILE_PATH in df.columns else F.col("_metadata.file_path")
        columns.append(_rescued_column(rescued, path).alias(choice.rescue))
    return df.select(*columns)


def _rescued_column(entries: list[tuple[str, Column]], path: Column) -> Column:
    from pyspark.sql import functions as F

    if not entries:
        return F.lit(None).cast("string")
    pairs = F.array(*[F.struct(F.lit(name).alias("key"), value.alias("value"))
                      for name, value in entries])
    kept = F.map_from_entries(F.filter(pairs, lambda e: e["value"].isNotNull()))
    with_path = F.map_concat(kept, F.create_map(F.lit("_file_path"), path))
    return F.when(F.size(kept) > 0, F.to_json(with_path))
