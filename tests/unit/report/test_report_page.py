"""The report of a failed run with a quarantine table: through ``dltflow run --report``
and ``dltflow report``, parsed back, and opened in a real headless Chromium.

Expected figures are computed here from the pipeline's input rows, not by the engine.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from tests.support.report_page import assert_report_matches, check_drawing, figures_of, parse
from tests.unit.report.pipelines import failing

PIPELINE = Path(failing.__file__)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def failed_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("failed_run")
    conf = folder / "failing.yml"
    conf.write_text(yaml.safe_dump(failing.CONF), encoding="utf-8")
    report = folder / "report.html"
    result = CliRunner().invoke(cli, ["run", str(PIPELINE), "--conf", str(conf), "--warehouse",
                                      str(folder / "wh"), "--schema", "report_failing",
                                      "--output", "json", "--report", str(report)],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return {"payload": json.loads(result.stdout), "html": report.read_text(encoding="utf-8"),
            "warehouse": folder / "wh", "report": report, "folder": folder}


def _expected() -> dict[str, Any]:
    ages = [age for _, age, _ in failing.PEOPLE]
    people = [a for a in ages if 10 <= a <= 100]
    bins: dict[int, int] = {}
    for age in people:
        bins[age // 10 * 10] = bins.get(age // 10 * 10, 0) + 1
    working = [a for a in people if a >= 18]
    return {"people": people, "dropped": len(ages) - len(people), "bins": bins,
            "working": [a for a in working if a < 67], "retired": [a for a in working if a >= 67]}


def test_the_page_shows_what_failed_and_what_it_skipped(failed_run: dict[str, Any]) -> None:
    html, expected = failed_run["html"], _expected()
    page = assert_report_matches(html, failed_run["payload"])
    statuses = {n: a["data-status"] for n, a in page.nodes.items()}
    assert statuses == {"ds:people": "COMPLETED", "ds:bins": "FAILED",
                        "ds:bin_totals": "SKIPPED", "ds:working_age": "COMPLETED",
                        "ds:working_age_quarantine": "COMPLETED"}
    assert figures_of(page, "ds:people")["output_rows"] == len(expected["people"])
    assert figures_of(page, "ds:people")["dropped_rows"] == expected["dropped"]
    assert figures_of(page, "ds:working_age") == {
        "status": "COMPLETED", "output_rows": len(expected["working"]),
        "dropped_rows": len(expected["retired"]),
        "expectations": {"below_retirement": {"passed_records": len(expected["working"]),
                                              "failed_records": len(expected["retired"])}}}
    assert figures_of(page, "ds:working_age_quarantine")["output_rows"] == \
        len(expected["retired"])
    assert page.nodes["ds:working_age_quarantine"]["data-kind"] == "quarantine"
    small = sum(1 for n in expected["bins"].values() if n < 2)
    assert small > 0
    failure = html[html.index('data-failed="bins"'):]
    assert "crowded_bin" in failure[:failure.index("</div>")]
    assert f"violated by {small} record(s)" in failure[:failure.index("</div>")]
    assert "Skipped downstream: bin_totals" in failure[:failure.index("</div>")]
    # Colour and word both: the class drives the colour, the word is in the text.
    assert 'class="node k-materialized_view s-failed"' in html
    assert "materialized view \u00b7 FAILED" in html


def test_report_command_rebuilds_the_same_page(failed_run: dict[str, Any]) -> None:
    out = failed_run["folder"] / "again.html"
    result = CliRunner().invoke(cli, ["report", "--warehouse", str(failed_run["warehouse"]),
                                      "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == failed_run["html"]
    result = CliRunner().invoke(cli, ["report", "--warehouse", str(failed_run["warehouse"]),
                                      "--run", failed_run["payload"]["run_id"],
                                      "-o", str(out)], catch_exceptions=False)
    assert out.read_text(encoding="utf-8") == failed_run["html"]


def _unfilter(kind: int, line: bytearray, prior: bytearray, bpp: int) -> bytearray:
    """Undo one PNG row filter (none, sub, up, average, Paeth)."""
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prior[i]
        corner = prior[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + guess) & 0xFF
    return line


def _png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct colours of an 8-bit RGB(A) PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            chunks.append(data)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous,
                         channels)
        if row % 8 == 0:
            colours.update(bytes(line[c:c + 3]) for c in range(0, stride, channels * 4))
        previous = line
    return width, height, len(colours)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[bytes]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1280,900"]
    return subprocess.run([str(CHROMIUM), *flags, *args], capture_output=True, timeout=180,
                          check=False)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed "
                    "(/usr/bin/chromium); `make test-browser` installs it and runs this test")
def test_chromium_renders_the_failed_run(failed_run: dict[str, Any], tmp_path: Path) -> None:
    report, shot = failed_run["report"], tmp_path / "report.png"
    done = _chromium(f"--screenshot={shot}", report.as_uri(), profile=tmp_path / "p1")
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    width, height, colours = _png_size_and_colours(shot.read_bytes())
    assert (width, height) == (1280, 900)
    assert colours > 8, "the screenshot is blank"

    dom = _chromium("--dump-dom", report.as_uri(), profile=tmp_path / "p2").stdout.decode()
    page = check_drawing(dom)  # the DOM the browser built still has every box and edge
    for name in ("people", "bins", "bin_totals", "working_age", "working_age_quarantine"):
        assert f"ds:{name}" in page.nodes
        assert f">{name}<" in dom
    assert 'class="js"' in dom  # the inline script ran

    # "Clicking" a node is following its link: the script opens and marks its details.
    skipped = page.dom_of("ds:bin_totals")[1:]
    clicked = parse(_chromium("--dump-dom", f"{report.as_uri()}#d{skipped}",
                              profile=tmp_path / "p3").stdout.decode())
    panel = next(a for tag, a in clicked.tags if tag == "details" and a.get("id") == f"d{skipped}")
    assert "open" in panel and "selected" in panel["class"].split()
    assert "selected" in clicked.nodes["ds:bin_totals"]["class"].split()
    closed = next(a for tag, a in clicked.tags if tag == "details"
                  and a.get("data-node") == "ds:people")
    assert "open" not in closed
    if os.environ.get("DLTFLOW_UPDATE_SCREENSHOT"):  # refresh the README's picture
        shutil.copyfile(shot, Path(__file__).resolve().parents[3] / "docs" / "report.png")
