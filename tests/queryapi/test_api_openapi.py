"""The OpenAPI document: valid OpenAPI 3.1, generated from the registry, complete."""

from openapi_spec_validator import validate

from queryapi.registry import ENDPOINTS
from queryapi.wiring import served_endpoints

# Routes that are not API endpoints (the docs pages' scripts) and so are not in the document.
NOT_API = {"/docs/assets/{name}"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


async def _document(api_client, **settings) -> dict:
    client = await api_client(**settings)
    response = await client.get("/openapi.json")
    assert response.status == 200
    return await response.json()


async def test_openapi_document_validates(api_client) -> None:
    document = await _document(api_client)

    validate(document)

    assert document["openapi"] == "3.1.0"


async def test_openapi_every_route_declared_and_documented(api_client) -> None:
    client = await api_client()
    document = await (await client.get("/openapi.json")).json()
    routes = {(r.method, r.resource.canonical) for r in client.app.router.routes()
              if r.method not in ("HEAD", "OPTIONS") and r.resource.canonical not in NOT_API}

    declared = {(e.method, e.path) for e in served_endpoints(client.app)}
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}

    assert routes == declared == documented
    assert {(e.method, e.path) for e in ENDPOINTS} <= documented, "an endpoint in the registry is not served"


async def test_openapi_query_parameters_have_schema_and_description(api_client) -> None:
    document = await _document(api_client)

    parameters = {p["name"]: p for p in document["paths"]["/api/v1/metrics"]["get"]["parameters"]}

    assert set(parameters) >= {"from", "to"}
    assert parameters["from"]["in"] == "query" and parameters["from"]["required"] is False
    assert parameters["from"]["schema"]["type"] == "string"
    assert parameters["from"]["description"]


async def test_openapi_path_parameter_and_errors_described(api_client) -> None:
    document = await _document(api_client)

    operation = document["paths"]["/api/v1/health/services/{service_name}"]["get"]

    path_parameters = [p for p in operation["parameters"] if p["in"] == "path"]
    assert path_parameters[0]["name"] == "service_name" and path_parameters[0]["required"] is True
    assert {"200", "400", "401", "404", "429"} <= set(operation["responses"])
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == ERROR_REF
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


async def test_openapi_every_listed_error_documented_with_error_schema(api_client) -> None:
    client = await api_client()
    document = await (await client.get("/openapi.json")).json()

    for endpoint in served_endpoints(client.app):
        responses = document["paths"][endpoint.path][endpoint.method.lower()]["responses"]
        for status in endpoint.errors:
            assert responses[str(status)]["content"]["application/json"]["schema"] == ERROR_REF, endpoint.path


async def test_openapi_security_bearer_only_where_key_needed(api_client) -> None:
    document = await _document(api_client)

    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "GREENKUBE_API_KEY, when the API has one",
    }
    paths = document["paths"]
    assert paths["/api/v1/config"]["get"]["security"] == [{"bearerAuth": []}]
    for open_path in ("/health", "/openapi.json", "/docs", "/redoc", "/prometheus/metrics"):
        assert "security" not in paths[open_path]["get"], open_path


async def test_openapi_metrics_auth_documented_as_protected(api_client) -> None:
    document = await _document(api_client, metrics_auth=True)

    assert document["paths"]["/prometheus/metrics"]["get"]["security"] == [{"bearerAuth": []}]


async def test_openapi_request_body_and_response_models_referenced(api_client) -> None:
    document = await _document(api_client)

    operation = document["paths"]["/api/v1/config/services"]["post"]

    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/ServicesUpdate"}
    assert set(document["components"]["schemas"]["ServicesUpdate"]["properties"]) == {
        "prometheus_url", "prometheus_token", "opencost_url", "electricity_maps_token",
    }
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/EffectiveConfig"}
    assert {"400", "401", "403", "413", "415", "429"} <= set(operation["responses"])
    assert operation["responses"]["413"]["description"] == "Body too large"
