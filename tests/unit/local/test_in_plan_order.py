"""Events of datasets running at once are handed on in plan order."""

from __future__ import annotations

from dltflow.local.events import FlowFinished, FlowStarted
from dltflow.local.execution.in_plan_order import InPlanOrder


def test_later_datasets_wait_for_those_before_them() -> None:
    out: list[object] = []
    order = InPlanOrder(out.append, ["a", "b", "c"])
    a, b, c = (order.emitter(name) for name in "abc")
    c(FlowStarted("c", "c"))
    b(FlowStarted("b", "b"))
    a(FlowStarted("a", "a"))  # the front emits at once
    assert out == [FlowStarted("a", "a")]
    c(FlowFinished("c", "c", "COMPLETED"))
    order.finished("c")
    assert out == [FlowStarted("a", "a")]
    a(FlowFinished("a", "a", "COMPLETED"))
    order.finished("a")  # b is the front now; c still waits for it
    assert out == [FlowStarted("a", "a"), FlowFinished("a", "a", "COMPLETED"),
                   FlowStarted("b", "b")]
    b(FlowFinished("b", "b", "FAILED"))
    order.finished("b")  # c had finished already: all of it follows
    assert out[3:] == [FlowFinished("b", "b", "FAILED"), FlowStarted("c", "c"),
                       FlowFinished("c", "c", "COMPLETED")]
