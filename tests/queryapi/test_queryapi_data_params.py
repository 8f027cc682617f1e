"""Parameters of the data endpoints: every bad value is a 400 in the one error shape, naming
the parameter, before any engine call (the engine here is a port nothing listens on)."""

import pytest

ERROR_KEYS = {"status", "code", "message", "details"}


async def _rejection(client, path: str, params: dict) -> dict:
    response = await client.get(path, params=params)
    assert response.status == 400
    body = await response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert (body["error"]["status"], body["error"]["code"]) == (400, "invalid_parameter")
    return body["error"]


@pytest.mark.parametrize(
    ("path", "params", "parameter", "message"),
    [
        ("/api/v1/metrics/pods", {"from": "2024-01-02", "to": "2024-01-02"}, "from",
         "invalid parameter 'from': 'from' (2024-01-02T00:00:00Z) must be before 'to' (2024-01-02T00:00:00Z)"),
        ("/api/v1/timeseries/energy", {"from": "2024-01-03", "to": "2024-01-02"}, "from",
         "invalid parameter 'from': 'from' (2024-01-03T00:00:00Z) must be before 'to' (2024-01-02T00:00:00Z)"),
        ("/api/v1/timeseries/energy", {"tz": "Mars/Olympus_Mons"}, "tz",
         "invalid parameter 'tz': 'Mars/Olympus_Mons' is not an IANA time zone name"),
        ("/api/v1/report/summary", {"tz": "America"}, "tz",
         "invalid parameter 'tz': 'America' is not an IANA time zone name"),
        ("/api/v1/timeseries/carbon", {"tz": "Mars/Olympus Mons"}, "tz",  # off the documented pattern too
         "invalid parameter 'tz': 'Mars/Olympus Mons' is not an IANA time zone name"),
        ("/api/v1/timeseries/energy", {"from": "2024-01-01", "to": "2024-06-01", "group_by": "hourly"}, "group_by",
         "invalid parameter 'group_by': the window holds more than 2400 hourly buckets; "
         "ask for a shorter window or a longer group_by"),
        ("/api/v1/metrics/namespaces", {"namespace": "Shop"}, "namespace",
         "invalid parameter 'namespace': 'Shop' is not a Kubernetes namespace name (RFC 1123 label)"),
        ("/api/v1/metrics/nodes", {"node": "node_1"}, "node",
         "invalid parameter 'node': 'node_1' is not a Kubernetes node name (RFC 1123 subdomain)"),
        ("/api/v1/metrics/pods", {"pod": "-web"}, "pod",
         "invalid parameter 'pod': '-web' is not a Kubernetes pod name (RFC 1123 subdomain)"),
        ("/api/v1/metrics/pods", {"namespace": "a" * 64}, "namespace",
         "invalid parameter 'namespace': '" + "a" * 60 + "... is not a Kubernetes namespace name (RFC 1123 label)"),
    ],
)
async def test_data_params_bad_value_exact_error(api_client, path, params, parameter, message) -> None:
    client = await api_client()

    error = await _rejection(client, path, params)

    assert error["message"] == message
    assert [detail["parameter"] for detail in error["details"]] == [parameter]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/v1/metrics/pods", {"limit": "10001"}, "limit"),
        ("/api/v1/metrics/pods", {"limit": "-1"}, "limit"),
        ("/api/v1/metrics/pods", {"offset": "-1"}, "offset"),
        ("/api/v1/metrics/pods", {"limit": "ten"}, "limit"),
        ("/api/v1/metrics/pods", {"sort": "pod"}, "sort"),
        ("/api/v1/metrics/pods", {"order": "up"}, "order"),
        ("/api/v1/metrics/namespaces", {"sort": "namespace"}, "sort"),
        ("/api/v1/timeseries", {}, "metric"),
        ("/api/v1/timeseries", {"metric": "watts"}, "metric"),
        ("/api/v1/timeseries", {"metric": "energy", "aggregate": "zone"}, "aggregate"),
        ("/api/v1/timeseries/cost", {"group_by": "yearly"}, "group_by"),
        ("/api/v1/timeseries/cost", {"metric": "energy"}, "metric"),
        ("/api/v1/report/export", {"format": "xlsx"}, "format"),
        ("/api/v1/report/export", {"aggregate": "cluster"}, "aggregate"),
        ("/api/v1/recommendations", {"severity": "urgent"}, "severity"),
        ("/api/v1/recommendations", {"scope": "cluster"}, "scope"),
        ("/api/v1/recommendations", {"type": "Rightsizing"}, "type"),
        ("/api/v1/recommendations/summary", {"limit": "5"}, "limit"),
    ],
)
async def test_data_params_rejected_naming_parameter(api_client, path, params, parameter) -> None:
    client = await api_client()

    error = await _rejection(client, path, params)

    assert [detail["parameter"] for detail in error["details"]] == [parameter]


async def test_data_params_unknown_parameter_rejected(api_client) -> None:
    client = await api_client()

    error = await _rejection(client, "/api/v1/metrics/pods", {"namespaces": "shop", "sort_by": "x"})

    assert error["message"] == "unknown query parameter(s): namespaces, sort_by"


async def test_data_params_repeated_parameter_rejected(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics/pods?namespace=a&namespace=b")

    assert response.status == 400
    details = (await response.json())["error"]["details"]
    assert details == [{"parameter": "namespace", "message": "given more than once"}]


async def test_timeseries_window_in_future_empty_without_engine_call(api_client) -> None:
    # The engine is unreachable: a window with no complete hour yet needs no query at all.
    client = await api_client()

    response = await client.get("/api/v1/timeseries/energy", params={"from": "2999-01-01", "to": "2999-01-02",
                                                                      "aggregate": "namespace"})

    assert response.status == 200
    body = await response.json()
    assert (body["from"], body["to"], body["series"]) == ("2999-01-01T00:00:00Z", "2999-01-01T00:00:00Z", [])


async def test_report_window_in_future_empty_summary(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/report/summary", params={"from": "2999-01-01", "to": "2999-01-02"})

    assert response.status == 200
    assert (await response.json())["row_count"] == 0
