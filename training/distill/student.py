"""The ranker student: two towers and a small interaction network with two heads.

    member text --encoder (MiniLM layers) + mean pool--> p_m [384] --Linear--> m [d]
    job text    --encoder (same layers)   + mean pool--> p_j [384] --Linear--> j [d]
    [m, j, m ⊙ j, match features, cos(m, j), (s)] --MLP--> h_text ┐
    [match features, (s)] --------------------------MLP--> h_feat ┴─> relevance head: 5 grade logits (E[grade])
                                                                   │   + the rules' prior (their grade, one-hot → logits)
                                                                   │   (+ a linear term in s)
                                                                   └─> engagement head: 1 logit (P(apply or click))
    final score = policy blend: 0.7 · E[grade] / 4 + 0.3 · P(engage)

With ``raw_similarity``, s = cos(p_m, p_j), the encoder's own similarity of the two texts before
any projection: what a pretrained (or title-tuned) encoder knows about phrasings the training
data never showed. It reaches both paths and the relevance head directly, so it can move a grade
even where the rule features decide everything else. Which texts the towers read (compact
member/job texts, or headline/title) is ``StudentConfig.tower_text``.

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
from training.teachers.model import RulesPrior, zero_output


class Interaction(nn.Module):
    """Scores (member embedding, job embedding, match features) with a relevance and an engagement head.

    Two paths meet at the heads: the text path, an MLP over [m, j, m ⊙ j, features, cos(m, j)], and
    a features path, a small MLP over the exact match features alone. The features path carries
    what the rules of the policy read from structured fields; the text path adds what only the text
    says (function, skills written in prose). Dropout on the embeddings (training only) keeps the
    text path from memorising the training lists.
    """

    def __init__(
        self,
        dim: int,
        hidden: int = 256,
        feature_hidden: int = 64,
        dropout: float = 0.3,
        raw_similarity: bool = False,
    ):
        super().__init__()
        n = len(FEATURE_NAMES) + int(raw_similarity)  # the raw similarity rides with the features
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
        zero_output(self.relevance)  # a fresh student grades exactly as the rules do
        self.similarity: nn.Linear | None = None
        if raw_similarity:
            self.similarity = nn.Linear(1, 5)  # grade logits linear in s, starting at zero
            zero_output(self.similarity)

    def forward(
        self, member: torch.Tensor, job: torch.Tensor, features: torch.Tensor, similarity: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(grade logits [n, 5], engagement logits [n]); ``similarity`` [n] is s, required with ``raw_similarity``."""
        prior = self.prior(features)
        if self.similarity is not None:
            assert similarity is not None, "a raw-similarity interaction needs the encoder similarity"
            s = similarity.unsqueeze(-1)
            features, prior = torch.cat([features, s], dim=-1), prior + self.similarity(s)
        member, job = self.dropout(member), self.dropout(job)
        cosine = torch.nn.functional.cosine_similarity(member, job, dim=-1).unsqueeze(-1)
        h = torch.cat(
            [self.text(torch.cat([member, job, member * job, features, cosine], dim=-1)), self.structured(features)],
            dim=-1,
        )
        return self.relevance(h) + prior, self.engagement(h).squeeze(-1)


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
        zero_output(self.relevance)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.mlp(features)
        return self.relevance(h) + self.prior(features), self.engagement(h).squeeze(-1)


class RankerStudent(nn.Module):
    """Two projections over a shared (frozen) encoder, and the interaction network.

    With ``two_texts`` (tower_text "compact+title", raw similarity required) a pooled vector is two
    halves of ``encoder_width`` each: the compact text through the encoder's lower layers, which the
    projections read, and the title through all of them, whose cosine is s."""

    def __init__(
        self,
        encoder: nn.Module | None,
        encoder_width: int = 384,
        dim: int = 128,
        raw_similarity: bool = False,
        two_texts: bool = False,
    ):
        super().__init__()
        if two_texts and not raw_similarity:
            raise ValueError("a two-text student reads the titles' similarity: raw_similarity is required")
        self.encoder = encoder
        if encoder is not None:
            encoder.requires_grad_(False)
        self.dim, self.raw_similarity, self.two_texts, self.width = dim, raw_similarity, two_texts, encoder_width
        self.member_projection = nn.Linear(encoder_width, dim)
        self.job_projection = nn.Linear(encoder_width, dim)
        self.interaction = Interaction(dim, raw_similarity=raw_similarity)

    @property
    def pooled_width(self) -> int:
        """Width of one pooled tower output (what the job cache holds per job)."""
        return 2 * self.width if self.two_texts else self.width

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Encoder output mean-pooled over tokens (single-text towers; what the training cache stores)."""
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
        member_text, member_similar = self.halves(member_pooled)
        job_text, job_similar = self.halves(job_pooled)
        similarity = raw_cosine(member_similar, job_similar) if self.raw_similarity else None
        return self.interaction(
            self.member_projection(member_text), self.job_projection(job_text), features, similarity
        )

    def halves(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(what the projection reads, what the raw similarity reads) of pooled outputs."""
        if not self.two_texts:
            return pooled, pooled
        return pooled[..., : self.width], pooled[..., self.width :]


def raw_cosine(member_pooled: torch.Tensor, job_pooled: torch.Tensor) -> torch.Tensor:
    """s: the cosine of the unprojected pooled encoder outputs [n]."""
    unit = torch.nn.functional.normalize
    return (unit(member_pooled, dim=-1) * unit(job_pooled, dim=-1)).sum(-1)
