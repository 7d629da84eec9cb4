"""The teachers' model: a cross-encoder over the (member text, job text) pair plus exact match features.

    text pair --MiniLM--> mean-pooled [384] ─┐
    match features [38] --MLP-----> [64]    ┴─> MLP -> logits (+ the rules prior, relevance)
                                                 relevance: 5 grade logits  (score = E[grade])
                                                 engagement: 1 logit        (score = P(apply or click))

The structured features carry what a small transformer reads poorly (numbers, codes) and the
policy's rules applied to the request fields (app/domain/rule_features.py); the text carries what
the rules cannot resolve. The relevance head's logits add a ``RulesPrior``: the teacher starts out
grading as the rules do and learns the residual.

The engagement teacher can be trained position-bias aware (``position_aware``; PAL: Guo et al., RecSys 2019, "PAL: a
position-bias aware learning framework for CTR prediction"): P(engage) = P(seen | position) ·
P(engage | seen, pair), with P(seen | position) a learnt logit per log-spaced position bucket. Only
P(engage | seen, pair) is the teacher's output: at serving time the position is what we choose.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from app.domain.featurize import FEATURE_NAMES
from training.teachers.encoder import mean_pool
from training.teachers.losses import GRADES, soft_grade_targets

KINDS = {"relevance": 5, "engagement": 1}
POSITION_BUCKETS = 16
_FIRST_GRADE = FEATURE_NAMES.index("rule_grade_0")
RULE_GRADE_COLUMNS = slice(_FIRST_GRADE, _FIRST_GRADE + GRADES)  # the rules' grade, one-hot, among the features


class RulesPrior(nn.Module):
    """Grade logits from the rules' grade: its one-hot column of the features through a 5 × 5 linear
    map initialised to log q(g | rules' grade), q the soft grade target around it (σ = ``sigma``).

    Added to a relevance head, it makes a fresh model grade as the rules do; the layers underneath
    (text, features) then learn only the residual — what the rules get wrong on these data — and
    the map itself learns how far to trust each of the rules' grades.
    """

    def __init__(self, sigma: float = 0.5):
        super().__init__()
        self.linear = nn.Linear(GRADES, GRADES, bias=False)
        with torch.no_grad():
            targets = soft_grade_targets(torch.arange(GRADES), sigma)  # [rules' grade, g]
            self.linear.weight.copy_(torch.log(targets.clamp(min=1e-4)).T)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features[..., RULE_GRADE_COLUMNS])


def zero_output(layer: nn.Linear) -> None:
    """Zero a head's output layer, so the model's first answer is the rules prior's alone (its
    gradient is not zero: the residual grows from the first step)."""
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)


def position_bucket(positions: torch.Tensor) -> torch.Tensor:
    """0, 1, 2-3, 4-5, 6-9, … : two buckets per doubling of the position, capped."""
    return torch.clamp((2 * torch.log2(positions.float() + 1)).long(), max=POSITION_BUCKETS - 1)


class CrossEncoderTeacher(nn.Module):
    """Pretrained encoder + feature projection + MLP head."""

    def __init__(
        self,
        encoder: Any,
        kind: str,
        hidden: int = 128,
        dropout: float = 0.1,
        position_aware: bool = False,
        feature_layers: tuple[int, ...] = (64,),
    ):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        self.kind = kind
        self.encoder = encoder
        width = encoder.config.hidden_size
        sizes = (len(FEATURE_NAMES), *feature_layers)
        self.features = nn.Sequential(
            *(layer for a, b in zip(sizes, sizes[1:], strict=False) for layer in (nn.Linear(a, b), nn.GELU()))
        )
        self.head = nn.Sequential(
            nn.Linear(width + sizes[-1], hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, KINDS[kind])
        )
        # PAL engagement only: logit of P(seen | position bucket), used in training, not in the output.
        # (Created only when used: DDP refuses parameters that get no gradient.)
        self.seen = nn.Embedding(POSITION_BUCKETS, 1) if kind == "engagement" and position_aware else None
        if self.seen is not None:
            nn.init.constant_(self.seen.weight, 2.0)
        self.prior = RulesPrior() if kind == "relevance" else None
        if self.prior is not None:
            output = self.head[-1]
            assert isinstance(output, nn.Linear)
            zero_output(output)

    def seen_logit(self, positions: torch.Tensor) -> torch.Tensor:
        """Logit of P(seen | position) (engagement teacher only)."""
        assert self.seen is not None, "only a position-aware engagement teacher has seen_logit"
        return self.seen(position_bucket(positions)).squeeze(-1)

    def pool(self, input_ids, attention_mask, token_type_ids) -> torch.Tensor:
        """The encoder's mean-pooled output of each (member, job) pair [n, width]."""
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def score(self, pooled: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Logits from pooled pair embeddings and match features: everything above the encoder."""
        out = self.head(torch.cat([pooled, self.features(features)], dim=-1))
        return out.squeeze(-1) if self.prior is None else out + self.prior(features)

    def forward(self, input_ids, attention_mask, token_type_ids, features) -> torch.Tensor:
        return self.score(self.pool(input_ids, attention_mask, token_type_ids), features)
