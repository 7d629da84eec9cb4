"""The exported ranker student in onnxruntime: member tower, job tower, interaction + heads.

    model = StudentModel.load("artifacts/jobrank-ranker", threads=2)
    member = model.encode_members([model.member_text(m)])[0]    # [width], once per request
    jobs = model.encode_jobs([model.job_text(j) for j in jobs])  # [n, width], cacheable per job
    relevance, engagement = model.score(member, jobs, match_feature_matrix(m, jobs))
    score = model.blend(relevance, engagement)

The texts the towers read are the manifest's ``inputs.tower_text`` (``member_text`` / ``job_text``
here pick them). A model exported with ``raw_similarity`` has one tower graph (both components name
it) that outputs the pooled encoder output; its interaction graph projects it.
No torch and no transformers: the tokenizer is the `tokenizers` library reading tokenizer.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.domain.featurize import TOWER_TEXTS, match_feature_matrix, text_parts
from app.domain.schemas import Job, Member
from app.ranking.manifest import ManifestError, ModelSpec, load_manifest


def session_options(threads: int):
    """onnxruntime options: ``threads`` intra-op threads that do not spin, sequential execution,
    full graph optimisation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # No busy-waiting between runs: the service runs several sessions one after the other (and
    # shares the cores with the event loop); spinning threads of one session steal the cores the
    # next one needs. Measured under the 40 rps load test: p50 28.7 ms with spinning, 16.2 without.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


TokenIds = list[int] | tuple[list[int], list[int]]  # one text's ids, or (compact, title) ids of a two-part text


class TextEncoder:
    """One tower: tokenise (truncated to the manifest's length), run ONNX. A two-text tower
    (``title_max_length`` set, tower_text "compact+title") reads texts made by
    :func:`app.domain.featurize.joined_parts`: the compact part and the title part are tokenised with
    their own caps and fed to the graph's four inputs."""

    def __init__(
        self,
        tokenizer_path: Path,
        onnx_path: Path,
        max_length: int,
        threads: int,
        session=None,
        title_max_length: int | None = None,
    ):
        """``session``: an already loaded session of ``onnx_path`` to share (one graph serving both towers)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.max_length, self.title_max_length = max_length, title_max_length
        self.tokenizer = _tokenizer(Tokenizer, tokenizer_path, max_length)
        self.title_tokenizer = (
            None if title_max_length is None else _tokenizer(Tokenizer, tokenizer_path, title_max_length)
        )
        self.session = session or ort.InferenceSession(
            str(onnx_path), session_options(threads), providers=["CPUExecutionProvider"]
        )

    def token_ids(self, texts: Sequence[str]) -> list[TokenIds]:
        """Wordpiece ids per text, [CLS] … [SEP], at most ``max_length`` (two-part texts: a pair of id
        lists, the title's at most ``title_max_length``)."""
        if self.title_tokenizer is None:
            return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        parts = [text_parts(text, 2) for text in texts]
        compact = self.tokenizer.encode_batch([p[0] for p in parts])
        titles = self.title_tokenizer.encode_batch([p[1] for p in parts])
        return [(c.ids, t.ids) for c, t in zip(compact, titles, strict=True)]

    def warm_up_ids(self, length: int) -> TokenIds:
        """Token ids of ``length`` tokens in this tower's input shape (a two-text tower: both parts)."""
        row = [101] + [1000] * (length - 2) + [102]
        if self.title_max_length is None:
            return row
        return row, row[: max(2, min(length, self.title_max_length) - 1)] + [102]

    def run_ids(self, ids: Sequence[TokenIds]) -> np.ndarray:
        """Embeddings [n, dim] of tokenised texts, one text per run (see ``__call__``)."""
        return np.concatenate([self.session.run(None, _feed(row))[0] for row in ids])

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings [n, dim]. Each text runs alone: int8 dynamic quantisation scales activations
        over the whole input tensor, so in a batch a job's embedding would depend on the other jobs
        (and their padding) — scores must not depend on which jobs share a request. Measured: one
        at a time costs ~30 % more per job than batches of 16 (4.2 vs 3.2 ms at ~92 tokens)."""
        if not texts:
            return np.zeros((0, self.session.get_outputs()[0].shape[-1] or 0), dtype=np.float32)
        return self.run_ids(self.token_ids(texts))


def _tokenizer(tokenizer_class, path: Path, max_length: int):
    tokenizer = tokenizer_class.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _feed(row: TokenIds) -> dict[str, np.ndarray]:
    """The graph inputs of one tokenised text (two-part texts: the compact part's and the title's)."""
    if isinstance(row, tuple):
        compact, title = _feed(row[0]), _feed(row[1])
        return {**compact, "title_input_ids": title["input_ids"], "title_attention_mask": title["attention_mask"]}
    return {
        "input_ids": np.asarray([row], dtype=np.int64),
        "attention_mask": np.ones((1, len(row)), dtype=np.int64),
    }


@dataclass
class Ranking:
    """Scores of one member's candidates, in the order given."""

    relevance: np.ndarray  # expected grade, 0-4
    engagement: np.ndarray  # P(apply or click)
    score: np.ndarray  # the policy's blend, 0-1


class StudentModel:
    """Sessions and tokenizers of one exported model folder (checked against its manifest)."""

    def __init__(self, directory: str | Path, manifest: ModelSpec, threads: int = 1):
        """Sessions of the folder ``directory`` as ``manifest`` describes it (the full ``ModelManifest`` when
        loaded from disk; export passes the ``ModelSpec`` part before it has measured anything)."""
        import onnxruntime as ort

        self.directory = Path(directory)
        self.manifest = manifest
        # The model's features are the first columns of the feature matrix (older versions: fewer).
        self.feature_count = len(manifest.inputs.interaction.features)
        self._member_text, self._job_text = TOWER_TEXTS[manifest.inputs.tower_text]
        files, inputs = manifest.components, manifest.inputs
        tokenizer = self.directory / files.tokenizer
        try:
            member, job = inputs.member_tower, inputs.job_tower
            self.member_tower = TextEncoder(
                tokenizer,
                self.directory / files.member_tower,
                member.max_length,
                threads,
                None,
                member.title_max_length,
            )
            shared = self.member_tower.session if files.job_tower == files.member_tower else None
            self.job_tower = TextEncoder(
                tokenizer, self.directory / files.job_tower, job.max_length, threads, shared, job.title_max_length
            )
            # One thread for the heads, as for the features tier: a small MLP over the candidates gains
            # nothing from a second thread, and under load waits for a core to run its share.
            self.interaction = ort.InferenceSession(
                str(self.directory / files.interaction), session_options(1), providers=["CPUExecutionProvider"]
            )
            self.features = ort.InferenceSession(
                str(self.directory / files.features), session_options(1), providers=["CPUExecutionProvider"]
            )
        except ManifestError:
            raise
        except Exception as exc:  # onnxruntime / tokenizers raise their own types on a bad file
            raise ManifestError(f"{self.directory}: cannot load the model ({type(exc).__name__}: {exc})") from None

    @classmethod
    def load(cls, model_dir: str | Path, threads: int = 1, verify: bool = True) -> StudentModel:
        """Load a model folder; its files are checked against manifest.json first (``verify``)."""
        return cls(model_dir, load_manifest(model_dir, verify=verify), threads)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def two_texts(self) -> bool:
        """Whether the towers read two texts (tower_text "compact+title": pooled [compact | title])."""
        return self.manifest.inputs.tower_text == "compact+title"

    def member_text(self, member: Member) -> str:
        """The text this model's member tower reads (the manifest's ``tower_text``)."""
        return self._member_text(member)

    def job_text(self, job: Job) -> str:
        """The text this model's job tower reads (the manifest's ``tower_text``)."""
        return self._job_text(job)

    def encode_members(self, texts: Sequence[str]) -> np.ndarray:
        """Member-tower embeddings [n, dim] of member texts."""
        return self.member_tower(texts)

    def encode_jobs(self, texts: Sequence[str]) -> np.ndarray:
        """Job-tower embeddings [n, dim] of job texts (depend on the job alone: cache them)."""
        return self.job_tower(texts)

    def score(self, member: np.ndarray, jobs: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relevance = expected grade [n], engagement probability [n]) of one member's candidates;
        ``features`` is the match-feature matrix [n, len(FEATURE_NAMES)] (the model reads its first columns)."""
        if len(jobs) == 0:
            empty = np.zeros(0, dtype=np.float32)
            return empty, empty
        relevance, engagement = self.interaction.run(
            None,
            {
                "member": np.ascontiguousarray(member, dtype=np.float32).reshape(1, -1),
                "jobs": np.ascontiguousarray(jobs, dtype=np.float32),
                "features": np.ascontiguousarray(features[:, : self.feature_count], dtype=np.float32),
            },
        )
        return relevance, engagement

    def score_features(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The features-only tier: (relevance, engagement) from the match features alone."""
        if len(features) == 0:
            empty = np.zeros(0, dtype=np.float32)
            return empty, empty
        columns = np.ascontiguousarray(features[:, : self.feature_count], dtype=np.float32)
        relevance, engagement = self.features.run(None, {"features": columns})
        return relevance, engagement

    def blend(self, relevance: np.ndarray, engagement: np.ndarray) -> np.ndarray:
        """The policy's business blend recorded in the manifest: w_r · grade / 4 + w_e · P(engage)."""
        blend = self.manifest.blend
        return blend.relevance * relevance / 4.0 + blend.engagement * engagement

    def rank(self, member: Member, jobs: Sequence[Job]) -> Ranking:
        """Every model part, nothing cached: the scores of ``jobs`` for ``member``."""
        member_vector = self.encode_members([self.member_text(member)])[0]
        job_vectors = self.encode_jobs([self.job_text(job) for job in jobs])
        relevance, engagement = self.score(member_vector, job_vectors, match_feature_matrix(member, jobs))
        return Ranking(relevance, engagement, self.blend(relevance, engagement))
