"""The parity check of an export: the PyTorch student's scores (the reference), an exported folder's
scores through the service's own runtime, and how far apart the two are (max |Δ| and Kendall tau)."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from app.domain.featurize import TOWER_TEXTS, match_feature_matrix
from app.ranking.student import StudentModel
from training.config import StudentConfig
from training.data.lists import CandidateList
from training.distill.student import RankerStudent
from training.distill.towers import pooled_tensor
from training.evaluation.metrics import kendall_tau_b
from training.policy.policy import Policy
from training.teachers.losses import expected_grade


@torch.inference_mode()
def torch_scores(student: RankerStudent, tokenizer, lists: list[CandidateList], cfg: StudentConfig, policy: Policy):
    """The PyTorch student's (relevance, engagement, blended) per list: the parity reference."""
    out = []
    assert student.encoder is not None, "the parity reference runs the student's own encoder"
    member_text, job_text = TOWER_TEXTS[cfg.tower_text]
    for candidate_list in lists:
        member = pooled_tensor(student.encoder, tokenizer, [member_text(candidate_list.member)], cfg.member_max_length)
        jobs = pooled_tensor(
            student.encoder, tokenizer, [job_text(job) for job in candidate_list.jobs], cfg.job_max_length
        )
        features = torch.from_numpy(match_feature_matrix(candidate_list.member, candidate_list.jobs))
        grade_logits, engage_logits = student.score_pooled(member.expand(len(jobs), -1), jobs, features)
        r, e = expected_grade(grade_logits).numpy(), torch.sigmoid(engage_logits).numpy()
        out.append((r, e, policy.blend(r, e)))
    return out


def onnx_scores(model: StudentModel, lists: list[CandidateList], progress: bool, desc: str):
    """The exported model's (relevance, engagement, blended) per list, through the service's runtime."""
    out = []
    for candidate_list in tqdm(lists, desc=desc, disable=not progress):
        ranking = model.rank(candidate_list.member, candidate_list.jobs)
        out.append((ranking.relevance, ranking.engagement, ranking.score))
    return out


def parity(reference, exported) -> dict[str, float]:
    """Max |Δ| per head and of the blended score, and Kendall tau of the blended rankings per list."""
    taus = [kendall_tau_b(a[2], b[2]) for a, b in zip(reference, exported, strict=False) if len(a[2]) > 1]
    taus = [t for t in taus if not np.isnan(t)]
    return {
        "lists": len(reference),
        "max_abs_relevance": float(max(np.abs(a[0] - b[0]).max() for a, b in zip(reference, exported, strict=False))),
        "max_abs_engagement": float(max(np.abs(a[1] - b[1]).max() for a, b in zip(reference, exported, strict=False))),
        "max_abs_score": float(max(np.abs(a[2] - b[2]).max() for a, b in zip(reference, exported, strict=False))),
        "mean_kendall_tau": float(np.mean(taus)) if taus else 1.0,
        "min_kendall_tau": float(np.min(taus)) if taus else 1.0,
    }
