"""One logical write, one event: folding the inner steps of a write into the enclosing one.

Spark reports a parquet ``saveAsTable`` as three queries into the same location, innermost first
(``spark_lineage.write_commands``), and the listener does not say which ran inside which. Their
run windows do: an inner step starts after and ends before the command that ran it. So the
worker hands every event to a :class:`WriteCoalescer`:

- an event of a write that may be an inner step (:attr:`WriteStep.NESTABLE`) is *held*;
- an event whose window encloses a held event of the same output dataset *absorbs* it: the one
  event keeps the enclosing command's run, job and table name and gains every fact only the
  inner step had (Delta version, schema, column lineage, inputs, warnings);
- a held event goes out as it is once no enclosing write can still come: Spark's clock (the end
  of a later query) or the worker's clock moved ``hold_ms`` past it, or the agent flushes.

Pure: no Spark, no threads; the agent's worker calls it and emits what it returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from spark_lineage.model import InputDataset, LineageEvent, OutputDataset

#: How long after its end a held write waits for an enclosing one (a Hive metastore's create
#: after a CTAS's files are written takes a few hundred ms on a busy 2-core machine).
DEFAULT_HOLD_MS = 5_000
#: Held writes beyond this many go out at once, oldest first (bounds the memory held).
MAX_HELD = 64
#: Slack on window containment: listener times are whole milliseconds from two clocks.
_SLACK_MS = 5


@dataclasses.dataclass(slots=True)
class _Held:
    event: LineageEvent
    due_ms: float  # worker clock


class WriteCoalescer:
    """Holds the events of writes that may be inner steps until their enclosing write comes."""

    def __init__(self, clock_ms: Callable[[], float], hold_ms: int = DEFAULT_HOLD_MS) -> None:
        self._clock_ms = clock_ms
        self._hold_ms = hold_ms
        self._held: list[_Held] = []
        self.folded = 0  # inner steps absorbed so far (for health)

    @property
    def holding(self) -> int:
        return len(self._held)

    def push(self, event: LineageEvent, nestable: bool) -> list[LineageEvent]:
        """Take one event; return the events to emit now, in order (held ones first)."""
        inner = [h for h in self._held if _encloses(event, h.event)]
        for held in inner:
            self._held.remove(held)
            event = _absorb(event, held.event)
            self.folded += 1
        ready = self._expired(spark_ms=event.ended_at_ms)
        if nestable and event.outputs:
            self._held.append(_Held(event, self._clock_ms() + self._hold_ms))
            while len(self._held) > MAX_HELD:
                ready.append(self._held.pop(0).event)
        else:
            ready.append(event)
        return ready

    def due_in_ms(self) -> float | None:
        """Milliseconds until the first held event is due (None when nothing is held)."""
        if not self._held:
            return None
        return max(0.0, min(h.due_ms for h in self._held) - self._clock_ms())

    def expired(self) -> list[LineageEvent]:
        """Held events no enclosing write can still claim (by the worker's clock)."""
        return self._expired(spark_ms=None)

    def drain(self) -> list[LineageEvent]:
        """Every held event, oldest first (flush and close)."""
        ready = [h.event for h in self._held]
        self._held.clear()
        return ready

    def _expired(self, spark_ms: int | None) -> list[LineageEvent]:
        now = self._clock_ms()
        ready: list[LineageEvent] = []
        for held in list(self._held):
            late = spark_ms is not None and spark_ms > held.event.ended_at_ms + self._hold_ms
            if held.due_ms <= now or late:
                self._held.remove(held)
                ready.append(held.event)
        return ready


def _encloses(outer: LineageEvent, inner: LineageEvent) -> bool:
    """``outer`` ran ``inner``: same output dataset, and ``inner``'s window inside ``outer``'s."""
    if not outer.outputs or not inner.outputs or outer.run_id == inner.run_id:
        return False
    if not {o.dataset.key for o in outer.outputs} & {o.dataset.key for o in inner.outputs}:
        return False
    return (
        inner.started_at_ms >= outer.started_at_ms - _SLACK_MS
        and inner.ended_at_ms <= outer.ended_at_ms + _SLACK_MS
    )


def _absorb(outer: LineageEvent, inner: LineageEvent) -> LineageEvent:
    """The enclosing event, with every fact that only the inner step had."""
    inner_outputs = {o.dataset.key: o for o in inner.outputs}
    outputs = tuple(
        _merge_output(o, inner_outputs[o.dataset.key]) if o.dataset.key in inner_outputs else o
        for o in outer.outputs
    )
    return dataclasses.replace(
        outer,
        outputs=outputs,
        inputs=_merge_inputs(outer.inputs, inner.inputs),
        warnings=tuple(dict.fromkeys((*outer.warnings, *inner.warnings))),
        sql=outer.sql or inner.sql,
        error=outer.error or inner.error,
    )


def _merge_output(outer: OutputDataset, inner: OutputDataset) -> OutputDataset:
    dataset = dataclasses.replace(
        outer.dataset,
        table=outer.dataset.table or inner.dataset.table,
        format=outer.dataset.format or inner.dataset.format,
    )
    return dataclasses.replace(
        outer,
        dataset=dataset,
        schema=outer.schema or inner.schema,
        edges=outer.edges or inner.edges,
        dataset_dependencies=outer.dataset_dependencies or inner.dataset_dependencies,
        write_mode=outer.write_mode or inner.write_mode,
        version=outer.version if outer.version is not None else inner.version,
        conservative=tuple(dict.fromkeys((*outer.conservative, *inner.conservative))),
        # the fingerprints go with the edges they were computed from
        column_fingerprints=(
            outer.column_fingerprints if outer.edges else inner.column_fingerprints
        )
        or outer.column_fingerprints,
    )


def _merge_inputs(
    outer: tuple[InputDataset, ...], inner: tuple[InputDataset, ...]
) -> tuple[InputDataset, ...]:
    merged = {i.dataset.key: i for i in outer}
    for candidate in inner:
        known = merged.get(candidate.dataset.key)
        if known is None:
            merged[candidate.dataset.key] = candidate
        elif known.version is None and candidate.version is not None:
            merged[candidate.dataset.key] = dataclasses.replace(known, version=candidate.version)
    return tuple(merged.values())
