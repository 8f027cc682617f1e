"""GreenKube's rule files and their generators.

`python -m rules.render` writes rules/*.rules.yml and `python -m queryapi.recorded` writes
rules/history.yml; the committed files are their output (tests/rules checks it). The yml files
ship as package data, and `greenkube demo` reads them with importlib.resources.
"""
