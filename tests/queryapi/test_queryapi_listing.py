"""Sorting and paging of list answers (queryapi/listing.py). Pure."""

import pytest
from pydantic import BaseModel

from queryapi.listing import page, sort_items


class Item(BaseModel):
    name: str
    value: float | None


ITEMS = [Item(name="c", value=2.0), Item(name="a", value=None), Item(name="b", value=2.0), Item(name="d", value=1.0)]


@pytest.mark.parametrize(
    ("sort", "order", "names"),
    [
        (None, "asc", ["a", "b", "c", "d"]),
        (None, "desc", ["d", "c", "b", "a"]),
        ("value", "asc", ["d", "b", "c", "a"]),
        ("value", "desc", ["b", "c", "d", "a"]),  # ties keep name order; nulls last either way
    ],
)
def test_sort_items_stable_nulls_last(sort, order: str, names: list[str]) -> None:
    assert [item.name for item in sort_items(ITEMS, ("name",), sort, order)] == names


@pytest.mark.parametrize(("offset", "limit", "names"), [(0, 2, ["a", "b"]), (3, 5, ["d"]), (4, 1, []),
                                                        (99, 1, []), (0, 0, [])])
def test_page_offset_limit(offset: int, limit: int, names: list[str]) -> None:
    ordered = sort_items(ITEMS, ("name",), None, "asc")

    assert [item.name for item in page(ordered, offset, limit)] == names
