"""Admission control without HTTP: cost-bounded queue, refusals with Retry-After, calibration, dropped work."""

from __future__ import annotations

import threading

import pytest

from app.ranking.admission import AdmissionQueue, ClientGone, Overloaded
from app.ranking.engine import CostModel


def test_an_empty_queue_admits_whatever_the_budget():
    queue = AdmissionQueue(max_queue=4)
    ticket = queue.admit(cost_ms=50.0, budget_ms=1.0, elapsed_ms=0.5)  # the cascade degrades instead
    assert queue.depth == 1 and queue.pending_ms == 50.0 and ticket.cost_ms == 50.0


def test_an_empty_queue_refuses_a_request_already_far_past_its_budget():
    queue = AdmissionQueue(max_queue=4)
    queue.admit(5.0, budget_ms=0.001, elapsed_ms=4.0)  # tiny budget, not stale: the features tier answers
    queue.depth, queue.pending_ms = 0, 0.0
    with pytest.raises(Overloaded) as stale:
        queue.admit(5.0, budget_ms=50.0, elapsed_ms=106.0)  # waited in the server's backlog
    assert stale.value.reason == "stale" and queue.depth == 0


def test_work_that_would_break_its_budget_is_refused_at_once():
    queue = AdmissionQueue(max_queue=100)
    queue.admit(10.0, 50.0, 0.0)
    queue.admit(10.0, 50.0, 0.0)
    assert queue.predicted_wait_ms() == pytest.approx(20.0)
    queue.admit(10.0, 40.0, 0.0)  # waits 20 + costs 10 = 30 ≤ 0.8 · 40 (headroom for noise)
    with pytest.raises(Overloaded) as refused:
        queue.admit(10.0, 50.0, 11.0)  # waits 30 + 10 = 40 > 0.8 · (50 - 11)
    assert refused.value.reason == "budget" and refused.value.retry_after_s == 1
    assert queue.depth == 3  # a refusal takes no place in the queue
    queue.pending_ms = 2_400.0
    with pytest.raises(Overloaded) as late:
        queue.admit(10.0, 50.0, 0.0)
    assert late.value.retry_after_s == 3


def test_the_queue_length_is_bounded_too():
    queue = AdmissionQueue(max_queue=2)
    queue.admit(0.0, 1e9, 0.0)
    queue.admit(0.0, 1e9, 0.0)
    with pytest.raises(Overloaded, match="queue full"):
        queue.admit(0.0, 1e9, 0.0)
    forced = queue.admit(0.0, 0.0, 1e9, force=True)  # bulk indexing slices are always admitted (and counted)
    assert queue.depth == 3 and forced is not None


def test_release_is_once_only_and_calibrates_predictions():
    queue = AdmissionQueue(max_queue=8, alpha=0.5)
    ticket = queue.admit(10.0, 100.0, 0.0)
    queue.release(ticket, service_ms=30.0)  # three times slower than predicted
    queue.release(ticket, service_ms=30.0)
    assert queue.depth == 0 and queue.pending_ms == 0.0
    assert queue.calibration == pytest.approx(2.0)  # 0.5 · 1 + 0.5 · 3
    queue.admit(10.0, 100.0, 0.0)
    assert queue.predicted_wait_ms() == pytest.approx(20.0)


def test_run_skips_work_whose_client_has_gone():
    queue = AdmissionQueue(max_queue=8)
    ran = []
    ticket = queue.admit(5.0, 100.0, 0.0)
    ticket.cancelled = True
    with pytest.raises(ClientGone):
        queue.run(ticket, ran.append, 1)
    assert ran == [] and queue.depth == 0
    done = queue.admit(5.0, 100.0, 0.0)
    assert queue.run(done, lambda x: x * 2, 21) == 42 and done.queue_wait_ms is not None and queue.depth == 0


def test_cost_model_predicts_a_request_and_is_safe_across_threads():
    costs = CostModel(alpha=0.5)
    expected = costs.ms["member"] + (costs.ms["score_per_job"] + costs.ms["features_per_job"]) * 100 + costs.ms["fixed"]
    assert costs.request_ms(100) == pytest.approx(expected)

    def observe():
        for _ in range(2_000):
            costs.observe("fixed", 2.0)
            costs.snapshot()

    threads = [threading.Thread(target=observe) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert costs.ms["fixed"] == pytest.approx(2.0)
    costs.observe("fixed", float("nan"))
    assert costs.ms["fixed"] == pytest.approx(2.0)
