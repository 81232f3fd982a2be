"""Every Python example in the README runs as written and prints what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _claimed_output(block: str) -> list[str]:
    """The `# value` comments right after print(...) lines, in order."""
    lines = block.splitlines()
    claims = []
    for i, line in enumerate(lines):
        if line.startswith("print(") and "#" in line:
            claims.append(line.split("#", 1)[1].strip())
        elif line.startswith("print(") and i + 1 < len(lines) and lines[i + 1].startswith("# "):
            claims.append(lines[i + 1][2:].strip())
    return claims


def test_readme_examples_run_and_print_what_they_claim(spark: SparkSession) -> None:
    blocks = _python_blocks()
    assert blocks, "the README has Python examples"
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})
        printed = [line.strip() for line in out.getvalue().splitlines()]
        assert printed == _claimed_output(block)


def _files_in_readme() -> dict[str, str]:
    """Blocks whose first line names a file (``# pipelines/hello.py``), by path."""
    text = README.read_text(encoding="utf-8")
    files = {}
    for body in re.findall(r"```(?:py|yaml)\n(.*?)```", text, re.S):
        first = body.splitlines()[0]
        if re.fullmatch(r"# [\w/]+\.(py|yml)", first):
            files[first[2:]] = body
    return files


def _claimed_table() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```text\n\$ dltflow run pipelines/hello.py[^\n]*\n(.*?)```", text, re.S)
    assert block, "the README shows the output of `dltflow run pipelines/hello.py`"
    return [line.split() for line in block.group(1).strip().splitlines()]


def test_readme_hello_project_runs_as_shown(spark: SparkSession, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             run_pipeline: object) -> None:
    from click.testing import CliRunner

    from dltflow.cli.interface import cli
    from dltflow.local import run

    files = _files_in_readme()
    assert {"pipelines/hello.py", "conf/hello.yml", "tests/test_hello.py"} <= set(files)
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))

    result = CliRunner().invoke(cli, ["run", "pipelines/hello.py", "--conf", "conf/hello.yml",
                                      "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    printed = [line.split() for line in result.stdout.strip().splitlines()]
    assert printed[-4:] == _claimed_table()

    # `dltflow graph` and `dltflow report` as the README shows them.
    graph = CliRunner().invoke(cli, ["graph", "pipelines/hello.py", "--conf", "conf/hello.yml",
                                     "--warehouse", str(tmp_path / "wh")])
    assert graph.exit_code == 0, graph.output
    assert graph.stdout.startswith("flowchart LR") and "n0 --> n1" in graph.stdout
    report = CliRunner().invoke(cli, ["report", "--warehouse", str(tmp_path / "wh"),
                                      "-o", "run.html"])
    assert report.exit_code == 0, report.output
    assert 'data-id="ds:small_numbers"' in (tmp_path / "run.html").read_text(encoding="utf-8")

    api = run("pipelines/hello.py", conf="conf/hello.yml", warehouse=str(tmp_path / "wh2"))
    assert api.datasets["small_numbers"].expectations == {
        "even": {"passed_records": 4, "failed_records": 4}}

    # The README's test, run with this session's own `run_pipeline` fixture.
    test_file = tmp_path / "tests" / "test_hello.py"
    namespace: dict[str, object] = {}
    exec(compile(test_file.read_text(), str(test_file), "exec"), namespace)
    namespace["test_hello"](run_pipeline)  # type: ignore[operator]
