"""Decoding instant-query answers: the msgspec fast path gives what the json path gives."""

import json
import math

import msgspec

from exporter.sources.prometheus import _samples, decode_answer, decode_vector, lazy_vector
from exporter.sources.usage import PodLabels


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


def _lazy(raw: bytes) -> list:
    return list(lazy_vector(raw, PodLabels))


def _typed(pairs: list) -> list:
    return [(msgspec.convert(labels, PodLabels), value) for labels, value in pairs]


def test_lazy_vector_same_as_json_path_with_declared_labels_only():
    raw = _vector(({"namespace": "a", "pod": 'we"ird\\pod\nname', "uid": "ü-1", "container": "x"}, [1.7e9, "0.25"]),
                  ({}, [1.7e9, "1e+06"]), ({"node": "n", "resource": "cpu"}, [1.7e9, "-Inf"]))
    assert _lazy(raw) == _typed(_slow(raw))
    assert _lazy(raw)[0][0] == PodLabels(namespace="a", pod='we"ird\\pod\nname', uid="ü-1")
    assert not hasattr(_lazy(raw)[0][0], "container")


def test_lazy_vector_plus_inf_sample_read_alone_by_json():
    raw = _vector(({"pod": "a"}, [1.7e9, "0.5"]), ({"pod": "b"}, [1.7e9, "+Inf"]), ({"pod": "c"}, [1.7e9, "NaN"]))
    (a, va), (b, vb), (c, vc) = _lazy(raw)
    assert (a.pod, va, b.pod, vb, c.pod) == ("a", 0.5, "b", math.inf, "c") and math.isnan(vc)


def test_lazy_vector_malformed_sample_left_out_as_json_path():
    raw = (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1,"2"]},'
           b'{"metric":{"pod":"b"}},{"metric":{"pod":1},"value":[1,"3"]}]}}')
    assert _lazy(raw) == [(PodLabels(pod="a"), 2.0)]


def test_lazy_vector_scalar_error_and_matrix_left_to_json_path():
    scalar = b'{"status":"success","data":{"resultType":"scalar","result":[1.7e9,"3"]}}'
    error = b'{"status":"error","errorType":"bad_data","error":"parse error"}'
    matrix = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'
    assert lazy_vector(scalar, PodLabels) is None and lazy_vector(error, PodLabels) is None
    assert lazy_vector(matrix, PodLabels) is None and lazy_vector(b"", PodLabels) is None


def test_lazy_vector_iterates_again_and_has_length():
    samples = lazy_vector(_vector(({"pod": "a"}, [1.7e9, "1"]), ({"pod": "b"}, [1.7e9, "2"])), PodLabels)
    assert len(samples) == 2 and list(samples) == list(samples)
