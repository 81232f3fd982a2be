"""The graph as text for docs and CI: Mermaid (renders on GitHub) and Graphviz DOT."""

from __future__ import annotations

import json

from dltflow.report.model import Node, PipelineGraph

__all__ = ["to_dot", "to_mermaid"]

_KIND_WORDS = {"materialized_view": "materialized view", "streaming_table": "streaming table",
               "sink": "sink",
               "view": "view", "quarantine": "quarantine table", "dataset": "dataset",
               "flow": "flow", "input": "input"}
_MERMAID_SHAPES = {"view": ("([", "])"), "flow": ("{{", "}}"), "input": ("[/", "/]"),
                   "streaming_table": ("[[", "]]"), "sink": ("[\\", "/]")}
_DOT_SHAPES = {"view": "ellipse", "flow": "hexagon", "input": "parallelogram",
               "streaming_table": "box3d", "quarantine": "box", "sink": "cds"}


def kind_word(node: Node) -> str:
    """How the node's kind reads in a label (``apply_changes flow``, ``path input``)."""
    word = _KIND_WORDS.get(node.kind, node.kind)
    if node.kind in ("flow", "input") and node.detail:
        return f"{node.detail} {word}"
    if node.kind == "quarantine" and node.detail:
        return f"quarantine of {node.detail}"
    return word


def _mermaid_text(text: str) -> str:
    return "\"" + text.replace("\"", "#quot;").replace("\n", "<br/>") + "\""


def to_mermaid(graph: PipelineGraph) -> str:
    """A ``flowchart LR`` with one node per dataset, flow and input."""
    ids = {node.id: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        left, right = _MERMAID_SHAPES.get(node.kind, ("[", "]"))
        label = _mermaid_text(f"{node.name}\n{kind_word(node)}" + _failed_line(node))
        lines.append(f"    {ids[node.id]}{left}{label}{right}")
    arrows = {"stream": "-.->", "quarantine": "-. quarantine .->", "write": "==>"}
    for edge in graph.edges:
        lines.append(f"    {ids[edge.source]} {arrows.get(edge.kind, '-->')} {ids[edge.target]}")
    lines.append("    classDef quarantine stroke:#c0392b,stroke-dasharray: 4 3;")
    quarantined = [ids[n.id] for n in graph.nodes if n.kind == "quarantine"]
    if quarantined:
        lines.append(f"    class {','.join(quarantined)} quarantine;")
    failed = [ids[n.id] for n in graph.nodes if n.error]
    if failed:
        lines.append("    classDef failed stroke:#c0392b,stroke-width:3px,fill:#fdecea;")
        lines.append(f"    class {','.join(failed)} failed;")
    return "\n".join(lines) + "\n"


def _failed_line(node: Node) -> str:
    """A failed dataset's label ends with its error's first line (shortened)."""
    if not node.error:
        return ""
    first = node.error.strip().splitlines()[0]
    if first.startswith("Dataset '") and " failed in " in first and ": " in first:
        first = first.split(": ", 1)[1]  # the label already names the dataset
    return "\nFAILED: " + (first if len(first) <= 160 else first[:157] + "...")


def to_dot(graph: PipelineGraph) -> str:
    """A ``digraph`` (left to right) for Graphviz."""
    lines = ["digraph pipeline {", "    rankdir=LR;",
             '    node [shape=box, style="rounded", fontname="Helvetica"];']
    for node in graph.nodes:
        label = json.dumps(f"{node.name}\n{kind_word(node)}" + _failed_line(node),
                           ensure_ascii=False)
        shape = _DOT_SHAPES.get(node.kind, "box")
        extra = ', color="#c0392b", style="dashed"' if node.kind == "quarantine" else ""
        if node.error:
            extra = ', color="#c0392b", penwidth=3, style="rounded,filled", fillcolor="#fdecea"'

        name = json.dumps(node.id, ensure_ascii=False)
        lines.append(f"    {name} [label={label}, shape={shape}{extra}];")
    styles = {"stream": ' [style="dashed"]', "write": ' [style="bold"]',
              "quarantine": ' [style="dashed", color="#c0392b", label="quarantine"]'}
    for edge in graph.edges:
        lines.append(f"    {json.dumps(edge.source)} -> {json.dumps(edge.target)}"
                     f"{styles.get(edge.kind, '')};")
    lines.append("}")
    return "\n".join(lines) + "\n"
