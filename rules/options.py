"""Settings of the generated rule files: intervals, windows, `for` durations, selectors, links.

The committed files use the defaults. Tests render fast variants (1 s evaluation, second-long
windows), and a Helm chart can render the same rules with its own values: every number an
operator may want to change is a field here, never a literal in an expression.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.catalogue import BUDGET_PERIOD_DAILY, BUDGET_PERIOD_MONTHLY

RUNBOOK_URL_BASE = "https://github.com/greenkube/greenkube/blob/main/docs/runbooks.md"


@dataclass(frozen=True)
class BudgetPeriod:
    """A budget period: its `period` label value, the rolling `window` summed, and the `step` at
    which the hourly increases are read (their range, so readings tile the window)."""

    name: str
    window: str
    step: str
    words: str  # the window in a sentence, e.g. "24 hours"

    @property
    def subquery_range(self) -> str:
        """The window less one millisecond (`86399999ms` for 1d). A subquery's range holds
        both its ends (Prometheus 2.x): over the full window, an evaluation on a whole step
        would read window/step + 1 readings, one hour counted twice; a whole second less would
        read one fewer on an evaluation in the last second of a step. One millisecond less (the
        timestamps' resolution) keeps exactly window/step, whatever the evaluation's phase."""
        return f"{_seconds(self.window) * 1000 - 1}ms"


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(duration: str) -> int:
    """Seconds of a one-unit Prometheus duration such as `30d`, `1h` or `4s`."""
    return int(duration[:-1]) * _UNIT_SECONDS[duration[-1]]


# Alert name -> `for` (STYLE.md §7: 15m unless a symptom needs longer to mean something).
DEFAULT_FOR: Mapping[str, str] = {
    "GreenKubeExporterDown": "15m",
    "GreenKubeInputMissing": "15m",
    "GreenKubeEstimatesDegraded": "15m",
    "GreenKubeCarbonBudgetExceeded": "15m",
    "GreenKubeCostBudgetExceeded": "15m",
    "GreenKubeHighGridIntensity": "1h",
    "GreenKubeCriticalRecommendation": "15m",
    "GreenKubeSustainabilityScoreLow": "1h",
}


@dataclass(frozen=True)
class RuleOptions:
    """Everything the rule files are rendered from; the defaults make the committed files."""

    interval: str = "1m"  # evaluation interval of every group
    rate_window: str = "5m"  # range of the rate() roll-ups (>= 4 scrape intervals)
    periods: tuple[BudgetPeriod, ...] = (
        BudgetPeriod(BUDGET_PERIOD_DAILY, "1d", "1h", "24 hours"),
        BudgetPeriod(BUDGET_PERIOD_MONTHLY, "30d", "1h", "30 days"),
    )
    exporter_job: str = "greenkube"  # `job` label of the exporter's scrape job
    exporter_stale_seconds: int = 300  # no successful cycle for longer: GreenKubeExporterDown
    runbook_url_base: str = RUNBOOK_URL_BASE
    for_durations: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FOR))

    def for_of(self, alert: str) -> str:
        return self.for_durations[alert]


DEFAULT_OPTIONS = RuleOptions()
