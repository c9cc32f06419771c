"""The CLI contract, run as a user would: ``python -m voiceclf ...`` in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import voiced, write

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "voiceclf", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def trained(folder_dataset, tmp_path_factory):
    model_path = tmp_path_factory.mktemp("cli") / "model.skops"
    proc = run("train", folder_dataset, "-o", model_path, "--C", "10", "--split", "speaker",
               "--speaker-pattern", "{speaker}_", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    return model_path, proc.stdout


def test_train_prints_the_metrics_and_writes_the_model(trained):
    model_path, out = trained
    for needle in ("train accuracy:", "test accuracy:", "test balanced accuracy:", "test EER:", "confusion matrix"):
        assert needle in out
    assert model_path.exists()
    eer = float(out.split("test EER: ")[1].split()[0])
    assert eer <= 0.2


def test_evaluate_writes_an_asvspoof_score_file(trained, folder_dataset, tmp_path):
    model_path, _ = trained
    scores = tmp_path / "scores.txt"
    proc = run("evaluate", model_path, folder_dataset, "--scores", scores, "--speaker-pattern", "{speaker}_")
    assert proc.returncode == 0, proc.stderr
    assert "EER:" in proc.stdout and "confusion matrix" in proc.stdout
    lines = scores.read_text().splitlines()
    assert len(lines) == 48
    speaker, utt, score, key = lines[0].split()
    assert speaker.startswith("spk") and key in {"bonafide", "spoof"}
    float(score)


def test_predict_and_info(trained, folder_dataset, tmp_path):
    model_path, _ = trained
    bona = next((folder_dataset / "Real").glob("*.wav"))
    proc = run("predict", model_path, bona)
    assert proc.returncode == 0, proc.stderr
    name, score, verdict = proc.stdout.strip().split("\t")
    assert verdict in {"bonafide", "spoof"}
    float(score)
    proc = run("info", write(tmp_path / "st.wav", voiced(sr=22050), 22050))
    assert "22050 Hz, 1 channel(s)" in proc.stdout


def test_bad_input_is_one_line_and_exit_1(trained, tmp_path):
    model_path, _ = trained
    junk = tmp_path / "junk.wav"
    junk.write_text("definitely not audio")
    for args in (("info", junk), ("predict", model_path, junk), ("predict", junk, junk),
                 ("train", tmp_path / "nowhere"), ("train", tmp_path)):
        proc = run(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("error:"), proc.stderr


def test_corrupt_file_in_dataset_is_named_and_skipped(folder_dataset, tmp_path):
    import shutil

    copy = tmp_path / "ds"
    shutil.copytree(folder_dataset, copy)
    (copy / "Real" / "corrupt.wav").write_bytes(b"RIFF1234WAVEfmt garbage")
    proc = run("train", copy, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "corrupt.wav" in proc.stderr and "test EER" in proc.stdout
