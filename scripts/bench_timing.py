"""Timing shared by the benchmarks: a subject against its baseline, call by call, interleaved.

Shared machines are noisy: timing the baseline and the subject in alternating chunks lets load
from other processes hit both alike. Rates are total calls over total time (includes preemption);
percentiles come from the single-call latencies.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Measured:
    rate: float  # calls per second (total calls / total time)
    latencies: list[float]

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q)


def interleaved(
    baseline: Callable[[], object], subject: Callable[[], object], seconds: float, chunk: int = 200
) -> tuple[Measured, Measured]:
    """``baseline`` and ``subject`` timed call by call in alternating chunks for ``seconds``."""
    base: list[float] = []
    measured: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for calls, fn in ((base, baseline), (measured, subject)):
            for _ in range(chunk):
                before = time.perf_counter()
                fn()
                calls.append(time.perf_counter() - before)
    return Measured(len(base) / sum(base), base), Measured(len(measured) / sum(measured), measured)


def main_with_seconds(run: Callable[[float], None], doc: str | None, argv: list[str] | None) -> int:
    """A benchmark's command line: ``--seconds`` for each rate run, then ``run(seconds)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each rate run")
    run(parser.parse_args(argv).seconds)
    return 0
