"""Generators of GreenKube's rule files: `python -m rules.render` writes rules/*.rules.yml."""
