"""Planning errors, all at once: every dataset that cannot be planned is reported in one
run, and the datasets downstream of a failure are named as skipped.

Also here: a constraint that cannot be evaluated on its dataset (an unknown column, a
type error) is a definition error naming the expectation, found before data moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from dltflow.causes import root_cause
from dltflow.exceptions import ConfigError, DatasetFailed, DLTException, GraphError, PlanFailed

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.graph.elements import Dataset

__all__ = ["check_constraints", "combined"]


def check_constraints(dataset: Dataset, frame: DataFrame | None) -> None:
    """Raise a :class:`ConfigError` naming each expectation ``frame`` cannot evaluate.

    Each expectation is analysed on its own: the planner calls this only after the
    frame analysed with all of them at once failed (``_Analyzer._frame_schema``).
    """
    from dltflow.graph.expectations import passes

    if frame is None or not dataset.expectations:
        return
    problems = []
    for spec in dataset.expectations:
        try:
            _ = frame.select(passes(spec)).schema  # .schema: Spark Connect analyses lazily
        except Exception as err:  # noqa: BLE001 - any analysis error is the user's constraint
            problems.append(f"expectation '{spec.name}' of dataset '{dataset.name}' "
                            f"({spec.constraint}): {root_cause(err).splitlines()[0]}")
    if problems:
        where = str(dataset.source_location) if dataset.source_location else None
        columns = ", ".join(frame.columns)
        raise ConfigError(problems, source=where,
                          hint=f"the dataset's columns are: {columns}.")


def combined(failures: Mapping[str, DLTException]) -> DLTException | None:
    """One error for every dataset that failed planning (None when none did).

    Args:
        failures: dataset -> the error that stopped its planning (its own, or an
            upstream's, which makes it skipped).
    """
    distinct: list[DLTException] = []
    for err in failures.values():
        if all(err is not seen for seen in distinct):
            distinct.append(err)
    if not distinct:
        return None
    definition = [e for e in distinct if not isinstance(e, DatasetFailed)]
    if definition:
        if len(definition) == 1:
            return definition[0]
        if all(isinstance(e, ConfigError) for e in definition):
            return ConfigError([p for e in definition for p in e.problems])  # type: ignore[attr-defined]
        return GraphError(f"{len(definition)} problems:\n" + "\n".join(
            f"  - {e}" for e in definition),
            names=[n for e in definition for n in getattr(e, "names", [])])
    failed = [e for e in distinct if isinstance(e, DatasetFailed)]
    own = {e.dataset for e in failed}
    skipped = [name for name in failures if name not in own]
    return PlanFailed(failed, skipped) if len(failed) > 1 or skipped else failed[0]
