"""Run several instant queries at once and index their answers by label values.

Shared by the readers (inventory, history, report, recommendations): handlers never touch
PromQL; readers take query strings from `promql` and values from here.
"""

import asyncio
import logging
import math
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from exporter.sources.prometheus import Sample
from queryapi.engine import QueryEngine

log = logging.getLogger("greenkube.queryapi")
T = TypeVar("T")
Key = tuple[str, ...]
# Concurrent engine queries per request (the engine client itself holds 8 connections).
CONCURRENCY = 8


async def run_queries(engine: QueryEngine, queries: Mapping[str, str], at: datetime) -> dict[str, list[Sample]]:
    """Run every query at `at` concurrently; when some fail, raise the first one's error."""
    answers = await gather_all(engine.query(query, at) for query in queries.values())
    return dict(zip(queries, answers, strict=True))


async def gather_all(awaitables: Iterable[Awaitable[T]], limit: int = CONCURRENCY) -> list[T]:
    """Await all, at most `limit` at a time, in order; the first error is raised after all end."""
    gate = asyncio.Semaphore(limit)

    async def one(awaitable: Awaitable[T]) -> T:
        async with gate:
            return await awaitable

    results = await asyncio.gather(*(one(a) for a in awaitables), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def index(samples: Sequence[Sample], labels: Sequence[str], add: bool = True) -> dict[Key, float]:
    """Value per tuple of `labels` values (missing label: ""); non-finite values are left out.
    Samples sharing a key (series differing only in other labels) are added, or, with
    `add=False` (facts such as a capacity or a score), the first in label order is kept."""
    values: dict[Key, float] = {}
    dropped = 0
    ordered = samples if add else sorted(samples, key=lambda sample: sorted(sample[0].items()))
    for sample_labels, value in ordered:
        if not math.isfinite(value):
            dropped += 1
            continue
        key = tuple(sample_labels.get(name, "") for name in labels)
        if add:
            values[key] = values.get(key, 0.0) + value
        else:
            values.setdefault(key, value)
    if dropped:
        log.warning("left out %s non-finite sample(s) of an engine answer", dropped)
    return values


def first_labels(samples: Sequence[Sample], key_labels: Sequence[str]) -> dict[Key, dict[str, str]]:
    """Labels of one sample per key (the first in label order, so the choice is stable)."""
    chosen: dict[Key, dict[str, str]] = {}
    for sample_labels, _ in sorted(samples, key=lambda sample: sorted(sample[0].items())):
        chosen.setdefault(tuple(sample_labels.get(name, "") for name in key_labels), sample_labels)
    return chosen
