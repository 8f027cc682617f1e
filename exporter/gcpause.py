"""Pause Python's cyclic garbage collector around the exporter's bulk steps.

Decoding the Prometheus answers, joining them and estimating make millions of short-lived,
acyclic objects (label dicts, key tuples, per-pod rows), all freed by reference counting. The
collector still walks them: a young-generation pass every 700 allocations, and older passes
over the pod state and facts that are alive between cycles. At 100k pods that was more than
half of decoding and joining (docs/PERFORMANCE.md). With the collector paused, the objects
that survive the step are walked once, by the first pass after it; cyclic garbage (there is
none in these steps) would simply wait for that pass.
"""

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it only if it was enabled (a
    nested or concurrent pause leaves it to the outermost one)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_collector(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the cyclic collector paused (see `collector_paused`)."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return paused
