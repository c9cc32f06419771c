import pickle

import numpy as np
import pytest

from voiceclf import model
from voiceclf.errors import ModelError
from voiceclf.features import FeatureSet, preset
from voiceclf.model import TrainConfig


def blobs(n_per_speaker=10, speakers=6, attacks=("A", "B", "C"), separation=2.0, seed=0, dims=8):
    """Synthetic features: bona fide around 0, each attack shifted its own way."""
    rng = np.random.default_rng(seed)
    X, y, spk, att = [], [], [], []
    directions = {a: rng.normal(size=dims) for a in attacks}
    for s in range(speakers):
        offset = rng.normal(scale=0.3, size=dims)
        for i in range(n_per_speaker):
            X.append(offset + rng.normal(size=dims)); y.append("bonafide"); spk.append(f"s{s}"); att.append(None)
            a = attacks[i % len(attacks)]
            X.append(offset + rng.normal(size=dims) + separation * directions[a] / np.linalg.norm(directions[a]))
            y.append("spoof"); spk.append(f"s{s}"); att.append(a)
    return FeatureSet(np.array(X), np.array(y), np.array(spk, dtype=object), np.array(att, dtype=object),
                      [f"f{i}" for i in range(dims)], None, [], None)


def test_random_split_is_stratified_and_deterministic():
    fs = blobs()
    a = model.split(fs.y, config=TrainConfig(test_size=0.25, random_state=3))
    b = model.split(fs.y, config=TrainConfig(test_size=0.25, random_state=3))
    np.testing.assert_array_equal(a[0], b[0])
    assert len(np.intersect1d(*a)) == 0 and len(a[0]) + len(a[1]) == len(fs.y)
    assert abs(np.mean(fs.y[a[1]] == "bonafide") - 0.5) < 0.05


def test_speaker_split_is_speaker_disjoint():
    fs = blobs()
    train, test = model.split(fs.y, fs.speakers, fs.attacks, TrainConfig(split="speaker"))
    assert not set(fs.speakers[train]) & set(fs.speakers[test])
    assert set(fs.y[test]) == {"bonafide", "spoof"}


def test_attack_split_holds_out_unseen_attacks_and_speakers():
    fs = blobs()
    train, test = model.split(fs.y, fs.speakers, fs.attacks, TrainConfig(split="attack", test_size=0.3))
    train_attacks = {a for a in fs.attacks[train] if a}
    test_attacks = {a for a in fs.attacks[test] if a}
    assert test_attacks and not train_attacks & test_attacks
    assert not set(fs.speakers[train]) & set(fs.speakers[test])


def test_block_split_keeps_contiguous_rows_together():
    y = np.array(["spoof"] * 500 + ["bonafide"] * 500)
    train, test = model.split(y, config=TrainConfig(split="block", block_size=50))
    assert not set(train // 50) & set(test // 50)


def test_unsupported_splits_say_why():
    fs = blobs()
    with pytest.raises(ModelError, match="speaker id"):
        model.split(fs.y, None, fs.attacks, TrainConfig(split="speaker"))
    with pytest.raises(ModelError, match="at least 2 attacks"):
        model.split(fs.y, fs.speakers, np.where(fs.y == "spoof", "A", None), TrainConfig(split="attack"))
    with pytest.raises(ModelError, match="spoof"):
        model.split(np.array(["bonafide"] * 10))
    with pytest.raises(ModelError):
        TrainConfig(C=-1)
    with pytest.raises(ModelError):
        TrainConfig(gamma="auto")


def test_fit_evaluate_scores_and_metrics():
    fs = blobs(separation=6.0)
    result = model.fit_evaluate(fs, TrainConfig(split="speaker", C=10))
    ev = result.test_eval
    assert ev.accuracy > 0.9 and ev.eer < 0.1 and ev.auc > 0.95
    assert ev.confusion.sum() == len(result.test_idx) and ev.confusion.shape == (2, 2)
    assert set(ev.eer_per_attack) <= {"A", "B", "C"} and ev.eer_per_attack
    # higher scores mean bona fide
    assert ev.scores[ev.y_true == "bonafide"].mean() > ev.scores[ev.y_true == "spoof"].mean()
    assert np.all((ev.scores >= 0) == (ev.y_pred == "bonafide"))
    assert "bonafide" in ev.report and "precision" in ev.report_text
    again = model.fit_evaluate(fs, TrainConfig(split="speaker", C=10))  # same inputs, same numbers
    np.testing.assert_array_equal(again.test_eval.scores, ev.scores)


def test_uninformative_features_give_chance_eer():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = np.array(["bonafide", "spoof"] * 200)
    fs = FeatureSet(X, y, np.array([None] * 400), np.array([None] * 400), list("abcde"), None, [], None)
    result = model.fit_evaluate(fs)
    assert 0.35 < result.test_eval.eer < 0.65


def test_leave_attack_out_table():
    table = model.leave_attack_out(blobs(separation=3.0))
    assert sorted(table["held_out_attack"]) == ["A", "B", "C"]
    assert table["eer"].between(0, 1).all()


def test_grid_search_table_and_best_cell():
    fs = blobs(separation=3.0)
    calls = []
    grid = model.grid_search(fs.X, fs.y, [0.1, 10], ["scale", 0.01], groups=fs.speakers,
                             progress=lambda d, t: calls.append((d, t)))
    assert len(grid) == 4 and set(grid.columns) >= {"C", "gamma", "eer", "accuracy"}
    assert calls[-1][0] == calls[-1][1] == 12
    best = model.best_cell(grid)
    assert best["eer"] == grid["eer"].min()


def test_save_load_round_trip(tmp_path):
    fs = blobs()
    fs.config = preset("default")
    result = model.fit_evaluate(fs, TrainConfig(C=3.0, gamma=0.1))
    path = model.save(result.model, tmp_path / "m.skops")
    loaded = model.load(path)
    np.testing.assert_array_equal(loaded.score(fs.X), result.model.score(fs.X))
    assert loaded.feature_config == preset("default") and loaded.train_config == TrainConfig(C=3.0, gamma=0.1)
    assert loaded.threshold == result.model.threshold and "scikit-learn" in loaded.metadata["versions"]
    assert model.load(model.dumps(result.model)).feature_names == fs.names
    with pytest.raises(ModelError, match="expects 8 features"):
        loaded.score(np.zeros((1, 3)))


class RunsCode:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /tmp/voiceclf-pwned",))


def test_load_never_runs_code(tmp_path):
    evil = tmp_path / "evil.skops"
    evil.write_bytes(pickle.dumps(RunsCode()))
    with pytest.raises(ModelError, match="not a voiceclf model"):
        model.load(evil)
    import skops.io as sio

    crafted = tmp_path / "crafted.skops"
    sio.dump({"pipeline": RunsCode(), "header": "{}"}, crafted)
    with pytest.raises(ModelError, match="not allowed"):
        model.load(crafted)
    with pytest.raises(ModelError):
        model.load(b"garbage bytes")
    with pytest.raises(ModelError, match="cannot read"):
        model.load(tmp_path / "missing.skops")


def test_large_mode_is_close_to_the_exact_svm(tmp_path):
    fs = blobs(n_per_speaker=60, separation=2.5)
    exact = model.fit_evaluate(fs, TrainConfig(split="speaker"))
    large = model.fit_evaluate(fs, TrainConfig(split="speaker", mode="large", max_train_clips=300))
    assert large.model.pipeline[-1].support_vectors_.shape[0] <= 300 < len(large.train_idx)
    assert abs(large.test_eval.eer - exact.test_eval.eer) < 0.05
    loaded = model.load(model.save(large.model, tmp_path / "large.skops"))
    np.testing.assert_array_equal(loaded.score(fs.X), large.model.score(fs.X))
    with pytest.raises(ModelError):
        TrainConfig(mode="huge")
