"""``dltflow graph``: the planned graph of a pipeline, with no data moved.

    dltflow graph samples/pipelines/medium.py --conf conf/medium.yml            # Mermaid
    dltflow graph --deployment-file workflows/medium.yml -e dev --format dot
    dltflow graph samples/pipelines/medium.py --conf conf/medium.yml -o graph.html

The format follows ``--format``, else the extension of ``-o`` (``.html``, ``.dot``/``.gv``),
else Mermaid. A pipeline whose queries cannot be analysed is drawn all the same, each
failing dataset marked with its error, and then exits 1. Exit codes: 0 done, 1 drawn
but a dataset cannot be planned, 2 bad input (a missing file, a broken graph).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from dltflow.cli import EXIT_FAILED, error_handler, options
from dltflow.cli.run import pipeline_arguments
from dltflow.graph.names import validate_name_part

__all__ = ["graph"]

_SUFFIXES = {".html": "html", ".htm": "html", ".dot": "dot", ".gv": "dot"}


@click.command()
@options.source
@options.conf
@options.deployment_file
@options.environment
@options.workflow
@options.bundle
@options.bundle_target
@options.bundle_pipeline
@click.option("--format", "fmt", type=click.Choice(["html", "mermaid", "dot"]),
              help="Output format [default: from -o's extension, else mermaid].")
@click.option("--output-file", "-o", "output_file", type=options.PathType(dir_okay=False,
              path_type=Path), help="Write here instead of stdout.")
@click.option("--warehouse", type=options.PathType(file_okay=False, path_type=Path),
              default=Path(".dltflow"), show_default=True,
              help="Warehouse whose stored tables analysis may read schemas from.")
@click.option("--schema", default="default", show_default=True, help="Catalog schema.")
@options.configuration
@click.option("--engine", type=click.Choice(["jvm", "sail", "auto"], case_sensitive=False),
              envvar="DLTFLOW_ENGINE", show_envvar=True, default="auto", show_default=True,
              help="The engine analysing the queries, chosen as for `dltflow run`.")
@error_handler
def graph(sources: tuple[Path, ...], conf: Path | None, deployment_file: str | None,
          environment: str | None, workflows: tuple[str, ...], bundle: Path | None,
          bundle_target: str | None, bundle_pipeline: str | None, fmt: str | None,
          output_file: Path | None, warehouse: Path, schema: str,
          configuration: tuple[str, ...], engine: str) -> None:
    """Show the pipeline's graph (datasets, flows, inputs) without running it.

    PATH is named as for `dltflow run`: pipeline files and folders (with --conf for a
    mixin), a --deployment-file with --environment, or a --bundle.
    """
    validate_name_part(schema, role="schema")
    arguments = pipeline_arguments(sources, conf, deployment_file, environment, workflows,
                                   bundle, bundle_target, bundle_pipeline, schema,
                                   configuration)
    chosen = fmt or _SUFFIXES.get(output_file.suffix.lower() if output_file else "", "mermaid")
    # Lazy: `dltflow --help` must not import pyspark.
    from dltflow.local import get_spark
    from dltflow.report import graph_of_pipeline, render_graph

    # Only dltflow's own lines: the JVM's start-up output goes to the warehouse's log.
    catalog_dir, log_file = warehouse / "_spark_catalog", warehouse / "_logs" / "spark.log"
    spark = None
    if engine.lower() == "auto":
        from dltflow.cli.render import MarkedStream
        from dltflow.local import choose_engine

        with contextlib.redirect_stdout(MarkedStream(sys.stderr)), arguments.on_path():
            choice = choose_engine(warehouse=warehouse, schema=arguments.schema,
                                   configuration=arguments.parameters or None,
                                   catalog_dir=catalog_dir, log_file=log_file,
                                   **arguments.target)
        click.echo(str(choice), err=True)
        engine, spark = choice.engine, choice.spark
    spark = spark or get_spark(engine=engine, catalog_dir=catalog_dir, log_file=log_file)
    with arguments.on_path():
        drawn, failure = graph_of_pipeline(
            spark=spark, warehouse=warehouse, schema=arguments.schema,
            configuration=arguments.parameters or None, **arguments.target)
    title = Path(str(sources[0] if sources else deployment_file)).stem
    text = render_graph(drawn, chosen, title=title)  # type: ignore[arg-type]
    if output_file is None:
        click.echo(text, nl=False)
    else:
        try:
            output_file.write_text(text, encoding="utf-8")
        except OSError as err:  # a clear message, not a traceback
            raise click.FileError(str(output_file), hint=err.strerror or str(err)) from None
        click.echo(f"Wrote {chosen} graph to {output_file}", err=True)
    if failure is not None:  # drawn first: the graph is what explains a broken pipeline
        click.echo(f"Error: {failure}", err=True)
        click.get_current_context().exit(EXIT_FAILED)
