"""Arithmetic of the dashboards' figures: pure functions over numbers, no ORM, tested without a database.

Percentiles interpolate linearly between the closest ranks (the "inclusive" method of Python's
``statistics.quantiles`` and numpy's default): the median of 1, 2, 3, 4 is 2.5 and its 90th percentile
3.7. With one value, every percentile is that value; with none, there is no figure (None), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0..1) percentile of ``values``, interpolated between closest ranks."""
    return percentile_of_sorted(sorted(values), fraction)


def percentile_of_sorted(ordered: Sequence[float], fraction: float) -> float | None:
    """``percentile`` of values already in order: a dashboard asks one list for its median and its p90."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def p90(values: Sequence[float]) -> float | None:
    return percentile(values, 0.9)


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent; None when nothing was measured (not 100%, not 0%)."""
    return None if whole == 0 else 100.0 * part / whole


def add_counts(total: list[int], counts: Sequence[int]) -> list[int]:
    """Add a distribution (ratings 1..5) into ``total``, growing it as needed."""
    if len(total) < len(counts):
        total.extend([0] * (len(counts) - len(total)))
    for index, count in enumerate(counts):
        total[index] += count
    return total


@dataclass(frozen=True)
class Satisfaction:
    count: int
    average: float | None
    distribution: tuple[int, ...]  # how many 1s, 2s, 3s, 4s, 5s

    @property
    def percentages(self) -> tuple[float, ...]:
        return tuple(0.0 if self.count == 0 else 100.0 * n / self.count for n in self.distribution)


def satisfaction(distribution: Sequence[int]) -> Satisfaction:
    """From counts of 1..5 ratings: how many, their average, and the distribution."""
    counts = tuple(list(distribution) + [0] * (5 - len(distribution)))[:5]
    total = sum(counts)
    average = None if total == 0 else sum((i + 1) * n for i, n in enumerate(counts)) / total
    return Satisfaction(total, average, counts)


def concat(lists: Iterable[Sequence[float]]) -> list[float]:
    result: list[float] = []
    for values in lists:
        result.extend(values)
    return result
