import pytest

from bench.soak.schedule import HOLD_S, PROVIDER_MODES, PROVIDER_SETS, FaultKind, fault_schedule


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert fault_schedule(7, 1800) == fault_schedule(7, 1800)
    assert fault_schedule(7, 1800) != fault_schedule(8, 1800)


def test_faults_are_in_time_order_never_overlap_and_stay_inside_the_window() -> None:
    plan = fault_schedule(3, 1800, gap_s=(15, 45), lead_in_s=20, quiet_tail_s=60)
    assert plan[0].at_s >= 20
    for before, after in zip(plan, plan[1:]):
        assert after.at_s >= before.at_s + before.hold_s + 15
    assert plan[-1].at_s + plan[-1].hold_s <= 1800 - 60


def test_every_kind_comes_once_per_round_so_a_long_soak_has_each_several_times() -> None:
    plan = fault_schedule(11, 1800)
    kinds = [f.kind for f in plan]
    for start in range(0, len(kinds) - len(FaultKind) + 1, len(FaultKind)):
        assert set(kinds[start : start + len(FaultKind)]) == set(FaultKind)
    assert min(kinds.count(k) for k in FaultKind) >= 3


def test_holds_and_provider_outages_are_within_their_ranges() -> None:
    for fault in fault_schedule(5, 3600):
        low, high = HOLD_S[fault.kind]
        assert low <= fault.hold_s <= high
        if fault.kind is FaultKind.PROVIDER_OUTAGE:
            assert fault.providers in PROVIDER_SETS and fault.mode in PROVIDER_MODES
        else:
            assert fault.providers == () and fault.mode == ""


def test_a_short_soak_gets_a_few_faults_and_a_too_short_one_none() -> None:
    assert 2 <= len(fault_schedule(1, 180, gap_s=(10, 30))) <= 6
    assert fault_schedule(1, 30) == []
    assert fault_schedule(1, 0) == []


def test_only_the_kinds_asked_for() -> None:
    plan = fault_schedule(2, 1800, kinds=(FaultKind.WORKER_KILL, FaultKind.BROKER_OUTAGE))
    assert {f.kind for f in plan} == {FaultKind.WORKER_KILL, FaultKind.BROKER_OUTAGE}
    assert fault_schedule(2, 1800, kinds=()) == []


def test_a_gap_range_backwards_is_refused() -> None:
    with pytest.raises(ValueError, match="gap"):
        fault_schedule(1, 600, gap_s=(30, 10))
