"""Group time spans so that one sequential decode covers each group without long idle stretches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def group_spans(items: Sequence[T], start: Callable[[T], float], end: Callable[[T], float], gap: float) -> list[list[T]]:
    """Items sorted by (start, end), grouped while each starts within ``gap`` of the group's end."""
    groups: list[list[T]] = []
    group_end = float("-inf")
    for item in sorted(items, key=lambda i: (start(i), end(i))):
        if groups and start(item) - group_end <= gap:
            groups[-1].append(item)
            group_end = max(group_end, end(item))
        else:
            groups.append([item])
            group_end = end(item)
    return groups
