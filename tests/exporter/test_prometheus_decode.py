"""Decoding instant-query answers: the msgspec fast path gives what the json path gives."""

import json
import math

from exporter.sources.prometheus import _samples, decode_answer, decode_vector


def _vector(*samples: tuple[dict, list]) -> bytes:
    result = [{"metric": labels, "value": value} for labels, value in samples]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()


def _slow(raw: bytes) -> list:
    return _samples(decode_answer(raw)["data"])


def test_decode_vector_plain_and_hostile_labels_same_as_json():
    raw = _vector(({"namespace": "a", "pod": 'we"ird\\pod\nname', "uid": "ü-1"}, [1.7e9, "0.25"]),
                  ({}, [1.7e9, "1e+06"]), ({"node": "n"}, [1.7e9, "-Inf"]))
    assert decode_vector(raw) == _slow(raw)
    assert decode_vector(raw)[1] == ({}, 1e6)


def test_decode_vector_nan_reads_as_nan():
    [(labels, value)] = decode_vector(_vector(({"pod": "p"}, [1.7e9, "NaN"])))
    assert labels == {"pod": "p"} and math.isnan(value)


def test_decode_vector_plus_inf_left_to_json_path():
    raw = _vector(({"pod": "p"}, [1.7e9, "+Inf"]))
    assert decode_vector(raw) is None
    assert _slow(raw) == [({"pod": "p"}, math.inf)]


def test_decode_vector_scalar_error_and_warnings_handled():
    scalar = b'{"status":"success","data":{"resultType":"scalar","result":[1.7e9,"3"]}}'
    error = b'{"status":"error","errorType":"bad_data","error":"parse error"}'
    warned = (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},'
              b'"value":[1.7e9,"2"]}]},"warnings":["w"]}')
    assert decode_vector(scalar) is None and decode_vector(error) is None
    assert decode_vector(warned) == [({"a": "b"}, 2.0)] == _slow(warned)
