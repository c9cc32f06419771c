import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceclf import datasets, demo, model
from voiceclf.features import extract_dataset, preset

ROOT = Path(__file__).resolve().parents[1]


def test_small_corpus_is_balanced_labelled_cached_and_deterministic(tmp_path):
    root = demo.build(tmp_path / "a", n_speakers=2, clips_per_speaker=5, seed=3, n_jobs=1)
    table = datasets.from_folder(root)
    assert (table["label"] == "bonafide").sum() == (table["label"] == "spoof").sum() == 10
    assert sorted(table["speaker"].unique()) == ["demo01", "demo02"]
    assert table.loc[table["label"] == "spoof", "attack"].notna().all()
    assert set(table.loc[table["label"] == "spoof", "attack"]) == {"GL", "MEL", "LPC", "VC", "RP"}
    assert demo.NOTE in (root / "README.txt").read_text()
    stamp = (root / "protocol.txt").stat().st_mtime_ns
    assert demo.build(tmp_path / "a", n_speakers=2, clips_per_speaker=5, seed=3) == root
    assert (root / "protocol.txt").stat().st_mtime_ns == stamp  # cached, not rebuilt
    other = demo.build(tmp_path / "b", n_speakers=2, clips_per_speaker=5, seed=3, n_jobs=2)
    for name in ("bonafide/demo01_000.flac", "spoof/demo02_004_GL.flac"):
        np.testing.assert_array_equal(sf.read(root / name)[0], sf.read(other / name)[0])


def test_synthetic_speakers_are_distinct():
    speakers = demo.make_speakers(6)
    assert len({round(s.f0) for s in speakers}) == 6
    y = demo.synthesise_utterance(speakers[0], np.random.default_rng(0))
    assert 0.8 < len(y) / demo.RATE < 3.5 and np.isfinite(y).all() and 0.2 < np.max(np.abs(y)) <= 0.5


def test_default_preset_reaches_eer_10_percent_speaker_disjoint(demo_corpus, capsys):
    table = datasets.from_folder(demo_corpus)
    assert len(table) == 480 and table["speaker"].nunique() == 6
    figures = {}
    for name in ("default", "notebook"):
        features = extract_dataset(table, preset(name), n_jobs=2)
        result = model.fit_evaluate(features, model.TrainConfig(split="speaker", random_state=0))
        figures[name] = result.test_eval
    with capsys.disabled():
        for name, ev in figures.items():
            print(f"\ndemo corpus, speaker-disjoint split, preset {name}: EER {ev.eer:.2%}, accuracy {ev.accuracy:.2%}")
    assert figures["default"].eer <= 0.10


def test_cli_demo_spoof_and_leave_attack_out(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = lambda *a: subprocess.run([sys.executable, "-m", "voiceclf", *map(str, a)], capture_output=True,
                                    text=True, env=env, timeout=600)
    proc = run("demo-data", tmp_path / "d", "--speakers", "2", "--clips", "10", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    bona = tmp_path / "d" / "bonafide"
    proc = run("spoof", bona, tmp_path / "s", "--attacks", "GL,RP,VC", "--speaker-pattern", "{speaker}_")
    assert proc.returncode == 0, proc.stderr
    assert len((tmp_path / "s" / "protocol.txt").read_text().splitlines()) == 20 + 60
    proc = run("train", tmp_path / "s", "--leave-attack-out")
    assert proc.returncode == 0, proc.stderr
    for attack in ("GL", "RP", "VC"):
        assert f"held-out {attack}: EER" in proc.stdout
    assert "Traceback" not in proc.stderr
