"""Catalog registration: ``<schema>.<name>`` in the session catalog points at a table's
current version (re-pointed on each switch). A classic session's catalog is asked
directly through py4j (a fraction of what the ``spark.catalog`` API costs); on Spark
Connect the public API is used.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dltflow.local.storage.layout import META_FILE, TableLayout, _is_name, _quote

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


def _ddl(schema: StructType) -> str:
    return ", ".join(f"{_quote(f.name)} {f.dataType.simpleString()}" for f in schema.fields)


_own_statement: ContextVar[bool] = ContextVar("dltflow_own_sql", default=False)


def running_own_sql() -> bool:
    """Whether the ``spark.sql`` call in progress is dltflow's own catalog DDL, which the
    ``LIVE.`` rewriting of pipeline SQL (:mod:`dltflow.local.databricks.live`) leaves
    alone: its names are the warehouse's, and parsing it would cost a SQL parse per
    statement, two per published table."""
    return _own_statement.get()


class CatalogTables(TableLayout):
    """Registers the tables of a warehouse schema in the session catalog."""

    def _own_sql(self, statement: str) -> None:
        token = _own_statement.set(True)
        try:
            self.spark.sql(statement)
        finally:
            _own_statement.reset(token)

    def _qualified(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_quote(name)}"

    def ensure_schema(self) -> None:
        """Create the target schema in the session catalog when it is missing.

        A classic session is asked first (through py4j a lookup costs less than DDL); on
        Spark Connect the statement is one round trip, where the catalog API's lookup
        costs more (it fetches its answer as a table).
        """
        if self._jvm_catalog is not None and self._jvm_catalog[0].databaseExists(self.schema):
            return
        self._own_sql(f"CREATE DATABASE IF NOT EXISTS {_quote(self.schema)}")

    def register(self, name: str) -> None:
        """(Re-)point ``<schema>.<name>`` at the current version."""
        path, schema = self.path(name), self.stored_schema(name)
        if path is None or schema is None or not schema.fields:
            return  # nothing to publish yet (a flow-only table before its first batch)
        partition_cols = self.meta(name).get("partition_cols") or []
        qualified = self._qualified(name)
        location = str(path).replace("\\", "\\\\").replace("'", "\\'")
        if self._relocatable(name, schema, partition_cols):
            self._own_sql(f"ALTER TABLE {qualified} SET LOCATION '{location}'")
            return
        delta = self.format_of(name) == "delta"
        if delta:  # the log holds the schema (and nullability)
            create = f"CREATE TABLE {qualified} USING delta LOCATION '{location}'"
        else:
            partitioned = (f" PARTITIONED BY ({', '.join(map(_quote, partition_cols))})"
                           if partition_cols else "")
            create = (f"CREATE TABLE {qualified} ({_ddl(schema)}) USING parquet"
                      f"{partitioned} LOCATION '{location}'")
        self._replace_entry(name, create)
        if partition_cols and not delta:
            self._own_sql(f"ALTER TABLE {qualified} RECOVER PARTITIONS")

    def _replace_entry(self, name: str, create: str) -> None:
        """Run ``create`` in place of the catalog entry of ``name``, if there is one.

        An entry this warehouse did not register in this session is rare (a first run,
        or after ``register_existing`` found it missing), so ``create`` is tried
        first and the entry dropped only when it is there: one statement per table
        instead of two on a first run.
        """
        from pyspark.errors import AnalysisException

        if self._maybe_registered(name):
            self._own_sql(f"DROP TABLE IF EXISTS {self._qualified(name)}")
        try:
            self._own_sql(create)
        except AnalysisException as err:
            if not _already_exists(err):
                raise
            self._own_sql(f"DROP TABLE IF EXISTS {self._qualified(name)}")
            self._own_sql(create)
        self._registered.add(name)

    def _maybe_registered(self, name: str) -> bool:
        """Whether ``<schema>.<name>`` may be in the session catalog: a classic session
        is asked (through py4j, cheaply); on Spark Connect, whether this warehouse
        registered it or found it registered."""
        if self._jvm_catalog is not None:
            return self._in_catalog(name)
        return name in self._registered

    @cached_property
    def _registered(self) -> set[str]:
        """The names this warehouse registered, or found registered, in this session."""
        return set()

    @cached_property
    def _jvm_catalog(self) -> tuple[Any, Any, Any] | None:
        """A classic session's catalog and the classes naming its tables, through py4j
        (looked up once: each step of a JVM class path is a round trip); None on Spark
        Connect."""
        from dltflow.local.engines.capabilities import jvm_handles

        handles = jvm_handles(self.spark)
        return handles.catalog if handles is not None else None

    def _session_catalog(self, name: str) -> tuple[Any, Any] | None:
        """A classic session's catalog and the identifier of ``name`` in it, or None on
        Spark Connect. Asking it directly costs a fraction of what the ``spark.catalog``
        API does (that parses and resolves the name first)."""
        if self._jvm_catalog is None:
            return None
        catalog, table_identifier, some = self._jvm_catalog
        return catalog, table_identifier(name, some(self.schema))

    def _in_catalog(self, name: str) -> bool:
        """Whether ``<schema>.<name>`` is a table of the session catalog."""
        found = self._session_catalog(name)
        if found is None:
            return bool(self.spark.catalog.tableExists(f"{self.schema}.{name}"))
        catalog, ident = found
        return bool(catalog.tableExists(ident))

    def _relocatable(self, name: str, schema: StructType, partition_cols: list[str]) -> bool:
        """Whether the catalog entry of ``name`` is exactly the one :meth:`register` would
        create for ``schema`` but for its location, so moving it there is enough.

        ``ALTER TABLE ... SET LOCATION`` resolves the table once; ``DROP`` and ``CREATE``
        resolve it twice (the old and the new location) and leave a moment without the
        table. Only a classic session shows its catalog entries cheaply (through py4j),
        and only an unpartitioned Parquet table is moved (partitions are registered with
        locations of their own, a Delta table's entry belongs to Delta's catalog); any
        other case, and anything unexpected, is re-created as before.
        """
        if partition_cols or self.format_of(name) != "parquet":
            return False
        from pyspark.sql.types import StructType

        try:
            found = self._session_catalog(name)
            if found is None:
                return False
            catalog, ident = found
            if not catalog.tableExists(ident):
                return False
            entry = catalog.getTableMetadata(ident)
            provider = entry.provider()
            if (entry.tableType().name() != "EXTERNAL" or not provider.isDefined()
                    or str(provider.get()).lower() != "parquet"
                    or not entry.partitionColumnNames().isEmpty()
                    or entry.bucketSpec().isDefined() or entry.comment().isDefined()
                    or not entry.properties().isEmpty()
                    or not entry.storage().properties().isEmpty()):
                return False
            stored = StructType.fromJson(json.loads(entry.schema().json()))
        except Exception:  # noqa: BLE001 - any surprise: re-create the entry as before
            return False
        return bool(stored == _declared(schema))

    def unregister(self, name: str) -> None:
        """Remove ``<schema>.<name>`` from the session catalog."""
        self._own_sql(f"DROP TABLE IF EXISTS {self._qualified(name)}")
        self._registered.discard(name)

    def stored_tables(self) -> list[str]:
        """Names of the tables with a published version in this schema's folder."""
        if not self.folder.exists():
            return []
        return sorted(p.parent.name for p in self.folder.glob(f"*/{META_FILE}")
                      if _is_name(p.parent.name) and self.exists(p.parent.name))

    def register_existing(self) -> None:
        """Publish the tables of earlier runs, so a fresh session sees them too."""
        self.ensure_schema()
        for name in self.stored_tables():
            if self.meta(name).get("temporary"):
                continue
            if self._in_catalog(name):
                self._registered.add(name)
            else:
                self.register(name)


def _already_exists(err: Exception) -> bool:
    """Whether a ``CREATE TABLE`` failed because the name is taken (Spark names the
    condition; Sail says it in words)."""
    condition = getattr(err, "getCondition", None)
    named = condition() if callable(condition) else None
    return named == "TABLE_OR_VIEW_ALREADY_EXISTS" or "already exists" in str(err).lower()


def _declared(data_type: Any) -> Any:
    """``data_type`` as a catalog entry created from its :func:`_ddl` holds it: every
    field, element and value nullable, no field metadata (the DDL carries neither)."""
    from pyspark.sql.types import ArrayType, MapType, StructField, StructType

    if isinstance(data_type, StructType):
        return StructType([StructField(f.name, _declared(f.dataType), True)
                           for f in data_type.fields])
    if isinstance(data_type, ArrayType):
        return ArrayType(_declared(data_type.elementType), True)
    if isinstance(data_type, MapType):
        return MapType(_declared(data_type.keyType), _declared(data_type.valueType), True)
    return data_type
