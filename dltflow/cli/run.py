"""``dltflow run``: run a pipeline locally with the local engine (:mod:`dltflow.local`).

Three ways to name the pipeline::

    dltflow run samples/pipelines/simple.py --conf conf/simple.yml   # a DLTMetaMixin file
    dltflow run path/to/plain_dlt_file.py                            # `import dlt` / dp code
    dltflow run transformations/ extra.sql                           # folders, SQL, several
    dltflow run --deployment-file workflows/simple.yml --environment dev

Full refresh: ``--full-refresh`` resets every table; ``--full-refresh NAME`` (or
``--full-refresh-table NAME``, both repeatable) resets only the tables named. A Python
file right after a bare ``--full-refresh`` is taken as the SOURCE, not as a table name.

Exit codes: 0 the update completed, 1 it failed, 2 bad input (a missing file, an
invalid config or deployment file, a broken graph).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dltflow.cli import EXIT_FAILED, error_handler, options
from dltflow.graph.names import validate_name_part

if TYPE_CHECKING:
    from dltflow.cli.bundle_source import BundleSource

__all__ = ["PipelineArguments", "pipeline_arguments", "run"]

_ALL = "\0all"


@click.command(context_settings={"show_default": True})
@options.source
@options.conf
@options.deployment_file
@options.environment
@options.workflow
@options.bundle
@options.bundle_target
@options.bundle_pipeline
@click.option("--warehouse", type=options.PathType(file_okay=False, path_type=Path),
              default=Path(".dltflow"), help="Folder holding the tables, checkpoints and "
              "event log.")
@click.option("--schema", default="default", help="Catalog schema the tables are "
              "registered in (spark.table('<schema>.<name>')).")
@click.option("--full-refresh", "full_refresh", multiple=True, is_flag=False,
              flag_value=_ALL, metavar="[NAME]", help="Reset every table (or only NAME; "
              "repeatable) with its checkpoints, and recompute from scratch.")
@click.option("--full-refresh-table", "refresh_tables", multiple=True, metavar="NAME",
              help="Reset only this table (repeatable).")
@click.option("--select", "select", multiple=True, metavar="NAME",
              help="Run only this dataset and its upstreams (repeatable).")
@click.option("--remote", envvar="SPARK_REMOTE", metavar="sc://HOST:PORT", show_envvar=True,
              help="Run on a Spark Connect server (a cluster, Databricks Connect).")
@click.option("--engine", type=click.Choice(["jvm", "sail", "auto"], case_sensitive=False),
              envvar="DLTFLOW_ENGINE", show_envvar=True, default="auto", show_default=True,
              help="auto: sail when it can run every flow, else jvm, saying why in the "
              "first line; jvm: local Spark (needs Java); sail: an embedded Sail server, "
              "no JVM, starts in about a second (pip install \"dltflow[sail]\").")
@click.option("--streaming", "streaming", type=click.Choice(["structured", "incremental"]),
              envvar="DLTFLOW_STREAMING", show_envvar=True,
              help="How streaming flows run: structured (Spark's Structured Streaming; "
              "jvm default) or incremental (dltflow reads only new files; sail's only mode).")
@click.option("--format", "table_format", type=click.Choice(["delta", "parquet"]),
              help="How tables are written; default: parquet (readable by both engines), "
              "delta with --engine sail or where the warehouse holds Delta tables (on jvm, "
              "delta needs delta-spark in the session).")
@click.option("--report", "report_file", type=options.PathType(dir_okay=False, path_type=Path),
              metavar="FILE.html", help="Also write the run's report page (see `dltflow "
              "report`) here, failed or not.")
@options.configuration
@click.option("--lock-timeout", "lock_timeout", type=click.FloatRange(min=0), default=None,
              envvar="DLTFLOW_LOCK_TIMEOUT", show_envvar=True, metavar="SECONDS",
              help="Wait this long while another update holds the warehouse  "
              "[default: fail at once].")
@click.option("--verbose", "-v", is_flag=True, help="Also show Spark's own output (JVM "
              "start-up, log4j warnings) and its console progress bars.")
@options.dry_run
@options.output
@error_handler
def run(sources: tuple[Path, ...], conf: Path | None, deployment_file: str | None,
        environment: str | None, workflows: tuple[str, ...], bundle: Path | None,
        bundle_target: str | None, bundle_pipeline: str | None, warehouse: Path, schema: str,
        full_refresh: tuple[str, ...], refresh_tables: tuple[str, ...], select: tuple[str, ...],
        remote: str | None, engine: str, streaming: str | None, table_format: str | None,
        report_file: Path | None,
        configuration: tuple[str, ...], lock_timeout: float | None, verbose: bool,
        dry_run: bool, output: str) -> None:
    """Run a pipeline locally, with DLT's semantics, and show what it did.

    PATH names the pipeline's sources, one or several: a DLTMetaMixin pipeline file
    (give --conf), a plain DLT file (`import dlt` or `from pyspark import pipelines as
    dp`), a pipeline SQL file, or a folder (every .py and .sql below it); datasets read
    each other across files and languages. Or name a --deployment-file and
    --environment to run the same tasks the deployed notebook runs, or --bundle [DIR]
    (with --target, --pipeline) to run a Databricks bundle's pipeline.

    Pipeline parameters: --configuration my.source_path=./data/in (repeatable), or
    --configuration params.yml; the code reads them with spark.conf.get(KEY).
    """
    validate_name_part(schema, role="schema")
    sources, refresh = _refresh_choice(sources, full_refresh + refresh_tables)
    chosen = pipeline_arguments(sources, conf, deployment_file, environment, workflows,
                                bundle, bundle_target, bundle_pipeline, schema, configuration)
    target, parameters, schema = chosen.target, chosen.parameters, chosen.schema
    # Lazy: `dltflow --help` must not import pyspark.
    from dltflow.cli import render
    from dltflow.local import describe, explain, get_spark
    from dltflow.local import run as run_pipeline

    engine = engine.lower()
    if remote and engine == "sail":
        raise click.UsageError("give --remote or --engine sail, not both")
    if remote:  # the server named is the engine
        engine = "jvm"
    # Only dltflow's own lines unless --verbose: the JVM's output goes to a log file.
    log_file = None if verbose else warehouse / "_logs" / "spark.log"
    spark = None
    if engine == "auto":
        from dltflow.local import choose_engine

        with contextlib.redirect_stdout(render.MarkedStream(sys.stderr)), chosen.on_path():
            choice = choose_engine(warehouse=warehouse, schema=schema,
                                   select=list(select) or None, streaming=streaming,
                                   configuration=parameters or None,
                                   catalog_dir=warehouse / "_spark_catalog",
                                   log_file=log_file,
                                   full_refresh=refresh is True and not select, **target)
        click.echo(str(choice), err=True)  # the first progress line: which, and why
        engine, spark = choice.engine, choice.spark
        table_format = table_format or choice.table_format
    spark = spark or get_spark(remote, engine=engine, catalog_dir=warehouse / "_spark_catalog",
                               progress=verbose, log_file=log_file)
    common: dict[str, Any] = {"spark": spark, "warehouse": warehouse,
                              "schema": schema, "select": list(select) or None,
                              "configuration": parameters or None, **target}
    if dry_run:
        with contextlib.redirect_stdout(render.MarkedStream(sys.stderr)), chosen.on_path():
            plan = explain(streaming=streaming, **common)
        click.echo(describe(plan))
        return
    # stdout holds only dltflow's result: what the pipeline's code prints goes to stderr,
    # marked as the pipeline's, so `--output json` stays one parsable object.
    with contextlib.redirect_stdout(render.MarkedStream(sys.stderr)), chosen.on_path():
        result = run_pipeline(full_refresh=refresh, lock_wait=lock_timeout, format=table_format,
                              streaming=streaming, on_event=render.EventPrinter(sys.stderr),
                              **common)
    if result.error is not None and (click.get_current_context().find_root().obj or {}
                                     ).get("debug"):
        import traceback

        traceback.print_exception(result.error, file=sys.stderr)  # the full trace, on demand
    if output == "json":
        click.echo(render.result_json(result))
    else:
        click.echo(render.summary_table(result.datasets))
    if report_file is not None:
        from dltflow.cli.report import write_report

        write_report(warehouse, result.run_id, report_file)
    if result.status != "COMPLETED":
        click.get_current_context().exit(EXIT_FAILED)


def _refresh_choice(sources: tuple[Path, ...], values: tuple[str, ...]
                    ) -> tuple[tuple[Path, ...], bool | list[str]]:
    """What to reset: everything (True), the tables named, or nothing (False).

    ``dltflow run --full-refresh pipeline.py`` means "reset all, run pipeline.py":
    click hands the file over as the option's value, so it is given back to SOURCE.
    """
    names = []
    for value in values:
        if value.endswith((".py", ".sql")) and Path(value).is_file():
            sources, value = (Path(value), *sources), _ALL
        names.append(value)
    if _ALL in names:
        return sources, True
    return sources, names or False


@dataclass(frozen=True)
class PipelineArguments:
    """The pipeline a command names, as the engine takes it.

    Args:
        target: ``definition`` (and ``conf``) for the engine.
        parameters: the pipeline configuration (``--configuration`` over the bundle's).
        schema: the schema tables are registered in.
        bundle: the bundle's pipeline, when ``--bundle`` named it.
    """

    target: dict[str, Any]
    parameters: dict[str, str]
    schema: str
    bundle: BundleSource | None = None

    def on_path(self) -> contextlib.AbstractContextManager[None]:
        """The bundle's ``root_path`` importable while the pipeline is defined and run."""
        return self.bundle.on_path() if self.bundle else contextlib.nullcontext()


def pipeline_arguments(sources: tuple[Path, ...], conf: Path | None,
                       deployment_file: str | None, environment: str | None,
                       workflows: tuple[str, ...], bundle: Path | None,
                       bundle_target: str | None, bundle_pipeline: str | None, schema: str,
                       configuration: tuple[str, ...]) -> PipelineArguments:
    """Sources, a deployment file or a bundle, with their parameters and schema."""
    from dltflow.local import parse_configuration

    parameters = parse_configuration(configuration)
    if bundle is None:
        if bundle_target or bundle_pipeline:
            raise click.UsageError("--target and --pipeline go with --bundle")
        return PipelineArguments(_source(sources, conf, deployment_file, environment,
                                         workflows), parameters, schema)
    if sources or deployment_file or conf:
        raise click.UsageError("give --bundle, PATH or --deployment-file, one of them")
    from dltflow.cli.bundle_source import bundle_source

    chosen = bundle_source(bundle, bundle_target, bundle_pipeline)
    explicit = click.get_current_context().get_parameter_source("schema") not in (
        None, click.core.ParameterSource.DEFAULT)
    local_schema = chosen.schema(schema, explicit)
    validate_name_part(local_schema, role="schema")
    return PipelineArguments({"definition": list(chosen.paths), "conf": None},
                             chosen.configuration(parameters), local_schema, chosen)


def _source(sources: tuple[Path, ...], conf: Path | None, deployment_file: str | None,
            environment: str | None, workflows: tuple[str, ...]) -> dict[str, Any]:
    """The engine arguments naming the pipeline; mistakes are usage errors (exit 2).

    A deployment file becomes a definition on the deploy side (the same tasks, resolved
    the same way, that the deployed notebook launches).
    """
    if deployment_file is not None:
        if sources or conf is not None:
            raise click.UsageError("give PATH (with --conf) or --deployment-file, not both")
        if not environment:
            raise click.UsageError("--deployment-file needs --environment, e.g. "
                                   "--environment dev")
        if not Path(deployment_file).is_file():
            raise click.BadParameter(f"file {deployment_file!r} does not exist",
                                     param_hint="'--deployment-file'")
        from dltflow.deploy import deployment_definition

        return {"definition": deployment_definition(deployment_file, environment,
                                                    project_root=Path.cwd(),
                                                    workflows=workflows or None)}
    if not sources:
        raise click.UsageError("name a pipeline: PATH (Python or SQL files, or folders "
                               "of them) or --deployment-file with --environment")
    if environment or workflows:
        raise click.UsageError("--environment and --workflow go with --deployment-file")
    definition = sources[0] if len(sources) == 1 else list(sources)
    return {"definition": definition, "conf": conf}

