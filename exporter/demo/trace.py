"""A usage shape played from a real datacenter trace. Pure: numbers in, numbers out.

The trace is a series of samples taken every ``step`` trace seconds. It is scaled to mean 1,
joined linearly between samples and repeated forever (the last sample joins back to the first),
so the shape is continuous, periodic and its average over one period is exactly 1.
"""

import math
from collections.abc import Sequence


class UsageTrace:
    """Periodic piecewise-linear shape f(tau) >= 0 with mean 1 and its exact integral."""

    def __init__(self, samples: Sequence[float], step: float = 300.0) -> None:
        if len(samples) < 2:
            raise ValueError("a trace needs at least two samples")
        if step <= 0:
            raise ValueError("step must be positive")
        mean = math.fsum(samples) / len(samples)
        if mean <= 0 or min(samples) < 0:
            raise ValueError("trace samples must be >= 0 with a positive mean")
        self.step = float(step)
        self._values = [float(s) / mean for s in samples]
        self.period = self.step * len(self._values)
        # _cumulative[i] = integral of f over [0, i*step]; built with the same expression
        # _integral_from_knot uses, so F is continuous in floating point at every knot.
        self._cumulative = [0.0]
        for i in range(len(self._values)):
            self._cumulative.append(self._cumulative[i] + self._segment_integral(i, self.step))

    def __len__(self) -> int:
        return len(self._values)

    def _next_value(self, i: int) -> float:
        return self._values[(i + 1) % len(self._values)]

    def _segment_integral(self, i: int, x: float) -> float:
        v0 = self._values[i]
        return v0 * x + (self._next_value(i) - v0) * x * x / (2.0 * self.step)

    def _locate(self, tau: float) -> tuple[int, int, float]:
        """Split tau into (whole periods, segment index, offset inside the segment)."""
        periods = math.floor(tau / self.period)
        rest = tau - periods * self.period
        index = min(int(rest // self.step), len(self._values) - 1)
        return periods, index, rest - index * self.step

    def value(self, tau: float) -> float:
        """Return f(tau), the shape at trace time tau (seconds)."""
        _, i, x = self._locate(tau)
        v0 = self._values[i]
        return v0 + (self._next_value(i) - v0) * x / self.step

    def antiderivative(self, tau: float) -> float:
        """Return F(tau) = integral of f from 0 to tau; non-decreasing since f >= 0."""
        periods, i, x = self._locate(tau)
        return periods * self._cumulative[-1] + self._cumulative[i] + self._segment_integral(i, x)

    def integral(self, tau0: float, tau1: float) -> float:
        """Return the exact integral of f over [tau0, tau1]."""
        return self.antiderivative(tau1) - self.antiderivative(tau0)
