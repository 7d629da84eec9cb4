"""The ranker student: two towers and a small interaction network with two heads.

    member text --encoder (lower MiniLM layers) + mean pool--> [384] --Linear--> m [d]
    job text    --encoder (same layers)        + mean pool--> [384] --Linear--> j [d]
    [m, j, m ⊙ j, match features, cos(m, j)] --MLP--> h_text ┐
    match features -----------------------------MLP--> h_feat ┴─> relevance head: 5 grade logits (E[grade])
                                                               │     + the rules' prior (their grade, one-hot → logits)
                                                               └─> engagement head: 1 logit (P(apply or click))
    final score = policy blend: 0.7 · E[grade] / 4 + 0.3 · P(engage)

The match features (app/domain/featurize.py) end with the rule features: the policy's rules applied
to what the canonicaliser reads from the request fields, and the grade they give. Through the
prior, a fresh student grades as the rules do; the networks learn the residual.

A job's embedding depends on the job alone, so the service caches it; a request costs one member
tower pass plus the interaction over the candidates. In this version the encoder layers are
frozen (their pooled outputs are cached once), and the projections, interaction and heads train.
"""

from __future__ import annotations

import torch
from torch import nn

from app.domain.featurize import FEATURE_NAMES
from training.teachers.encoder import mean_pool
from training.teachers.model import RulesPrior


class Interaction(nn.Module):
    """Scores (member embedding, job embedding, match features) with a relevance and an engagement head.

    Two paths meet at the heads: the text path, an MLP over [m, j, m ⊙ j, features, cos(m, j)], and
    a features path, a small MLP over the exact match features alone. The features path carries
    what the rules of the policy read from structured fields; the text path adds what only the text
    says (function, skills written in prose). Dropout on the embeddings (training only) keeps the
    text path from memorising the training lists.
    """

    def __init__(self, dim: int, hidden: int = 256, feature_hidden: int = 64, dropout: float = 0.3):
        super().__init__()
        n = len(FEATURE_NAMES)
        self.dropout = nn.Dropout(dropout)
        self.text = nn.Sequential(
            nn.Linear(3 * dim + n + 1, hidden), nn.GELU(), nn.Linear(hidden, hidden // 2), nn.GELU()
        )
        self.structured = nn.Sequential(
            nn.Linear(n, feature_hidden), nn.GELU(), nn.Linear(feature_hidden, feature_hidden // 2), nn.GELU()
        )
        width = hidden // 2 + feature_hidden // 2
        self.relevance = nn.Linear(width, 5)
        self.engagement = nn.Linear(width, 1)
        self.prior = RulesPrior()

    def forward(
        self, member: torch.Tensor, job: torch.Tensor, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        member, job = self.dropout(member), self.dropout(job)
        cosine = torch.nn.functional.cosine_similarity(member, job, dim=-1).unsqueeze(-1)
        h = torch.cat(
            [self.text(torch.cat([member, job, member * job, features, cosine], dim=-1)), self.structured(features)],
            dim=-1,
        )
        return self.relevance(h) + self.prior(features), self.engagement(h).squeeze(-1)


class FeatureScorer(nn.Module):
    """The cheapest tier: both heads from the match features alone (no text, no embeddings).

    Distilled from the same teachers with the same loss, so its scores sit on the ranker's scale; the
    service uses it for jobs it has no time to encode and when a request's budget allows nothing more.
    """

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(len(FEATURE_NAMES), hidden), nn.GELU(), nn.Linear(hidden, hidden // 2), nn.GELU()
        )
        self.relevance = nn.Linear(hidden // 2, 5)
        self.engagement = nn.Linear(hidden // 2, 1)
        self.prior = RulesPrior()

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.mlp(features)
        return self.relevance(h) + self.prior(features), self.engagement(h).squeeze(-1)


class RankerStudent(nn.Module):
    """Two projections over a shared (frozen) encoder, and the interaction network."""

    def __init__(self, encoder: nn.Module | None, encoder_width: int = 384, dim: int = 128):
        super().__init__()
        self.encoder = encoder
        if encoder is not None:
            encoder.requires_grad_(False)
        self.member_projection = nn.Linear(encoder_width, dim)
        self.job_projection = nn.Linear(encoder_width, dim)
        self.interaction = Interaction(dim)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Encoder output mean-pooled over tokens (what the training cache stores, via pooled_embeddings)."""
        assert self.encoder is not None, "a student built without its encoder scores pooled inputs only"
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def member_embedding(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The member tower."""
        return self.member_projection(self.pooled(input_ids, attention_mask))

    def job_embedding(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The job tower (cacheable per job)."""
        return self.job_projection(self.pooled(input_ids, attention_mask))

    def score_pooled(self, member_pooled: torch.Tensor, job_pooled: torch.Tensor, features: torch.Tensor):
        """(grade logits [n, 5], engagement logits [n]) from pooled encoder outputs."""
        return self.interaction(self.member_projection(member_pooled), self.job_projection(job_pooled), features)
