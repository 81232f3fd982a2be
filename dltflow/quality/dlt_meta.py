"""``DLTMetaMixin``: methods named in the ``dlt:`` config become DLT datasets.

The metaclass steps in after the user's own ``__init__`` returns, so the user never
has to call ``super().__init__()``. It finds the config, validates it, and replaces
each configured method on the *instance* with a :class:`DatasetMethod`, which decides
per call what the call means:

* inside a pipeline definition, the first top-level call registers all configured
  datasets of the instance; a call from inside another dataset's query reads the
  dataset, so lineage shows the real dependency;
* in plain Python, the call returns the method's DataFrame with its expectations
  enforced, and records the counts in ``instance.expectation_metrics``.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from abc import ABCMeta
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dltflow.causes import call_user_code
from dltflow.config import conf_argument
from dltflow.exceptions import ConfigError, NoActiveRegistryError
from dltflow.graph.backend import pipeline_registry
from dltflow.graph.elements import Dataset, SourceLocation, Table
from dltflow.graph.registry import GraphRegistry
from dltflow.quality.binding import elements_for, expectation_specs, read_target
from dltflow.quality.config import DLTConfig, DLTConfigs, load_dlt_config

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_CONF_ATTRIBUTES = ("conf", "config", "init_conf")
_inside_query: ContextVar[bool] = ContextVar("dltflow_inside_query", default=False)


class DLTMeta(ABCMeta):
    """Metaclass that binds the ``dlt:`` config once the instance is initialised."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        taken = kwargs.pop("init_conf", None) if not _takes_init_conf(cls) else None
        instance = super().__call__(*args, **kwargs)
        if taken is not None:
            kwargs["init_conf"] = taken  # the class's __init__ has no init_conf: ours
        found = _find_config(cls, instance, args, kwargs)
        if found is not None:
            config, source = found
            PipelineBinding.attach(instance, load_dlt_config(config, source=source))
        return instance


class DLTMetaMixin(metaclass=DLTMeta):
    """Mix into a pipeline class to turn its configured methods into DLT datasets.

    Example:
        >>> class MyPipeline(DLTMetaMixin):
        ...     def __init__(self, spark, init_conf):
        ...         self.spark = spark
        ...     def orchestrate(self):
        ...         return self.spark.range(5).withColumnRenamed("id", "result")
        >>> conf = {"dlt": {"func_name": "orchestrate", "kind": "table",
        ...                 "expectations": [{"name": "small", "constraint": "result < 10"}]}}
        >>> MyPipeline(spark, init_conf=conf).orchestrate().count()
        5
    """

    expectation_metrics: dict[str, dict[str, dict[str, int]]]

    @property
    def pipeline_config(self) -> DLTConfigs:
        """The validated config this instance was bound with.

        The ``dlt`` entries are models; the config's other keys (``reader``,
        ``writer``, ...) are the user's own, read with ``pipeline_config.get("reader")``.

        Raises:
            ConfigError: the instance found no config.
        """
        return PipelineBinding.of(self).config

    def register_datasets(self) -> None:
        """Register every configured dataset with the active pipeline backend.

        The same as the first top-level call of any configured method inside a
        pipeline definition.
        """
        binding = PipelineBinding.of(self)
        registry = pipeline_registry()
        if registry is None:
            raise NoActiveRegistryError(f"{type(self).__name__}.register_datasets()")
        binding.register(registry)


def _find_config(cls: type, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> tuple[Any, str | None] | None:
    init_conf = kwargs.get("init_conf")
    if init_conf is None:
        init_conf = _positional_init_conf(cls, args)
    if init_conf is not None:
        return (init_conf, None) if _has_dlt(init_conf) else None
    for name in _CONF_ATTRIBUTES:
        value = instance.__dict__.get(name, getattr(type(instance), name, None))
        if value is not None and _has_dlt(value):
            return value, None
    path = conf_argument(sys.argv[1:])
    return (path, path) if path else None


def _takes_init_conf(cls: type) -> bool:
    """Whether the class's own ``__init__`` accepts ``init_conf`` (by name or ``**kwargs``)."""
    init = cls.__init__  # type: ignore[misc]
    if init is object.__init__:
        return False
    try:
        params = inspect.signature(init).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "init_conf" and p.kind is not p.POSITIONAL_ONLY
               or p.kind is p.VAR_KEYWORD for p in params)


def _positional_init_conf(cls: type, args: tuple[Any, ...]) -> Any:
    try:
        params = list(inspect.signature(cls.__init__).parameters)[1:]  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    if "init_conf" in params and params.index("init_conf") < len(args):
        return args[params.index("init_conf")]
    return None


def _has_dlt(value: Any) -> bool:
    """Whether ``value`` is a config with a ``dlt`` section (or a path to one)."""
    if isinstance(value, (str, Path)):
        return True
    if isinstance(value, BaseModel):
        return "dlt" in type(value).model_fields or "dlt" in (value.model_extra or {})
    return isinstance(value, Mapping) and "dlt" in value


class PipelineBinding:
    """The validated config of one pipeline instance and its wrapped methods."""

    _ATTR = "_dltflow_binding"

    def __init__(self, instance: Any, config: DLTConfigs) -> None:
        self.instance = instance
        self.config = config
        self.methods: dict[str, DatasetMethod] = {}
        self._registered: set[int] = set()

    @classmethod
    def attach(cls, instance: Any, config: DLTConfigs) -> PipelineBinding:
        """Validate ``config`` against ``instance`` and wrap its configured methods."""
        _validate_methods(instance, config)
        binding = cls(instance, config)
        for entry in config.dlt:
            method = getattr(instance, entry.func_name)
            binding.methods[entry.func_name] = DatasetMethod(binding, entry, method)
        for name, wrapper in binding.methods.items():
            setattr(instance, name, wrapper)
        instance.__dict__[cls._ATTR] = binding
        instance.__dict__.setdefault("expectation_metrics", {})
        return binding

    @classmethod
    def of(cls, instance: Any) -> PipelineBinding:
        binding: PipelineBinding | None = instance.__dict__.get(cls._ATTR)
        if binding is None:
            raise ConfigError(f"{type(instance).__name__} has no `dlt` config",
                              source=type(instance).__qualname__,
                              hint="pass init_conf=..., set self.conf, or use --conf-file.")
        return binding

    def register(self, registry: GraphRegistry) -> None:
        """Declare every standalone dataset of this instance, once per registry."""
        if id(registry) in self._registered:
            return
        self._registered.add(id(registry))
        elements = [element for method in self.methods.values() if not method.takes_arguments
                    for element in elements_for(method.entry, method.query, method.location)]
        for element in _merge_flow_targets(elements):
            if isinstance(element, Dataset):
                registry.register_dataset(element)
            else:
                registry.register_flow(element)


def _merge_flow_targets(elements: list[Any]) -> list[Any]:
    """Declare a streaming table fed by several append flows once.

    Each ``append_config`` entry declares its target; when several entries append into
    one table (as in DLT, many flows, one table) the declarations are merged at the
    first one, with the union of their expectations.
    """
    merged: dict[str, int] = {}
    result: list[Any] = []
    for element in elements:
        is_target = isinstance(element, Table) and element.query is None
        if not is_target or element.name not in merged:
            if is_target:
                merged[element.name] = len(result)
            result.append(element)
            continue
        first = result[merged[element.name]]
        result[merged[element.name]] = replace(
            first, expectations=_union(first, element), comment=first.comment or element.comment)
    return result


def _union(first: Table, other: Table) -> tuple[Any, ...]:
    specs = {spec.name: spec for spec in first.expectations}
    for spec in other.expectations:
        if spec.name in specs and specs[spec.name] != spec:
            raise ConfigError(f"two entries append into '{first.name}' with different "
                              f"expectations named '{spec.name}'",
                              source=str(other.source_location or first.name),
                              hint="expectations belong to the target table: give them "
                                   "the same constraint and action, or different names.")
        specs.setdefault(spec.name, spec)
    return tuple(specs.values())


def _validate_methods(instance: Any, config: DLTConfigs) -> None:
    problems = []
    for i, entry in enumerate(config.dlt):
        if not callable(getattr(instance, entry.func_name, None)):
            problems.append(f"dlt[{i}] (func_name={entry.func_name}): field 'func_name': "
                            f"{type(instance).__name__} has no method '{entry.func_name}'")
    if problems:
        public = sorted(n for n, v in inspect.getmembers(type(instance), callable)
                        if not n.startswith("_") and n != "register_datasets")
        raise ConfigError(problems, source=type(instance).__qualname__,
                          hint=f"func_name must name a method of the class; it has: {public}.")


class DatasetMethod:
    """A configured method: a dataset in a pipeline, a checked DataFrame in plain Python."""

    def __init__(self, binding: PipelineBinding, entry: DLTConfig, method: Any) -> None:
        self.binding = binding
        self.entry = entry
        self.method = method
        self.__name__ = entry.func_name
        self.__doc__ = getattr(method, "__doc__", None)
        self.location = SourceLocation.of(method)
        self.takes_arguments = any(
            p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            for p in inspect.signature(method).parameters.values())

    def __repr__(self) -> str:
        return f"<dataset method {self.entry.func_name} -> {self.entry.dataset_name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        registry = pipeline_registry()
        if registry is None:
            return self.run_checked(*args, **kwargs)
        if self.takes_arguments or args or kwargs:
            warnings.warn(f"{self.entry.func_name}() takes arguments, so it cannot be a "
                          "standalone dataset; it is applied inline with its expectations.",
                          stacklevel=2)
            return self._inline(*args, **kwargs)
        if _inside_query.get():
            return registry.read(read_target(self.entry),
                                 streaming=self.entry.is_streaming_table)
        self.binding.register(registry)
        return None

    def query(self) -> DataFrame:
        """The dataset's query as registered: the user's method, marked as a query."""
        token = _inside_query.set(True)
        try:
            df: DataFrame = call_user_code(self.entry.dataset_name, _qualname(self.method),
                                           self.method)
            return df
        finally:
            _inside_query.reset(token)

    def _inline(self, *args: Any, **kwargs: Any) -> DataFrame:
        from dltflow.graph.expectations import enforce_lazily

        token = _inside_query.set(True)
        try:
            df: DataFrame = self.method(*args, **kwargs)
        finally:
            _inside_query.reset(token)
        return enforce_lazily(df, self.entry.dataset_name, expectation_specs(self.entry))

    def run_checked(self, *args: Any, **kwargs: Any) -> DataFrame:
        """Plain Python: the method's DataFrame with its expectations enforced."""
        from dltflow.graph.expectations import evaluate

        df: DataFrame = self.method(*args, **kwargs)
        specs = expectation_specs(self.entry)
        if not specs:
            return df
        checked, metrics = evaluate(df, self.entry.dataset_name, specs)
        self.binding.instance.expectation_metrics[self.entry.dataset_name] = {
            m.name: {"passed_records": m.passed_records, "failed_records": m.failed_records}
            for m in metrics}
        checked.raise_for_failures(metrics)
        return checked.kept


def _qualname(method: Any) -> str:
    func = getattr(method, "__func__", method)
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"
