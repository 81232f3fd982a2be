"""``dltflow report``: a run of the local engine as one self-contained HTML page.

    dltflow report                                  # the latest run of .dltflow
    dltflow report --warehouse /tmp/wh --run 3f2a9c01d4e5 -o run.html

Every figure comes from the event log, so an old run's report is exact. Exit codes: 0
written, 2 bad input (no runs, an unknown run id, a broken event-log line).
"""

from __future__ import annotations

from pathlib import Path

import click

from dltflow.cli import error_handler, options

__all__ = ["report", "write_report"]


def write_report(warehouse: Path, run_id: str | None, output_file: Path) -> None:
    """Write the report page of one run of ``warehouse`` to ``output_file``."""
    from dltflow.report import report_html  # no pyspark: the page needs only the log

    page = report_html(warehouse, run_id)
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(page, encoding="utf-8")
    except OSError as err:  # a clear message, not a traceback
        raise click.FileError(str(output_file), hint=err.strerror or str(err)) from None
    click.echo(f"Wrote report to {output_file}", err=True)


@click.command()
@click.option("--warehouse", type=options.PathType(file_okay=False, path_type=Path),
              default=Path(".dltflow"), show_default=True,
              help="The warehouse whose event log holds the runs.")
@click.option("--run", "run_id", metavar="ID", help="The run to report [default: latest].")
@click.option("--output-file", "-o", "output_file", type=options.PathType(dir_okay=False,
              path_type=Path), default=Path("dltflow-report.html"), show_default=True,
              help="Where to write the page.")
@error_handler
def report(warehouse: Path, run_id: str | None, output_file: Path) -> None:
    """Write a run's report: graph, statuses, rows, expectations, errors, earlier runs."""
    write_report(warehouse, run_id, output_file)
