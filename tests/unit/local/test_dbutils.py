"""The local ``dbutils``: file system calls on local paths, widgets from configuration."""

from __future__ import annotations

import pytest

from dltflow.exceptions import ConfigError, DLTException
from dltflow.local.databricks.dbutils import dbutils
from dltflow.local.databricks.patches import patched


def test_fs_on_local_paths(tmp_path):
    root = tmp_path / "landing"
    assert dbutils.fs.mkdirs(f"file:{root}/raw")
    dbutils.fs.put(str(root / "raw" / "a.json"), '{"id": 1}\n')
    with pytest.raises(FileExistsError):
        dbutils.fs.put(str(root / "raw" / "a.json"), "x")
    listing = dbutils.fs.ls(str(root))
    assert [(f.name, f.size) for f in listing] == [("raw/", 0)]
    files = dbutils.fs.ls(f"file://{root}/raw")
    assert [(f.name, f.size) for f in files] == [("a.json", 10)]
    assert files[0].path.startswith("file:") and files[0].modificationTime > 0
    assert dbutils.fs.head(str(root / "raw" / "a.json"), 4) == '{"id'
    dbutils.fs.cp(str(root / "raw"), str(root / "copy"), recurse=True)
    assert (root / "copy" / "a.json").read_text() == '{"id": 1}\n'
    with pytest.raises(IsADirectoryError):
        dbutils.fs.rm(str(root / "copy"))
    assert dbutils.fs.rm(str(root / "copy"), recurse=True)
    assert not dbutils.fs.rm(str(root / "copy"))
    assert not (root / "copy").exists()


def test_workspace_features_fail_clearly():
    with pytest.raises(DLTException, match="only available on Databricks"):
        dbutils.fs.ls("dbfs:/databricks-datasets")
    with pytest.raises(DLTException, match="secrets"):
        dbutils.secrets.get("scope", "key")


def test_widgets_outside_a_run_name_the_key():
    with pytest.raises(ConfigError, match="--configuration region=VALUE"):
        dbutils.widgets.get("region")


def test_installed_makes_dbutils_a_builtin_only_inside():
    import builtins

    with patched():
        assert builtins.dbutils is dbutils  # type: ignore[attr-defined]
    assert not hasattr(builtins, "dbutils")
