from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy.resolve import module_name, resolve_task
from dltflow.exceptions import ConfigError
from tests.support.project import write

TWO = """
from dltflow.quality import DLTMetaMixin
import dltflow.quality as q
class Base(DLTMetaMixin):
    def launch(self): ...
class Child(Base): ...
class Other(q.DLTMetaMixin): ...
class Plain: ...
raise RuntimeError("resolving must never import this file")
"""


def test_finds_the_single_pipeline_class(project: Path) -> None:
    found = resolve_task(project, "sample_pkg/pipelines/people.py")
    assert (found.module, found.class_name) == ("sample_pkg.pipelines.people", "PeoplePipeline")


def test_several_classes_need_class_name(tmp_path: Path) -> None:
    write(tmp_path / "pkg/two.py", TWO)
    with pytest.raises(ConfigError) as info:
        resolve_task(tmp_path, "pkg/two.py")
    assert "Base" in str(info.value) and "Child" in str(info.value)
    assert "Other" in str(info.value) and "Plain" not in info.value.problems[0]
    assert resolve_task(tmp_path, "pkg/two.py", "Child", "launch").launch_method == "launch"
    assert resolve_task(tmp_path, "pkg/two.py", "Other", "launch").launch_method is None


def test_no_pipeline_class_and_unknown_class_name(tmp_path: Path) -> None:
    write(tmp_path / "pkg/none.py", "class Plain: ...\n")
    with pytest.raises(ConfigError, match="no DLTMetaMixin subclass"):
        resolve_task(tmp_path, "pkg/none.py")
    with pytest.raises(ConfigError, match="no class 'Missing'"):
        resolve_task(tmp_path, "pkg/none.py", "Missing")


def test_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path / "pkg/broken.py", "class (:\n")
    with pytest.raises(ConfigError, match="cannot parse"):
        resolve_task(tmp_path, "pkg/broken.py")


def test_module_names() -> None:
    assert module_name("a/b/c.py") == "a.b.c"
    assert module_name("./a/__init__.py") == "a"
    with pytest.raises(ConfigError):
        module_name("my-pkg/x.py")
