"""Swagger UI and ReDoc pages, with their scripts served from installed Python packages.

No CDN: clusters are often offline. The browser assets come from two PyPI packages that ship
them as files (never imported here, so Flask, which they name as a dependency, is never
loaded): `flask-openapi3-swagger` (Swagger UI 5) and `flask-openapi3-redoc` (ReDoc 2).
Pages use relative URLs, so they work behind an ingress that adds a path prefix.
"""

import importlib.util
from pathlib import Path

# Served name -> (package, file inside the package).
ASSETS = {
    "swagger-ui.css": ("flask_openapi3_swagger", "templates/swagger/css/swagger-ui.css"),
    "swagger-ui-bundle.js": ("flask_openapi3_swagger", "templates/swagger/js/swagger-ui-bundle.js"),
    "redoc.standalone.js": ("flask_openapi3_redoc", "templates/redoc/js/redoc.standalone.js"),
}
ASSETS_PATH = "/docs/assets"
PIP_PACKAGES = "flask-openapi3-swagger flask-openapi3-redoc"

SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GreenKube API - Swagger UI</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script>
    // validatorUrl null: no call to the public validator service (offline clusters).
    window.ui = SwaggerUIBundle({
      url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
    });
  </script>
</body>
</html>
"""

REDOC_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GreenKube API - ReDoc</title>
  <style>body { margin: 0; }</style>
</head>
<body>
  <redoc spec-url="openapi.json"></redoc>
  <script src="docs/assets/redoc.standalone.js"></script>
</body>
</html>
"""


def asset_file(name: str) -> Path | None:
    """The installed file behind asset `name`, or None (unknown name, package not installed)."""
    if name not in ASSETS:
        return None
    package, relative = ASSETS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def missing_assets() -> list[str]:
    """Names of the assets that are not installed."""
    return [name for name in ASSETS if asset_file(name) is None]
