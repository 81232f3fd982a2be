"""read_bundle on generated bundles: one shaped like `databricks pipelines init`'s
template, one like sdp-meta's (variables in an included file, two pipelines, nested
references, a notebook named without its extension), and their errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dltflow.deploy import BundleError, read_bundle
from dltflow.exceptions import ConfigError

USER = "jane.doe@example.com"


def write_files(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


INIT_FILES = {
    "databricks.yml": """
        # shaped like `databricks pipelines init` (python): variables set per target
        bundle:
          name: trips
          uuid: 00000000-0000-0000-0000-000000000000
        include:
          - resources/*.yml
        variables:
          catalog:
            description: The catalog to use
          schema:
            description: The schema to use
        targets:
          dev:
            mode: development
            default: true
            workspace:
              host: https://example.cloud.databricks.com
            variables:
              catalog: main
              schema: ${workspace.current_user.short_name}
          prod:
            mode: production
            workspace:
              root_path: /Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}
            variables:
              catalog: analytics
              schema: prod
            permissions:
              - user_name: someone@example.com
                level: CAN_MANAGE
        """,
    "resources/trips_etl.pipeline.yml": """
        resources:
          pipelines:
            trips_etl:
              name: trips_etl
              catalog: ${var.catalog}
              schema: ${var.schema}
              serverless: true
              channel: PREVIEW
              root_path: ../src/trips_etl
              configuration:
                source_path: ${workspace.file_path}/data/${bundle.target}
                run_target: ${bundle.target}
              libraries:
                - glob:
                    include: ../src/trips_etl/transformations/**
              environment:
                dependencies:
                  - --editable ${workspace.file_path}
        """,
    "src/trips_etl/transformations/sample_trips.py": """
        from pyspark import pipelines as dp

        @dp.table
        def sample_trips():
            return spark.range(3)
        """,
    "src/trips_etl/transformations/sample_zones.sql": """
        CREATE MATERIALIZED VIEW sample_zones AS SELECT id FROM sample_trips
        """,
    "src/trips_etl/transformations/nested/more.py": "import dlt\n",
    "src/trips_etl/transformations/README.md": "not a source\n",
    "src/trips_etl/transformations/__pycache__/more.cpython-311.py": "cached\n",
    "src/trips_etl/utilities/utils.py": "def helper():\n    return 1\n",
}

SDP_META_FILES = {
    "databricks.yml": """
        # shaped like sdp-meta's demo bundle: variables live in an included file
        bundle:
          name: people_demo
        include:
          - resources/*.yml
        sync:
          exclude:
            - .venv/
        targets:
          dev:
            mode: development
            default: true
          prod:
            mode: production
            workspace:
              root_path: /Workspace/Shared/${bundle.name}/demo/${bundle.target}
            permissions:
              - group_name: users
                level: CAN_MANAGE
        """,
    "resources/var_people.yml": """
        variables:
          dev_catalog_name:
            description: The catalog in development
            type: string
            default: dev_catalog
          prod_catalog_name:
            type: string
            default: prod_catalog
          meta_schema:
            default: dataflowspecs
          bronze_schema:
            default: bronze
          silver_schema:
            default: silver
          serverless_enabled:
            type: bool
            default: true
          dev_development_enabled:
            type: bool
            default: true
          prod_development_enabled:
            type: bool
            default: false
        """,
    "resources/people_pipeline.yml": """
        resources:
          pipelines:
            pipeline_bronze_people:
              name: People - R2B
              catalog: ${var.${bundle.target}_catalog_name}
              schema: ${var.bronze_schema}
              development: ${var.${bundle.target}_development_enabled}
              photon: true
              serverless: ${var.serverless_enabled}
              libraries:
                - notebook:
                    path: ${workspace.file_path}/notebooks/init_people_pipeline
              configuration:
                layer: bronze
                bronze.spec: ${var.${bundle.target}_catalog_name}.${var.meta_schema}.bronze
                bundle.sourcePath: ${workspace.file_path}/notebooks
            pipeline_silver_people:
              name: People - B2S
              catalog: ${var.${bundle.target}_catalog_name}
              schema: ${var.silver_schema}
              serverless: ${var.serverless_enabled}
              libraries:
                - notebook:
                    path: ../notebooks/init_people_pipeline
              configuration:
                layer: silver
        """,
    "notebooks/init_people_pipeline.py": """
        # Databricks notebook source
        layer = spark.conf.get("layer")

        # COMMAND ----------

        import dlt
        """,
}


@pytest.fixture
def init_bundle(tmp_path: Path) -> Path:
    return write_files(tmp_path / "trips", INIT_FILES)


@pytest.fixture
def sdp_bundle(tmp_path: Path) -> Path:
    return write_files(tmp_path / "people", SDP_META_FILES)


def test_init_template_default_target(init_bundle: Path) -> None:
    p = read_bundle(init_bundle, target=None, pipeline=None, user=USER)
    assert (p.bundle_name, p.target, p.mode, p.key, p.name) == (
        "trips", "dev", "development", "trips_etl", "trips_etl")
    assert (p.catalog, p.schema, p.legacy_target) == ("main", "jane_doe", False)
    assert p.serverless is True
    assert p.development is True  # mode: development sets it, as the CLI does
    assert p.root == init_bundle.resolve()
    assert p.root_path == init_bundle.resolve() / "src" / "trips_etl"
    assert p.configuration == {"source_path": f"{p.root.as_posix()}/data/dev",
                               "run_target": "dev"}
    assert p.dependencies == (f"--editable {p.root.as_posix()}",)
    assert [(lib.relative, lib.language, lib.kind) for lib in p.libraries] == [
        ("src/trips_etl/transformations/nested/more.py", "python", "glob"),
        ("src/trips_etl/transformations/sample_trips.py", "python", "glob"),
        ("src/trips_etl/transformations/sample_zones.sql", "sql", "glob"),
    ]
    assert all(lib.declared_in == "resources/trips_etl.pipeline.yml" for lib in p.libraries)
    assert p.libraries[0].field == "resources.pipelines.trips_etl.libraries[0].glob.include"
    assert p.source == "resources/trips_etl.pipeline.yml"
    assert p.targets == ("dev", "prod") and p.pipelines == ("trips_etl",)
    assert p.warnings == ()  # uuid, channel, host, permissions: deployment-only, quiet


def test_init_template_prod_target_has_other_variables(init_bundle: Path) -> None:
    p = read_bundle(init_bundle, target="prod", pipeline=None, user=USER)
    assert (p.target, p.catalog, p.schema) == ("prod", "analytics", "prod")
    assert p.development is None
    assert p.configuration["run_target"] == "prod"
    assert p.configuration["source_path"].endswith("/data/prod")
    assert p.variables == {"catalog": "analytics", "schema": "prod"}


def test_user_comes_from_the_environment(init_bundle: Path) -> None:
    p = read_bundle(init_bundle, target="dev", pipeline=None,
                    environ={"DATABRICKS_USER": "ann-marie.o@example.com"})
    assert (p.user, p.schema) == ("ann-marie.o@example.com", "ann_marie_o")


def test_sdp_meta_shape_needs_a_pipeline_key(sdp_bundle: Path) -> None:
    with pytest.raises(BundleError) as err:
        read_bundle(sdp_bundle, target=None, pipeline=None, user=USER)
    assert err.value.field == "resources.pipelines"
    assert "pipeline_bronze_people, pipeline_silver_people" in str(err.value)


def test_sdp_meta_shape_nested_references_and_typed_values(sdp_bundle: Path) -> None:
    p = read_bundle(sdp_bundle, target="dev", pipeline="pipeline_bronze_people", user=USER)
    assert (p.name, p.catalog, p.schema) == ("People - R2B", "dev_catalog", "bronze")
    assert p.development is True and p.serverless is True
    assert p.configuration == {
        "layer": "bronze",
        "bronze.spec": "dev_catalog.dataflowspecs.bronze",
        "bundle.sourcePath": f"{p.root.as_posix()}/notebooks",
    }
    (lib,) = p.libraries
    assert (lib.relative, lib.kind, lib.notebook, lib.language) == (
        "notebooks/init_people_pipeline.py", "notebook", True, "python")
    assert p.warnings == ()  # photon, sync, permissions only matter to a deployment

    prod = read_bundle(sdp_bundle, target="prod", pipeline="pipeline_bronze_people",
                       user=USER)
    assert (prod.catalog, prod.development) == ("prod_catalog", False)


def test_sdp_meta_second_pipeline_relative_notebook(sdp_bundle: Path) -> None:
    p = read_bundle(sdp_bundle, target="prod", pipeline="pipeline_silver_people", user=USER)
    assert (p.catalog, p.schema, p.configuration) == ("prod_catalog", "silver",
                                                     {"layer": "silver"})
    assert [lib.relative for lib in p.libraries] == ["notebooks/init_people_pipeline.py"]


def test_target_resources_merge_over_top_level(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: merged}
            include: [resources/*.yml]
            targets:
              dev:
                default: true
                resources:
                  pipelines:
                    etl:
                      schema: dev_schema
                      configuration: {mode: test}
                      libraries:
                        - file: {path: extra/debug.py}
              prod: {}
            """,
        "resources/etl.yml": """
            resources:
              pipelines:
                etl:
                  catalog: cat
                  schema: base
                  configuration: {mode: full, keep: "yes"}
                  libraries:
                    - file: {path: ../src/main.py}
                    - file: {path: ../src/report.sql}
            """,
        "src/main.py": "import dlt\n",
        "src/report.sql": "SELECT 1\n",
        "extra/debug.py": "import dlt\n",
    })
    dev = read_bundle(root, target=None, pipeline=None, user=USER)
    assert (dev.catalog, dev.schema) == ("cat", "dev_schema")
    assert dev.configuration == {"mode": "test", "keep": "yes"}
    # lists are appended; each path is relative to the file declaring it
    assert [lib.relative for lib in dev.libraries] == ["src/main.py", "src/report.sql",
                                                      "extra/debug.py"]
    assert [lib.language for lib in dev.libraries] == ["python", "sql", "python"]
    assert dev.libraries[2].declared_in == "databricks.yml"
    prod = read_bundle(root, target="prod", pipeline="etl", user=USER)
    assert (prod.schema, len(prod.libraries)) == ("base", 2)


def test_legacy_target_field_is_the_schema(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: legacy}
            resources:
              pipelines:
                old:
                  target: legacy_schema
                  libraries: [{notebook: {path: nb.py}}]
            """,
        "nb.py": "# Databricks notebook source\nimport dlt\n",
    })
    p = read_bundle(root, target=None, pipeline=None, user=USER)
    assert (p.target, p.schema, p.legacy_target, p.name) == ("default", "legacy_schema",
                                                            True, "old")


def test_unused_fields_warn_once(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: w}
            python: {resources: [resources:load]}
            targets:
              dev:
                default: true
                colour: blue
            resources:
              pipelines:
                etl:
                  catalogue: typo
                  storage: dbfs:/pipelines/etl
                  photon: true
                  configuration:
                    a: ${workspace.root_path}/x
                    b: ${workspace.root_path}/y
                    job: ${resources.jobs.nightly.id}
                    job_again: ${resources.jobs.nightly.id}
                  libraries:
                    - file: {path: etl.py}
                    - whl: /Volumes/main/libs/lib.whl
            """,
        "etl.py": "import dlt\n",
    })
    p = read_bundle(root, target=None, pipeline=None, user=USER)
    text = "\n".join(p.warnings)
    assert len(p.warnings) == len(set(p.warnings))
    assert "'resources.pipelines.etl.catalogue' is not a setting dltflow knows" in text
    assert "did you mean 'catalog'?" in text
    assert "'resources.pipelines.etl.storage' is not applied locally" in text
    assert "'targets.dev.colour'" in text
    assert "'python' section" in text
    assert "libraries[1].whl' is installed on Databricks only" in text
    assert sum("${workspace.root_path}" in w for w in p.warnings) == 1
    assert sum("${resources.jobs.nightly.id}" in w for w in p.warnings) == 1
    assert "photon" not in text
    assert p.configuration["a"] == f"/Workspace/Users/{USER}/.bundle/w/dev/x"
    assert p.configuration["job"] == "${resources.jobs.nightly.id}"


def test_glob_forms(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: g}
            resources:
              pipelines:
                etl:
                  libraries:
                    - glob: {include: src/one.py}
                    - glob: {include: src/sql/*.sql}
                    - glob: {include: "${workspace.file_path}/src/more/**"}
                    - glob: {include: src/folder}
                    - glob: {include: src/empty/**}
            """,
        "src/one.py": "import dlt\n",
        "src/sql/a.sql": "SELECT 1\n",
        "src/sql/deeper/no.sql": "SELECT 2\n",
        "src/more/x.py": "import dlt\n",
        "src/more/nb.ipynb": "{}\n",
        "src/more/.hidden/y.py": "import dlt\n",
        "src/folder/z.py": "import dlt\n",
        "src/empty/notes.txt": "nothing\n",
    })
    p = read_bundle(root, target=None, pipeline=None, user=USER)
    assert [lib.relative for lib in p.libraries] == [
        "src/one.py", "src/sql/a.sql", "src/more/x.py", "src/folder/z.py"]
    text = "\n".join(p.warnings)
    assert "1 Jupyter notebook(s) skipped" in text
    assert "names the folder 'src/folder'" in text
    assert "'src/empty/**' matches no .py or .sql file" in text


def test_include_globs_are_read_in_order(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: inc}
            include: [resources/**/*.yml, missing/*.yml]
            """,
        "resources/deep/etl.pipeline.yml": """
            resources:
              pipelines:
                etl:
                  libraries: [{file: {path: ../../etl.py}}]
            """,
        "etl.py": "import dlt\n",
    })
    p = read_bundle(root, target=None, pipeline=None, user=USER)
    assert p.source == "resources/deep/etl.pipeline.yml"
    assert [lib.relative for lib in p.libraries] == ["etl.py"]
    assert any("'missing/*.yml' matches no file" in w for w in p.warnings)


# ---- errors: each names the file, the key and the line ----

def test_missing_databricks_yml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        read_bundle(tmp_path, target=None, pipeline=None)
    assert err.value.source == str(tmp_path / "databricks.yml")


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": "bundle: {name: x}\ninclude: [resources/*.yml]\n",
        "resources/bad.yml": "resources:\n  pipelines:\n    etl: [unclosed\n    x: 1\n",
    })
    with pytest.raises(ConfigError) as err:
        read_bundle(root, target=None, pipeline=None)
    assert err.value.source is not None and err.value.source.endswith("resources/bad.yml")
    assert "line 4" in str(err.value)


def _etl_bundle(root: Path, pipeline_yml: str, **extra: str) -> Path:
    return write_files(root, {
        "databricks.yml": """
            bundle: {name: e}
            include: [resources/*.yml]
            variables:
              catalog: {default: main}
              nothing: {description: no value anywhere}
            targets:
              dev: {default: true}
              prod: {}
            """,
        "resources/etl.yml": pipeline_yml,
        "src/etl.py": "import dlt\n",
        **extra,
    })


def test_unknown_pipeline_lists_keys(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl: {libraries: [{file: {path: ../src/etl.py}}]}
            other: {libraries: [{file: {path: ../src/etl.py}}]}
        """)
    with pytest.raises(BundleError) as err:
        read_bundle(root, target=None, pipeline="nope")
    assert err.value.file == "databricks.yml"
    assert "pipelines: etl, other" in str(err.value)


def test_unknown_target_lists_targets(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", "resources: {}\n")
    with pytest.raises(BundleError) as err:
        read_bundle(root, target="staging", pipeline=None)
    assert (err.value.file, err.value.field, err.value.line) == ("databricks.yml", "targets", 6)
    assert "targets: dev, prod" in str(err.value)


def test_several_targets_and_no_default(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {"databricks.yml": """
        bundle: {name: x}
        targets: {a: {}, b: {}}
        """})
    with pytest.raises(BundleError, match="no default target; targets: a, b"):
        read_bundle(root, target=None, pipeline=None)


def test_undefined_variable_names_file_field_and_line(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              catalog: ${var.catalog}
              schema: ${var.schemaa}
              libraries: [{file: {path: ../src/etl.py}}]
        """)
    with pytest.raises(BundleError) as err:
        read_bundle(root, target=None, pipeline=None)
    assert (err.value.file, err.value.field, err.value.line) == (
        "resources/etl.yml", "resources.pipelines.etl.schema", 5)
    assert "undefined variable ${var.schemaa}" in str(err.value)
    assert "catalog, nothing" in str(err.value)


def test_variable_without_a_value(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              schema: ${var.nothing}
              libraries: [{file: {path: ../src/etl.py}}]
        """)
    with pytest.raises(BundleError, match="'nothing' has no value for target 'dev'") as err:
        read_bundle(root, target=None, pipeline=None)
    assert err.value.hint is not None and "BUNDLE_VAR_nothing" in err.value.hint
    p = read_bundle(root, target=None, pipeline=None, variables={"nothing": "given"})
    assert p.schema == "given"


@pytest.mark.parametrize("library", [
    "{file: {path: ../../outside.py}}",
    "{glob: {include: ../../**}}",
    "{notebook: {path: /tmp}}",
])
def test_paths_must_stay_inside_the_bundle(tmp_path: Path, library: str) -> None:
    (tmp_path / "outside.py").write_text("import dlt\n")
    root = _etl_bundle(tmp_path / "deep" / "b", f"""
        resources:
          pipelines:
            etl:
              libraries:
                - {library}
        """)
    with pytest.raises(BundleError, match="outside the bundle folder") as err:
        read_bundle(root, target=None, pipeline=None)
    assert err.value.file == "resources/etl.yml"
    assert err.value.field is not None
    assert err.value.field.startswith("resources.pipelines.etl.libraries[0].")
    assert err.value.line == 5


def test_workspace_path_is_refused_with_a_hint(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              libraries:
                - notebook: {path: /Workspace/Users/me/etl}
        """)
    with pytest.raises(BundleError, match="is a workspace path") as err:
        read_bundle(root, target=None, pipeline=None)
    assert err.value.hint is not None and "${workspace.file_path}" in err.value.hint


def test_missing_and_unreadable_notebooks(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              libraries:
                - notebook: {path: ../src/explore}
        """, **{"src/explore.ipynb": "{}\n"})
    with pytest.raises(BundleError, match="Jupyter notebook"):
        read_bundle(root, target=None, pipeline=None)
    (root / "src" / "explore.ipynb").unlink()
    with pytest.raises(BundleError, match="no such notebook"):
        read_bundle(root, target=None, pipeline=None)


def test_wrong_type_names_field_and_line(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              serverless: sometimes
              libraries: [{file: {path: ../src/etl.py}}]
        """)
    with pytest.raises(BundleError) as err:
        read_bundle(root, target=None, pipeline=None)
    assert (err.value.field, err.value.line) == ("resources.pipelines.etl.serverless", 4)


def test_library_with_two_kinds(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              libraries:
                - file: {path: ../src/etl.py}
                  notebook: {path: ../src/etl.py}
        """)
    with pytest.raises(BundleError, match="exactly one of file, notebook") as err:
        read_bundle(root, target=None, pipeline=None)
    assert err.value.line == 5


def test_schema_and_target_together(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              schema: a
              target: b
              libraries: [{file: {path: ../src/etl.py}}]
        """)
    with pytest.raises(BundleError, match="set only one"):
        read_bundle(root, target=None, pipeline=None)


def test_pipeline_declared_twice(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", "resources: {pipelines: {etl: {}}}\n",
                       **{"resources/again.yml": "resources: {pipelines: {etl: {}}}\n"})
    with pytest.raises(BundleError, match="also declared in resources/again.yml"):
        read_bundle(root, target=None, pipeline=None)


def test_target_sets_an_undeclared_variable(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {"databricks.yml": """
        bundle: {name: x}
        targets:
          dev:
            variables: {catalgo: main}
        """})
    with pytest.raises(BundleError, match="'catalgo' is not declared") as err:
        read_bundle(root, target=None, pipeline=None)
    assert (err.value.field, err.value.line) == ("targets.dev.variables.catalgo", 4)


def test_old_environments_key_presets_and_continuous(tmp_path: Path) -> None:
    root = write_files(tmp_path / "b", {
        "databricks.yml": """
            bundle: {name: old}
            environments:
              dev:
                mode: development
                presets: {pipelines_development: false, name_prefix: "[me] "}
            resources:
              pipelines:
                etl:
                  continuous: true
                  libraries: [{notebook: {path: sql_nb}}]
            """,
        "sql_nb.sql": "-- Databricks notebook source\nCREATE MATERIALIZED VIEW x AS SELECT 1\n",
    })
    p = read_bundle(root, target=None, pipeline=None, user=USER)
    assert (p.target, p.mode, p.development, p.continuous) == ("dev", "development", False,
                                                               True)
    assert [(lib.relative, lib.language, lib.notebook) for lib in p.libraries] == [
        ("sql_nb.sql", "sql", True)]
    assert any("'environments' is the old name of 'targets'" in w for w in p.warnings)
    assert any("'continuous' is not applied locally" in w for w in p.warnings)


def test_root_path_must_be_a_folder_in_the_bundle(tmp_path: Path) -> None:
    root = _etl_bundle(tmp_path / "b", """
        resources:
          pipelines:
            etl:
              root_path: ../src/missing
              libraries: [{file: {path: ../src/etl.py}}]
        """)
    with pytest.raises(BundleError, match="no such folder") as err:
        read_bundle(root, target=None, pipeline=None)
    assert (err.value.field, err.value.line) == ("resources.pipelines.etl.root_path", 4)
