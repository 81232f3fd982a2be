"""A Databricks bundle's pipeline as what ``run``, ``graph`` and ``validate`` take.

The bundle is read by :func:`dltflow.deploy.read_bundle` (no Databricks CLI): the
pipeline's ``libraries`` become the run's sources, its ``configuration`` the pipeline
parameters (``--configuration`` wins), its ``schema`` the local schema (``--schema``
wins), and ``root_path`` goes on ``sys.path`` as Databricks puts it there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from dltflow.deploy import BundlePipeline

__all__ = ["BundleSource", "bundle_source"]


@dataclass(frozen=True)
class BundleSource:
    """What a run takes from a bundle's pipeline.

    Args:
        pipeline: the pipeline as read from the bundle.
        paths: its libraries, as local files, in order.
    """

    pipeline: BundlePipeline
    paths: tuple[Path, ...]

    def configuration(self, given: Mapping[str, str]) -> dict[str, str]:
        """The bundle's configuration under the values given on the command line."""
        return {**self.pipeline.configuration, **given}

    def schema(self, given: str, explicit: bool) -> str:
        """``--schema`` when given, else the pipeline's schema, else ``given``."""
        return given if explicit or not self.pipeline.schema else self.pipeline.schema

    @contextmanager
    def on_path(self) -> Iterator[None]:
        """``root_path`` importable while the pipeline runs, as on Databricks."""
        folder = str(self.pipeline.root_path) if self.pipeline.root_path else None
        added = folder is not None and folder not in sys.path
        if added:
            sys.path.insert(0, str(folder))
        try:
            yield
        finally:
            if added:
                sys.path.remove(str(folder))


def bundle_source(folder: Path, target: str | None, pipeline: str | None) -> BundleSource:
    """Read the bundle in ``folder``, say what is not applied locally, and name its files.

    Raises:
        ConfigError: the bundle is broken, or the target or pipeline cannot be chosen.
    """
    from dltflow.deploy import read_bundle

    chosen = read_bundle(folder, target=target, pipeline=pipeline)
    for warning in chosen.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Bundle {chosen.bundle_name}, target {chosen.target}: pipeline "
               f"{chosen.key} ({len(chosen.libraries)} source file(s))", err=True)
    return BundleSource(chosen, tuple(lib.path for lib in chosen.libraries))
