"""Joining Prometheus answers into pod observations (pure, no server)."""

import math

from exporter.sources.usage import join_usage

UID_A = "081d040e-c94b-41ea-8278-eb12903ddd99"
UID_B = "2fdfd4d9-10ce-11e8-bd5a-42010af00137"


def _pod(namespace: str, pod: str, uid: str = "", node: str = "n1") -> dict[str, str]:
    return {"namespace": namespace, "pod": pod, "uid": uid, "node": node}


def test_join_same_name_pods_with_different_uids_stay_apart():
    cpu = [(_pod("kube-system", "fluentd", UID_A), 0.1), (_pod("kube-system", "fluentd", UID_B), 0.3)]
    reading = join_usage(cpu, [], [], [], False, [], [])
    assert len(reading.pods) == 2
    assert sorted(p.cpu_cores for p in reading.pods.values()) == [0.1, 0.3]


def test_join_systemd_uid_with_underscores_is_normalised():
    cpu = [(_pod("a", "p", UID_A.replace("-", "_").upper()), 0.5)]
    reading = join_usage(cpu, [], [], [], False, [], [])
    assert list(reading.pods) == [("a", "p", UID_A)]


def test_join_nan_inf_negative_samples_are_dropped_and_counted():
    cpu = [(_pod("a", "nan"), math.nan), (_pod("a", "inf"), math.inf), (_pod("a", "neg"), -0.2), (_pod("a", "ok"), 0.2)]
    memory = [(_pod("a", "ok"), math.nan)]
    reading = join_usage(cpu, memory, [], [], False, [], [])
    assert [p.pod for p in reading.pods.values()] == ["ok"]
    assert reading.dropped_samples == 4
    assert reading.pods[("a", "ok", "")].memory_bytes == 0.0


def test_join_ksm_v1_and_v2_for_same_pod_counts_requests_once():
    cpu = [(_pod("a", "p"), 0.1)]
    v2 = [({"namespace": "a", "pod": "p", "resource": "cpu"}, 0.25),
          ({"namespace": "a", "pod": "p", "resource": "memory"}, 1e8)]
    v1 = [({"namespace": "a", "pod": "p", "resource": "cpu"}, 0.25),
          ({"namespace": "a", "pod": "p", "resource": "memory"}, 1e8)]
    reading = join_usage(cpu, [], v2, v1, True, [], [])
    pod = reading.pods[("a", "p", "")]
    assert (pod.cpu_request_cores, pod.memory_request_bytes) == (0.25, 1e8)


def test_join_ksm_v1_only_pod_takes_v1_requests():
    cpu = [(_pod("a", "old"), 0.1)]
    v1 = [({"namespace": "a", "pod": "old", "resource": "cpu"}, 0.5)]
    reading = join_usage(cpu, [], [], v1, True, [], [])
    assert reading.pods[("a", "old", "")].cpu_request_cores == 0.5


def test_join_without_kube_state_metrics_requests_are_unknown():
    reading = join_usage([(_pod("a", "p"), 0.1)], [], [], [], False, [], [])
    pod = reading.pods[("a", "p", "")]
    assert reading.requests_known is False
    assert pod.cpu_request_cores is None and pod.memory_request_bytes is None


def test_join_besteffort_pod_with_ksm_present_requests_zero():
    reading = join_usage([(_pod("a", "p"), 0.1)], [], [], [], True, [], [])
    assert reading.pods[("a", "p", "")].cpu_request_cores == 0.0


def test_join_requests_by_uid_when_cadvisor_and_ksm_both_have_it():
    cpu = [(_pod("a", "p", UID_A), 0.1), (_pod("a", "p", UID_B), 0.1)]
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_B, "resource": "cpu"}, 2.0)]
    reading = join_usage(cpu, [], v2, [], True, [], [])
    assert reading.pods[("a", "p", UID_B)].cpu_request_cores == 2.0
    # The other UID (a pod being replaced) is no longer listed by kube-state-metrics: no request.
    assert reading.pods[("a", "p", UID_A)].cpu_request_cores == 0.0


def test_join_cadvisor_without_uid_matches_ksm_with_uid_by_name():
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_B, "resource": "cpu"}, 2.0)]
    reading = join_usage([(_pod("a", "p"), 0.1)], [], v2, [], True, [], [])
    assert reading.pods[("a", "p", "")].cpu_request_cores == 2.0


def test_join_opencost_prices_need_both_cpu_and_ram():
    prices = [({"node": "n1", "resource": "cpu"}, 0.03), ({"node": "n1", "resource": "ram"}, 0.004),
              ({"node": "n2", "resource": "cpu"}, 0.05)]
    reading = join_usage([], [], [], [], False, [], prices)
    assert reading.node_prices == {"n1": (0.03, 0.004)}


def test_join_pod_without_uid_takes_last_ksm_entry_of_its_name():
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_A, "resource": "cpu"}, 1.0),
          ({"namespace": "a", "pod": "p", "uid": UID_B, "resource": "cpu"}, 2.0),
          ({"namespace": "a", "pod": "q", "uid": UID_A, "resource": "memory"}, 5.0)]
    reading = join_usage([(_pod("a", "p"), 0.1), (_pod("a", "q", UID_B), 0.1)], [], v2, [], True, [], [])
    assert reading.pods[("a", "p", "")].cpu_request_cores == 2.0
    # A pod with a UID never takes another UID's requests.
    assert reading.pods[("a", "q", UID_B)].memory_request_bytes == 0.0


def test_join_ksm_v1_ignored_for_names_v2_reports_under_a_uid():
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_A, "resource": "cpu"}, 1.0)]
    v1 = [({"namespace": "a", "pod": "p", "resource": "cpu"}, 9.0),
          ({"namespace": "a", "pod": "v", "resource": "cpu"}, 3.0)]
    cpu = [(_pod("a", "p", UID_B), 0.1), (_pod("a", "v", UID_B), 0.1)]
    reading = join_usage(cpu, [], v2, v1, True, [], [])
    assert reading.pods[("a", "p", UID_B)].cpu_request_cores == 0.0
    assert reading.pods[("a", "v", UID_B)].cpu_request_cores == 3.0


def test_join_owner_by_uid_else_by_name():
    owners = [({"namespace": "a", "pod": "p", "uid": UID_A, "owner_kind": "ReplicaSet", "owner_name": "rs1"}, 1.0),
              ({"namespace": "a", "pod": "p", "uid": UID_B, "owner_kind": "ReplicaSet", "owner_name": "rs2"}, 1.0)]
    cpu = [(_pod("a", "p", UID_B), 0.1), (_pod("a", "p"), 0.1)]
    reading = join_usage(cpu, [], [], [], False, owners, [])
    assert reading.pods[("a", "p", UID_B)].owner_name == "rs2"
    assert reading.pods[("a", "p", "")].owner_name == "rs1"  # the first of its name


def test_join_owner_of_unlisted_uid_by_name_last_without_uid_wins():
    owners = [({"namespace": "a", "pod": "p", "uid": UID_A, "owner_kind": "Node", "owner_name": "n1"}, 1.0),
              ({"namespace": "a", "pod": "p", "owner_kind": "ReplicaSet", "owner_name": "by-name"}, 1.0)]
    reading = join_usage([(_pod("a", "p", UID_B), 0.1)], [], [], [], False, owners, [])
    pod = reading.pods[("a", "p", UID_B)]
    assert (pod.owner_kind, pod.owner_name) == ("ReplicaSet", "by-name")


def test_join_memory_of_pod_without_cpu_ignored_and_node_from_cpu():
    memory = [(_pod("a", "p", node="n2"), 7.0), (_pod("a", "gone"), 9.0)]
    reading = join_usage([(_pod("a", "p"), 0.1)], memory, [], [], False, [], [])
    assert list(reading.pods) == [("a", "p", "")] and reading.pods[("a", "p", "")].memory_bytes == 7.0
    assert reading.pods[("a", "p", "")].node == "n1" and reading.dropped_samples == 0


def test_join_requests_by_uid_one_resource_listed_other_zero():
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_A, "resource": "memory"}, 1e8),
          ({"namespace": "a", "pod": "p", "uid": UID_A, "resource": "cpu"}, math.nan)]
    cpu = [(_pod("a", "p", UID_A), 0.1), (_pod("a", "besteffort", UID_B), 0.1)]
    reading = join_usage(cpu, [], v2, [], True, [], [])
    pod = reading.pods[("a", "p", UID_A)]
    assert (pod.cpu_request_cores, pod.memory_request_bytes, reading.dropped_samples) == (0.0, 1e8, 1)
    assert reading.pods[("a", "besteffort", UID_B)].cpu_request_cores == 0.0


def test_join_requests_unknown_without_ksm_even_if_listed():
    v2 = [({"namespace": "a", "pod": "p", "uid": UID_A, "resource": "cpu"}, 1.0)]
    reading = join_usage([(_pod("a", "p", UID_A), 0.1)], [], v2, [], False, [], [])
    assert reading.pods[("a", "p", UID_A)].cpu_request_cores is None
