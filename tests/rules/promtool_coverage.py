"""What the promtool unit tests (tests/rules/*.yml) cover, read from the files themselves.

- A recorded series is covered when a `promql_expr_test` whose `expr` is the series' name alone
  expects samples of it (exact values), in a test file whose `rule_files` load the file that
  records it. A combined expression (`a + b`) checks neither term exactly, so it does not count.
- An alert variant is covered when one test expects it absent at some evaluation and firing,
  with its severity and all its annotations, one evaluation later and no earlier than its `for`:
  the `for` boundary is pinned, since promtool checks the full set of alerts at each time.

Variants are what changes an alert's labels or text: the labels its rules set (`reason`,
`period`), the constants its expression sets with `label_replace` (`estimate`), and the values
its description branches on with `eq $labels.<label> "<value>"` (`source`), plus OTHER, the
description's `else` branch, for a label no rule sets. An alert without any has one variant.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OTHER = "<other>"  # a label value none of the description's `eq` branches names
ANNOTATIONS = ("summary", "description", "runbook_url")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_LABEL_REPLACE = re.compile(r'label_replace\(.*?,\s*"(\w+)",\s*"(\w+)",\s*"",\s*""\)')
_EQ_BRANCH = re.compile(r'eq \$labels\.(\w+) "([^"]+)"')


@dataclass(frozen=True)
class Variant:
    """One variant of an alert: `label` set to `value` (OTHER: any value not branched on), or
    the whole alert when `label` is empty."""

    alert: str
    label: str = ""
    value: str = ""

    def matches(self, labels: dict[str, str], known: set[str]) -> bool:
        """Whether an alert with `labels` is this variant (`known`: the label's named values)."""
        if not self.label:
            return True
        if self.value == OTHER:
            return self.label in labels and labels[self.label] not in known
        return labels.get(self.label) == self.value


def seconds(duration: str) -> float:
    """A Prometheus duration ("15m", "1h30m", "90s") in seconds; ValueError when malformed."""
    parts = _DURATION_PART.findall(duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_of(rule_file: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every rule of a loaded rule file, group after group."""
    for group in rule_file["groups"]:
        yield from group["rules"]


def loaded_rule_files(test_path: Path) -> set[Path]:
    """The rule files a promtool test file loads, resolved from its directory."""
    return {(test_path.parent / name).resolve() for name in load(test_path).get("rule_files", [])}


def exact_value_records(test_path: Path) -> set[str]:
    """Names that a `promql_expr_test` of the file checks alone, with expected samples of them."""
    names = set()
    for test in load(test_path)["tests"]:
        for case in test.get("promql_expr_test", []):
            name, samples = case["expr"].strip(), case.get("exp_samples") or []
            if samples and all(_sample_of(sample, name) for sample in samples):
                names.add(name)
    return names


def _sample_of(sample: dict[str, Any], name: str) -> bool:
    return re.fullmatch(re.escape(name) + r"(\{.*\})?", sample["labels"].strip()) is not None \
        and isinstance(sample.get("value"), (int, float))


def records_without_exact_test(rule_paths: Iterable[Path], test_paths: Iterable[Path]) -> list[str]:
    """`file: name` of every recorded series no test file loading its rule file checks exactly."""
    covered: dict[Path, set[str]] = {}
    for test_path in test_paths:
        names = exact_value_records(test_path)
        for rule_path in loaded_rule_files(test_path):
            covered.setdefault(rule_path, set()).update(names)
    return [f"{path.name}: {rule['record']}" for path in rule_paths for rule in rules_of(load(path))
            if "record" in rule and rule["record"] not in covered.get(path.resolve(), set())]


def alert_variants(alert_rules: Iterable[dict[str, Any]]) -> dict[Variant, set[str]]:
    """Every variant of the alerts, each with the values its label's description branches name."""
    static: dict[str, dict[str, set[str]]] = {}
    branched: dict[str, dict[str, set[str]]] = {}
    for rule in alert_rules:
        labels = static.setdefault(rule["alert"], {})
        for label, value in rule.get("labels", {}).items():
            if label != "severity":
                labels.setdefault(label, set()).add(value)
        for label, value in _LABEL_REPLACE.findall(rule["expr"]):
            labels.setdefault(label, set()).add(value)
        for label, value in _EQ_BRANCH.findall(rule["annotations"]["description"]):
            branched.setdefault(rule["alert"], {}).setdefault(label, set()).add(value)
    variants: dict[Variant, set[str]] = {}
    for alert, labels in static.items():
        for label, values in labels.items():
            variants.update({Variant(alert, label, value): set() for value in values})
        for label, values in branched.get(alert, {}).items():
            if label not in labels:
                variants.update({Variant(alert, label, value): values for value in values | {OTHER}})
        if not any(variant.alert == alert for variant in variants):
            variants[Variant(alert)] = set()
    return variants


def variants_without_for_boundary(variants: dict[Variant, set[str]], for_of: dict[str, str],
                                  test_paths: Iterable[Path], evaluation: str) -> list[str]:
    """Variants no test pins at its `for`: absent at t, firing (full annotations) at t + evaluation."""
    step = seconds(evaluation)
    missing = []
    for variant, known in variants.items():
        boundary = False
        for test_path in test_paths:
            for test in load(test_path)["tests"]:
                absent, firing = _times(test, variant, known)
                boundary = boundary or any(
                    t - step in absent and t >= seconds(for_of[variant.alert]) for t in firing)
        if not boundary:
            missing.append(f"{variant.alert} {variant.label}={variant.value}".rstrip("= "))
    return missing


def _times(test: dict[str, Any], variant: Variant, known: set[str]) -> tuple[set[float], set[float]]:
    """Evaluation times in `test` at which `variant` is expected absent, and expected firing."""
    absent, firing = set(), set()
    for case in test.get("alert_rule_test", []):
        if case["alertname"] != variant.alert:
            continue
        fired = [alert for alert in case.get("exp_alerts") or []
                 if variant.matches(alert.get("exp_labels", {}), known)]
        complete = [alert for alert in fired if "severity" in alert.get("exp_labels", {})
                    and all(alert.get("exp_annotations", {}).get(key) for key in ANNOTATIONS)]
        (firing if complete else absent if not fired else set()).add(seconds(case["eval_time"]))
    return absent, firing
