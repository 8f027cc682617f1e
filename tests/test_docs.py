"""The README documents every setting and every metric the code defines."""

from pathlib import Path

import pytest

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from queryapi.config import ApiSettings

README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.mark.parametrize("field", sorted({*ExporterSettings.model_fields, *ApiSettings.model_fields}))
def test_readme_setting_is_documented(field):
    assert f"`GREENKUBE_{field.upper()}`" in README


@pytest.mark.parametrize("name", sorted(m.name for m in vars(cat).values() if isinstance(m, cat.MetricDef)))
def test_readme_metric_is_documented(name):
    assert f"`{name}" in README
