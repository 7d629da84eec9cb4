"""One typed config per run: presets as data, overridable from a file or --set, saved with the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.config import ConfigError, RunConfig, load_config, save_config
from training.teachers.train import torch_threads

REPO = Path(__file__).resolve().parents[2]


def test_presets_hold_the_sizes_the_stages_ran_with():
    tiny, full = load_config("tiny"), load_config("full")
    assert (tiny.data.members, tiny.data.jobs, full.data.members, full.data.jobs) == (60, 2000, 2000, 10000)
    assert (tiny.teacher.layers, tiny.teacher.max_length, full.teacher.layers, full.teacher.max_length) == (
        2,
        64,
        4,
        96,
    )
    assert (tiny.lists.score_test_members, full.lists.score_test_members) == (8, 80)
    assert (tiny.student.epochs, tiny.student.scaling_points) == (4, (0.5, 1.0))
    assert (full.student.epochs, full.student.scaling_points) == (50, (0.1, 0.25, 0.5, 1.0))
    assert full.export.parity_min_tau == 0.99 and full.export.max_publish_mb == 50.0


def test_a_file_then_set_override_the_preset(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[teacher]\nlayers = 6\nepochs = 2\n[student]\nscaling_points = [1.0]\n")
    config = load_config("full", path, ["teacher.epochs=3", "teacher.position_aware=true", "data.as_of=2026-01-31"])
    assert (config.teacher.layers, config.teacher.epochs, config.teacher.position_aware) == (6, 3, True)
    assert config.student.scaling_points == (1.0,) and str(config.data.as_of) == "2026-01-31"
    assert config.teacher.max_length == 96  # untouched keys keep the preset's value


def test_the_saved_config_reads_back_as_the_same_run(tmp_path):
    config = load_config("tiny", overrides=["student.dim=64"])
    path = save_config(config, tmp_path / "runs")
    assert path == tmp_path / "runs" / "config.json"
    assert load_config("full", path) == config
    assert RunConfig.model_validate(json.loads(path.read_text())) == config


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("teacher.layrs=2", "teacher.layrs"),
        ("teacher.layers=many", "teacher.layers"),
        ("student.epochs=0", "student.epochs"),
        ("epochs=2", "section.key=value"),
        ("student.tower_text=cv", "student.tower_text"),
        ("student.rule_blind_share=1.5", "student.rule_blind_share"),
        ("student.rule_wrong_share=-0.1", "student.rule_wrong_share"),
        ("student.raw_similarity=sometimes", "student.raw_similarity"),
        ("student.encoder_dir='/nonexistent/encoder'", "student.encoder_dir.*no model.safetensors"),
    ],
)
def test_a_bad_setting_names_its_key(item, message):
    with pytest.raises(ConfigError, match=message):
        load_config("tiny", overrides=[item])


def test_the_blind_and_wrong_shares_together_fit_in_one():
    with pytest.raises(ConfigError, match="student.rule_wrong_share.*exceed 1"):
        load_config("tiny", overrides=["student.rule_blind_share=0.3", "student.rule_wrong_share=0.8"])


def test_the_student_text_settings_validate(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    student = load_config(
        "tiny",
        overrides=[
            "student.tower_text=title",
            "student.raw_similarity=true",
            "student.rule_blind_share=0.3",
            "student.rule_wrong_share=0.15",
            f"student.encoder_dir='{tmp_path}'",
        ],
    ).student
    assert (student.tower_text, student.raw_similarity, student.rule_blind_share) == ("title", True, 0.3)
    assert student.encoder_dir == tmp_path and student.rule_wrong_share == 0.15
    defaults = load_config("tiny").student  # what the shipped model was trained with
    assert (defaults.tower_text, defaults.raw_similarity, defaults.rule_blind_share) == ("compact", False, 0.0)
    assert defaults.rule_wrong_share == 0.0


def test_cli_shows_the_resolved_config_and_refuses_a_bad_key():
    run = [sys.executable, "-m", "training", "distill", "--preset", "full", "--set", "student.dim=64"]
    shown = subprocess.run([*run, "--show-config"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert '"dim": 64' in shown.stdout and "export.parity_min_tau" in shown.stdout
    bad = subprocess.run([*run, "--set", "student.size=3"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (
        bad.returncode == 2 and bad.stderr.startswith("error: setting student.size") and "Traceback" not in bad.stderr
    )


def test_teacher_threads_follow_the_cgroup_quota(monkeypatch):
    import app.domain.cpus as cpus

    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setattr(cpus, "_cgroup_quota", lambda: 2.0)
    assert torch_threads(world=1) == 2 and torch_threads(world=2) == 1
    monkeypatch.setattr(cpus, "_cgroup_quota", lambda: None)
    assert torch_threads(world=2) == 4


def test_the_towers_encoder_is_the_folder_given_else_the_runs_title_encoder(tmp_path):
    student = load_config("full", overrides=["student.encoder='title'"]).student
    assert student.tower_encoder(tmp_path) == tmp_path / "title_encoder"  # the title-encoder stage's output
    assert load_config("full").student.tower_encoder(tmp_path) is None  # the pretrained package
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"")
    given = load_config("full", overrides=[f"student.encoder_dir={folder}"]).student
    assert given.tower_encoder(tmp_path) == folder
    with pytest.raises(ConfigError, match="student.encoder"):
        load_config("tiny", overrides=["student.encoder=bert"])
