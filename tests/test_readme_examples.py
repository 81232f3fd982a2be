"""Every Python example in the README runs as written and prints what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

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
