"""Sort and page the items of a list answer. Pure.

The order is stable: by the chosen numeric field (nulls last in either direction), then by
the item's names, ascending, so equal values and pages never shuffle between requests.
"""

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def sort_items(items: Sequence[M], names: Sequence[str], sort: str | None, order: str) -> list[M]:
    """`items` ordered by `sort` (None: by `names` alone) in `order` (asc|desc), ties by `names`."""
    by_name = sorted(items, key=lambda item: tuple(getattr(item, name) for name in names))
    if sort is None:
        return by_name[::-1] if order == "desc" else by_name
    present = [item for item in by_name if getattr(item, sort) is not None]
    missing = [item for item in by_name if getattr(item, sort) is None]
    # sorted() is stable, with reverse=True too: equal values keep the name order of `by_name`.
    present = sorted(present, key=lambda item: getattr(item, sort), reverse=order == "desc")
    return present + missing


def page(items: Sequence[M], offset: int, limit: int) -> list[M]:
    """Items [offset, offset + limit); empty past the end or with limit 0."""
    return list(items[offset:offset + limit])

