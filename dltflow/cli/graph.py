"""``dltflow graph``: the planned graph of a pipeline, with no data moved.

    dltflow graph samples/pipelines/medium.py --conf conf/medium.yml            # Mermaid
    dltflow graph --deployment-file workflows/medium.yml -e dev --format dot
    dltflow graph samples/pipelines/medium.py --conf conf/medium.yml -o graph.html

The format follows ``--format``, else the extension of ``-o`` (``.html``, ``.dot``/``.gv``),
else Mermaid. Exit codes: 0 done, 2 bad input (a missing file, a broken graph).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dltflow.cli import error_handler, options
from dltflow.cli.run import _source as pipeline_source
from dltflow.graph.names import validate_name_part

__all__ = ["graph"]

_SUFFIXES = {".html": "html", ".htm": "html", ".dot": "dot", ".gv": "dot"}


@click.command()
@options.source
@options.conf
@options.deployment_file
@options.environment
@options.workflow
@click.option("--format", "fmt", type=click.Choice(["html", "mermaid", "dot"]),
              help="Output format [default: from -o's extension, else mermaid].")
@click.option("--output-file", "-o", "output_file", type=options.PathType(dir_okay=False,
              path_type=Path), help="Write here instead of stdout.")
@click.option("--warehouse", type=options.PathType(file_okay=False, path_type=Path),
              default=Path(".dltflow"), show_default=True,
              help="Warehouse whose stored tables analysis may read schemas from.")
@click.option("--schema", default="default", show_default=True, help="Catalog schema.")
@options.configuration
@error_handler
def graph(sources: tuple[Path, ...], conf: Path | None, deployment_file: str | None,
          environment: str | None, workflows: tuple[str, ...], fmt: str | None,
          output_file: Path | None, warehouse: Path, schema: str,
          configuration: tuple[str, ...]) -> None:
    """Show the pipeline's graph (datasets, flows, inputs) without running it.

    SOURCE is named as for `dltflow run`: a pipeline file (with --conf) or a
    --deployment-file with --environment.
    """
    validate_name_part(schema, role="schema")
    target: dict[str, Any] = pipeline_source(sources, conf, deployment_file, environment,
                                             workflows)
    chosen = fmt or _SUFFIXES.get(output_file.suffix.lower() if output_file else "", "mermaid")
    # Lazy: `dltflow --help` must not import pyspark.
    from dltflow.local import explain
    from dltflow.local.session import get_spark
    from dltflow.report import graph_of, render_graph

    spark = get_spark(catalog_dir=warehouse / "_spark_catalog")  # as `dltflow run` does
    from dltflow.local.configuration import parse_configuration

    parameters = parse_configuration(configuration) or None
    plan = explain(spark=spark, warehouse=warehouse, schema=schema,
                   configuration=parameters, **target)
    title = Path(str(sources[0] if sources else deployment_file)).stem
    text = render_graph(graph_of(plan), chosen, title=title)  # type: ignore[arg-type]
    if output_file is None:
        click.echo(text, nl=False)
    else:
        try:
            output_file.write_text(text, encoding="utf-8")
        except OSError as err:  # a clear message, not a traceback
            raise click.FileError(str(output_file), hint=err.strerror or str(err)) from None
        click.echo(f"Wrote {chosen} graph to {output_file}", err=True)
