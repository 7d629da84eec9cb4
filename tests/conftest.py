"""Shared fixtures: hand-built members/jobs and one tiny generated dataset per test session."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from app.domain.schemas import Job, Member
from training.config import load_config
from training.policy.labelled_dataset import build_dataset
from training.policy.policy import default_policy

MEMBER = {
    "member_id": "m-1",
    "headline": "Senior Software Engineer at Acme",
    "summary": "Backend developer, 8 years. Strong background in k8s and PostgreSQL.",
    "skills": ["Python", "Java", "Git", "REST APIs", "SQL", "CI/CD"],
    "years_experience": 8,
    "seniority": "mid_senior",
    "location": {"country": "DE", "city": "Berlin"},
    "workplace_preference": "hybrid",
    "open_to_relocation": False,
    "min_salary": {"amount": 70000, "currency": "EUR"},
    "work_authorization": ["DE", "FR", "NL", "PL"],
    "industries": ["Software"],
}
JOB = {
    "job_id": "j-1",
    "title": "Senior Software Developer (m/w/d)",
    "company": "Northwind Labs",
    "description": "We build payment APIs. Requirements: Java, SQL and REST APIs. We offer 30 vacation days.",
    "required_skills": ["Java", "Python", "SQL", "Git"],
    "preferred_skills": ["Kubernetes"],
    "seniority": "mid_senior",
    "location": {"country": "DE", "city": "Berlin"},
    "workplace_type": "hybrid",
    "salary": {"min": 70000, "max": 90000, "currency": "EUR"},
    "visa_sponsorship": False,
    "employment_type": "full_time",
    "industry": "Software",
    "posted_at": "2026-05-20",
}


def _merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


@pytest.fixture
def member_data() -> dict:
    return copy.deepcopy(MEMBER)


@pytest.fixture
def job_data() -> dict:
    return copy.deepcopy(JOB)


def make_member(**changes) -> Member:
    """The reference member with some fields changed (nested dicts are merged)."""
    return Member.model_validate(_merge(MEMBER, changes))


def make_job(**changes) -> Job:
    """The reference job with some fields changed (nested dicts are merged)."""
    return Job.model_validate(_merge(JOB, changes))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """The tiny preset, generated and judged once per test session."""
    out = tmp_path_factory.mktemp("tiny")
    build_dataset(load_config("tiny").data, out, default_policy(), "tiny", progress=False)
    return out
