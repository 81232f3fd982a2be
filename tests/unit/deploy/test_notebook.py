from __future__ import annotations

import ast

import pytest

from dltflow.deploy.notebook import (
    CELL_SEPARATOR,
    HEADER,
    NotebookTask,
    PipInstall,
    python_cells,
    render_notebook,
)

NASTY = 'conf/x"\'\'\'"""\n# COMMAND ----------\nimport os; os.system("rm -rf /")\\.yml'


def _launch_call(source: str) -> ast.Call:
    for cell in python_cells(source):
        for node in ast.walk(ast.parse(cell)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "launch":
                return node
    raise AssertionError("no launch() call")


def test_layout_pip_cell_then_task_cells() -> None:
    source = render_notebook(
        [NotebookTask("pkg.mod", "P", "conf/p.yml", ("--conf", "conf/p.yml"), "launch")],
        artifact_root="/Workspace/a/b", installs=[PipInstall(("dltflow==0.2.0", "pyyaml"))],
        digest="abc123")
    assert source.startswith(HEADER + "\n")
    cells = source.split(f"\n{CELL_SEPARATOR}\n")
    assert cells[1].strip() == "# MAGIC %pip install dltflow==0.2.0 pyyaml"
    call = _launch_call(source)
    values = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert values == {"artifact_root": "/Workspace/a/b", "module": "pkg.mod", "class_name": "P",
                      "conf_path": "conf/p.yml", "parameters": ["--conf", "conf/p.yml"],
                      "launch_method": "launch"}


def test_hostile_values_stay_data() -> None:
    root = '/Workspace/x"""\n)\nimport os  #\''
    source = render_notebook([NotebookTask("pkg.mod", "P", NASTY, ("--conf", NASTY), None)],
                             artifact_root=root, installs=[PipInstall(("a b'; rm -rf /",))])
    cells = python_cells(source)
    assert len(cells) == 2  # the header cell and the one task cell: no cell was injected
    for cell in cells:
        compile(cell, "<cell>", "exec")
    tree = ast.parse(cells[-1])
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) and
                   any(a.name == "os" for a in n.names) for n in ast.walk(tree))
    values = {k.arg: ast.literal_eval(k.value) for k in _launch_call(source).keywords}
    assert values["conf_path"] == NASTY and values["parameters"] == ["--conf", NASTY]
    assert values["artifact_root"] == root
    assert "# MAGIC %pip install 'a b'\"'\"'; rm -rf /'" in source


def test_refuses_non_identifiers_and_newlines_in_pip_args() -> None:
    with pytest.raises(ValueError):
        render_notebook([NotebookTask("pkg.mod; import os", "P")], artifact_root="/x")
    with pytest.raises(ValueError):
        render_notebook([], artifact_root="/x", installs=[PipInstall(("a\nimport os",))])
    with pytest.raises(ValueError):
        render_notebook([], artifact_root="/x", digest="not hex\n")
