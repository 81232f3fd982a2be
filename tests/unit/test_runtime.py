"""``dltflow.runtime.launch``: import from the artifacts, configure, instantiate, launch;
no Spark needed (registration is lazy, so a stand-in session object is enough)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dltflow.exceptions import ConfigError
from dltflow.graph import InMemoryRegistry, registration_context
from dltflow.runtime import launch
from tests.support.project import CONF_YML, write

SESSION = object()

SIGNATURES = '''
from dltflow.quality import DLTMetaMixin

class Keywords(DLTMetaMixin):
    def __init__(self, spark=None, init_conf=None):
        self.spark, self.got = spark, init_conf
    def people(self): ...
    def adults(self): ...

class Positional(DLTMetaMixin):
    def __init__(self, session, conf):
        self.spark, self.conf = session, conf
    def people(self): ...
    def adults(self): ...
    def go(self):
        self.went = True
        self.register_datasets()

class FromArgv(DLTMetaMixin):
    def __init__(self):
        self.spark = None
    def people(self): ...
    def adults(self): ...
'''


def _launch(root: Path, class_name: str, **kwargs):  # type: ignore[no-untyped-def]
    registry = InMemoryRegistry()
    with registration_context(registry):
        launch(SESSION, artifact_root=str(root), module="lpkg.sigs", class_name=class_name,
               **kwargs)
    return registry


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write(tmp_path / "lpkg/__init__.py", "")
    write(tmp_path / "lpkg/sigs.py", SIGNATURES)
    write(tmp_path / "conf/p.yml", CONF_YML)
    return tmp_path


@pytest.mark.parametrize("class_name", ["Keywords", "Positional"])
def test_signatures_get_spark_and_config(root: Path, class_name: str) -> None:
    registry = _launch(root, class_name, conf_path="conf/p.yml")
    assert sorted(d.name for d in registry.datasets) == ["adults", "people"]


def test_conf_from_parameters_only(root: Path) -> None:
    registry = _launch(root, "FromArgv", parameters=["--conf", "conf/p.yml"])
    assert sorted(d.name for d in registry.datasets) == ["adults", "people"]


def test_launch_method_is_called(root: Path) -> None:
    registry = _launch(root, "Positional", conf_path="conf/p.yml", launch_method="go")
    assert len(registry.datasets) == 2
    with pytest.raises(ConfigError, match="no method 'nope'"):
        _launch(root, "Positional", conf_path="conf/p.yml", launch_method="nope")


def test_bad_config_names_the_file(root: Path) -> None:
    write(root / "conf/bad.yml", "dlt:\n  - func_name: people\n    kind: tabel\n")
    with pytest.raises(ConfigError) as info:
        _launch(root, "Keywords", conf_path="conf/bad.yml")
    assert info.value.source == "conf/bad.yml"


def test_missing_module_and_class(root: Path) -> None:
    with pytest.raises(ConfigError, match="has no class 'Nope'"):
        _launch(root, "Nope", conf_path="conf/p.yml")
    with pytest.raises(ConfigError, match="cannot import"):
        launch(SESSION, artifact_root=str(root), module="lpkg.missing", class_name="X")


def test_stale_same_named_package_is_not_used(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other / "lpkg/__init__.py", "")
    write(other / "lpkg/sigs.py", "raise RuntimeError('stale copy imported')\n")
    _launch(root, "Keywords", conf_path="conf/p.yml")  # imports root's lpkg
    assert Path(sys.modules["lpkg.sigs"].__file__).is_relative_to(root)
    with pytest.raises(ConfigError, match="stale copy imported"):
        launch(SESSION, artifact_root=str(other), module="lpkg.sigs", class_name="Keywords")
