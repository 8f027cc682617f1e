"""The installed GreenKube version, shared by the exporter and the API."""

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """Version of the installed `greenkube` distribution, or a marker when run from a bare tree."""
    try:
        return version("greenkube")
    except PackageNotFoundError:
        return "0.0.0+unknown"
