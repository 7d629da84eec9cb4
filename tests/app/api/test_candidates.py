"""Validated candidates reused by the digest of their JSON: same request, same keys, same 422s."""

from __future__ import annotations

import copy

import pytest
from fastapi.exceptions import RequestValidationError

from app.api.candidates import ValidatedJobs
from app.ranking.cache import job_key
from app.schemas import RankRequest
from tests.conftest import JOB, MEMBER


def _body(n: int = 5, **changes) -> dict:
    jobs = [{**copy.deepcopy(JOB), "job_id": f"j-{i}", "title": f"Developer {i}"} for i in range(n)]
    return {"member": copy.deepcopy(MEMBER), "candidates": jobs, "budget_ms": 40, **changes}


def test_a_request_is_the_one_full_validation_builds_and_known_candidates_are_reused():
    cache = ValidatedJobs(100)
    body = _body(top_k=3, request_id="r-1")
    full = RankRequest.model_validate(body)
    first, keys = cache.rank_request(body)
    assert first == full and keys == [job_key(job) for job in full.candidates]
    assert (cache.hits, cache.misses, len(cache)) == (0, 5, 5)
    again, keys_again = cache.rank_request(copy.deepcopy(body))
    assert again == full and keys_again == keys
    assert all(a is b for a, b in zip(again.candidates, first.candidates, strict=True))  # reused, not re-validated
    assert (cache.hits, cache.misses) == (5, 5)


def test_a_candidate_spelt_differently_is_validated_again_and_keeps_its_content_key():
    cache = ValidatedJobs(100)
    body = _body(1)
    _, (key,) = cache.rank_request(body)
    body["candidates"][0]["title"] = "  Developer 0  "  # other bytes, the same job once stripped
    request, (key_again,) = cache.rank_request(body)
    assert cache.misses == 2 and key_again == key and request.candidates[0].title == "Developer 0"


def test_an_error_anywhere_is_the_full_validations_422_even_when_the_other_candidates_are_known():
    cache = ValidatedJobs(100)
    cache.rank_request(_body())
    bad = _body()
    bad["candidates"][3]["location"]["country"] = "XX"
    bad["top_k"] = 0
    with pytest.raises(RequestValidationError) as caught:
        cache.rank_request(bad)
    locs = {tuple(e["loc"]) for e in caught.value.errors()}
    assert ("body", "candidates", 3, "location", "country") in locs and ("body", "top_k") in locs
    assert len(cache) == 5  # nothing of the bad request was kept


def test_the_cache_is_bounded_and_a_zero_capacity_validates_everything():
    cache = ValidatedJobs(3)
    cache.rank_request(_body(5))
    assert len(cache) == 3
    off = ValidatedJobs(0)
    request, keys = off.rank_request(_body(2))
    assert len(off) == 0 and keys == [job_key(job) for job in request.candidates]
