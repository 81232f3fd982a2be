"""The export round trip on real Spark: a deployment file's workflow (a DLTMetaMixin class
and a plain `import dlt` source reading its dataset), exported as a bundle and read back
with read_bundle, runs locally to the same tables as the deployment file itself.

The bundle's libraries run as Databricks runs them: each Python file executed with
``spark`` in its globals, the pipeline configuration readable with ``spark.conf.get``
(the launcher notebook finds the bundle's files there)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from chispa import assert_df_equality

from dltflow.deploy import (
    BundlePipeline,
    deployment_definition,
    export_bundle,
    load_deployment,
    read_bundle,
)
from dltflow.local import run
from tests.support.project import build_project, write

WORKFLOW = """\
dev:
  workflows:
    - name: people-pipeline
      schema: sample
      configuration: {min_age: "18"}
      tasks:
        items:
          - python_file: sample_pkg/pipelines/people.py
            parameters: ["--conf", "conf/people.yml"]
          - python_file: sample_pkg/pipelines/names.py
"""

NAMES = '''\
import dlt


@dlt.table
def adult_names():
    minimum = int(spark.conf.get("min_age"))
    return dlt.read("people").where(f"age >= {minimum}").select("name")
'''


class _BundleDefinition:
    """The bundle's Python libraries, declared in order as a pipeline update does."""

    def __init__(self, bundle: BundlePipeline, spark: Any) -> None:
        self.bundle = bundle
        self.spark = spark
        self.__name__ = bundle.key

    @property
    def configuration(self) -> dict[str, str]:
        return dict(self.bundle.configuration)

    def __call__(self) -> None:
        for library in self.bundle.libraries:
            assert library.language == "python"
            runpy.run_path(str(library.path), init_globals={"spark": self.spark},
                           run_name="__main__")


def test_exported_bundle_gives_the_deployment_files_tables(tmp_path: Path,
                                                           spark: Any) -> None:
    root = build_project(tmp_path / "proj", workflow_yml=WORKFLOW)
    write(root / "sample_pkg" / "pipelines" / "names.py", NAMES)
    deployment = root / "workflows" / "people.yml"
    export_bundle(load_deployment(deployment, "dev", project_root=root),
                  dltflow_requirement="dltflow")
    bundle = read_bundle(root, target="dev", pipeline=None, user="me", environ={})

    by_file = run(deployment_definition(deployment, "dev"), spark=spark,
                  warehouse=tmp_path / "wh_file", schema="rt_file")
    by_bundle = run(_BundleDefinition(bundle, spark), spark=spark,
                    warehouse=tmp_path / "wh_bundle", schema="rt_bundle")

    assert by_file.status == by_bundle.status == "COMPLETED"
    assert sorted(by_bundle.datasets) == sorted(by_file.datasets) == [
        "adult_names", "adults", "people"]
    for name in ("people", "adults", "adult_names"):
        assert_df_equality(by_bundle.table(name), by_file.table(name),
                           ignore_row_order=True)
    assert sorted(r.name for r in by_bundle.table("adult_names").collect()) == ["ann", "cid"]
    people = by_bundle.datasets["people"]
    assert (people.output_rows, people.dropped_rows) == (2, 2)
