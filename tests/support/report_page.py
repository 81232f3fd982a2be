"""Reading a generated page back with the standard library's HTML parser, and the checks
every page must pass (all nodes and edges drawn, no overlapping boxes, no edge through a
box, nothing fetched from the network)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_URL_ATTRS = {"src", "href", "xlink:href", "action", "data", "poster", "srcset", "formaction",
              "background", "manifest", "ping"}


@dataclass
class Page:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)  # data-id -> attrs
    edges: list[dict[str, str]] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # table class -> trs
    expectations: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)

    def dom_of(self, node_id: str) -> str:
        return self.nodes[node_id]["id"]

    def box(self, node_id: str) -> tuple[float, float, float, float]:
        a = self.nodes[node_id]
        return float(a["data-x"]), float(a["data-y"]), float(a["data-w"]), float(a["data-h"])

    def edge_pairs(self) -> set[tuple[str, str]]:
        by_dom = {a["id"]: node_id for node_id, a in self.nodes.items()}
        return {(by_dom[e["data-source"]], by_dom[e["data-target"]]) for e in self.edges}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._table: list[str] = []
        self._panel: list[str] = []
        self._where: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags.append((tag, a))
        self._where.append(tag)
        if tag == "g" and "node" in a.get("class", "").split():
            self.page.nodes[a["data-id"]] = a
        elif tag == "path" and "edge" in a.get("class", "").split():
            self.page.edges.append(a)
        elif tag == "table":
            self._table.append(a.get("class", ""))
            self.page.rows.setdefault(a.get("class", ""), [])
        elif tag == "tr" and self._table:
            self.page.rows[self._table[-1]].append(a)
            if "data-expectation" in a and self._panel:
                self.page.expectations.setdefault(self._panel[-1], {})[
                    a["data-expectation"]] = a
        elif tag == "details":
            self._panel.append(a.get("data-node", ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()
        if tag == "details" and self._panel:
            self._panel.pop()
        if self._where and self._where[-1] == tag:
            self._where.pop()

    def handle_data(self, data: str) -> None:
        where = self._where[-1] if self._where else ""
        if where == "style":
            self.page.styles.append(data)
        elif where == "script":
            self.page.scripts.append(data)
        else:
            self.page.text.append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def network_references(html: str) -> list[str]:
    """Everything in the page that would make a browser fetch something."""
    page = parse(html)
    found = []
    for tag, attrs in page.tags:
        if tag in ("link", "iframe", "embed", "object", "img", "video", "audio", "source"):
            found.append(f"<{tag}>")
        if tag == "script" and "src" in attrs:
            found.append(f"<script src={attrs['src']}>")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            found.append("<meta refresh>")
        for name, value in attrs.items():
            if name in _URL_ATTRS and value and not value.startswith("#"):
                found.append(f"{tag} {name}={value}")
            if name == "style" and re.search(r"url\((?!\s*['\"]?#)", value):
                found.append(f"{tag} style url()")
    css = "\n".join(page.styles)
    found += [f"css {m}" for m in re.findall(r"@import[^;]*|url\((?!\s*['\"]?#)[^)]*\)", css)]
    js = "\n".join(page.scripts)
    found += [f"js {m}" for m in re.findall(
        r"\b(?:fetch|XMLHttpRequest|WebSocket|EventSource|importScripts|sendBeacon)\b|"
        r"https?://", js)]
    if re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE):
        found.append("an absolute URL in the page")
    return found


def _segments_clear(points: list[tuple[float, float]], boxes: list[tuple[float, ...]]
                    ) -> bool:
    """Each segment (its bounding box: curves stay inside it) touches no box's interior."""
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        lo_x, hi_x = min(x1, x2) + 0.5, max(x1, x2) - 0.5
        lo_y, hi_y = min(y1, y2), max(y1, y2)
        for x, y, w, h in boxes:
            if lo_x < x + w and x < hi_x and lo_y <= y + h and y <= hi_y:
                return False
    return True


def check_drawing(html: str) -> Page:
    """Boxes do not overlap, no edge runs through a box, nothing is fetched."""
    page = parse(html)
    boxes = {n: page.box(n) for n in page.nodes}
    items = list(boxes.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), \
                f"boxes of {a} and {b} overlap"
    for edge in page.edges:
        points = [tuple(map(float, p.split(","))) for p in edge["data-points"].split()]
        assert _segments_clear(points, list(boxes.values())), f"edge crosses a box: {edge}"  # type: ignore[arg-type]
    assert network_references(html) == []
    return page


def figures_of(page: Page, node_id: str) -> dict[str, Any]:
    """A node's figures as drawn: status, rows, dropped, and its expectation counts."""
    attrs = page.nodes[node_id]
    rows = attrs.get("data-rows")
    return {"status": attrs.get("data-status"),
            "output_rows": None if rows in (None, "") else int(rows),
            "dropped_rows": int(attrs.get("data-dropped", 0)),
            "expectations": {name: {"passed_records": int(e["data-passed"]),
                                    "failed_records": int(e["data-failed"])}
                             for name, e in page.expectations.get(node_id, {}).items()
                             if "data-passed" in e}}


def assert_report_matches(html: str, payload: dict[str, Any]) -> Page:
    """The report page of a run shows exactly that run's result (``run --output json``)."""
    page = check_drawing(html)
    assert f">{payload['run_id']}<" in html
    for name, expected in payload["datasets"].items():
        drawn = figures_of(page, f"ds:{name}")
        assert {k: drawn[k] for k in expected} == expected, name
    return page
