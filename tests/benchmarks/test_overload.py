"""The overload benchmark's side-by-side windows: ABBA order, and a ratio that a drifting machine cannot fake."""

from __future__ import annotations

import pytest

from benchmarks.overload import main, paired_windows, rising_steps


def test_windows_alternate_in_abba_order() -> None:
    calls: list[float] = []

    def measure(rate: float, seconds: float) -> dict:
        calls.append(rate)
        assert seconds == 2.0
        return {"goodput_rps": min(rate, 100.0)}

    pair = paired_windows(measure, 90.0, 400.0, 2.0, 4)
    assert calls == [90.0, 400.0, 400.0, 90.0, 90.0, 400.0, 400.0, 90.0]
    assert [w["kind"] for w in pair["windows"][:4]] == ["capacity", "overload", "overload", "capacity"]
    assert pair["capacity_goodput_rps"] == 90.0
    assert pair["overload_goodput_rps"] == 100.0
    assert pair["ratio"] == pytest.approx(100.0 / 90.0, abs=1e-3)
    assert pair["round_ratios"] == [pytest.approx(100.0 / 90.0, abs=1e-3)] * 4
    assert pair["round_ratio_standard_error"] == 0.0


def test_a_steady_drift_weighs_on_both_kinds_alike() -> None:
    """The machine slows by 10 req/s per window; the service keeps 80 % of its capacity under overload.
    Side by side the ratio is 0.8; against the first capacity window it would read 0.73."""
    window = iter(range(100))

    def measure(rate: float, seconds: float) -> dict:
        speed = 400.0 - 10.0 * next(window)
        return {"goodput_rps": speed if rate < 500 else 0.8 * speed}

    pair = paired_windows(measure, 300.0, 900.0, 5.0, 4)
    assert pair["ratio"] == pytest.approx(0.8, abs=0.02)
    assert pair["round_ratio_mean"] == pytest.approx(0.8, abs=0.02)
    first_capacity = pair["windows"][0]["goodput_rps"]
    assert pair["overload_goodput_rps"] / first_capacity == pytest.approx(0.73, abs=0.01)


def test_no_rounds_no_ratio() -> None:
    pair = paired_windows(lambda rate, seconds: {"goodput_rps": rate}, 100.0, 300.0, 1.0, 0)
    assert pair["windows"] == [] and pair["ratio"] is None and pair["round_ratio_mean"] is None


@pytest.mark.parametrize("flag", [["--paired-rounds", "-1"], ["--window", "0"]])
def test_bad_window_settings_are_refused_in_one_line(flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(flag)
    assert exit_info.value.code == 2
    assert "--paired-rounds must be >= 0" in capsys.readouterr().err


def test_one_noisy_step_does_not_stop_the_capacity_sweep() -> None:
    """The step at 75 req/s fails once (a noisy window) and holds when measured again: the sweep goes on
    to the real knee, where the failure repeats and the sweep stops."""
    failures = {75.0: 1}
    calls: list[float] = []

    def measure(rate: float) -> dict:
        calls.append(rate)
        if failures.get(rate, 0) > 0:
            failures[rate] -= 1
            return {"goodput_rps": 0.5 * rate}
        return {"goodput_rps": min(rate, 130.0)}

    steps = rising_steps(measure, range(25, 1001, 25))
    assert calls == [25.0, 50.0, 75.0, 75.0, 100.0, 125.0, 150.0, 150.0]
    assert [s.get("repeat", False) for s in steps] == [False, False, False, True, False, False, False, True]
    assert max(s["goodput_rps"] for s in steps) == 130.0


def test_without_confirmation_the_first_failure_stops_the_sweep() -> None:
    steps = rising_steps(lambda rate: {"goodput_rps": 0.5 * rate if rate == 75.0 else rate}, range(25, 200, 25), False)
    assert [s["rate"] for s in steps] == [25, 50, 75]
