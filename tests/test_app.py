"""The Streamlit app in AppTest: every page, real clips, real training — no browser."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from conftest import voiced

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["pages/1_Explore.py", "pages/2_Dataset.py", "pages/3_Train.py", "pages/4_Results.py"]


def wav_bytes(y, sr=16000, subtype="PCM_16"):
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


def new_app(declined_demo=False) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if declined_demo:
        at.session_state["demo_declined"] = True
    return at


def errors(at):
    return [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_cleanly_with_no_dataset_and_no_model(page):
    at = new_app(declined_demo=True).run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    hints = " ".join(i.value for i in at.info)
    if page != "pages/1_Explore.py":
        assert "No dataset yet" in hints or "No model yet" in hints


@pytest.fixture(scope="module")
def trained_app(demo_corpus):
    at = new_app().run()
    assert not at.exception
    assert "Demo corpus" in " ".join(m.value for m in at.markdown)
    at.switch_page("pages/3_Train.py").run()
    at.button(key="train_button").click().run()
    assert not at.exception, at.exception
    return at


def test_train_shows_metrics_and_confusion_matrix(trained_app):
    at = trained_app
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"Train accuracy", "Test accuracy", "Balanced accuracy", "Test EER"}
    assert len(at.image) >= 2  # confusion matrix and DET curve
    at.select_slider(key="train_C").set_value(10.0).run()
    at.selectbox(key="train_split").set_value("speaker").run()
    at.button(key="train_button").click().run()
    assert not at.exception
    trained = at.session_state["trained"]["result"]
    assert trained.model.train_config.C == 10.0 and trained.model.train_config.split == "speaker"


def test_results_page_shows_everything(trained_app):
    at = trained_app
    at.switch_page("pages/4_Results.py").run()
    assert not at.exception, at.exception
    assert {m.label for m in at.metric} >= {"Train accuracy", "Test accuracy", "Balanced accuracy", "Test EER"}
    assert len(at.image) >= 7  # confusion x2, DET, ROC, scores, per attack, projection
    assert len(at.dataframe) >= 2
    labels = [b.label for b in at.get("download_button")]
    assert {"Model (.skops)", "Scores (ASVspoof format)", "Report (Markdown)"} <= set(labels)


def test_explore_upload_figures_verdict_and_bad_upload(trained_app):
    at = trained_app
    at.switch_page("pages/1_Explore.py").run()
    model_before = at.session_state["trained"]["result"]
    dataset_before = at.session_state["dataset"]["id"]
    at.file_uploader(key="explore_uploads").set_value([
        ("voice.wav", wav_bytes(voiced(duration=1.0)), "audio/wav"),
        ("broken.wav", b"RIFF....WAVEnot really", "audio/wav"),
    ]).run()
    assert not at.exception, at.exception
    assert len(at.image) >= 5  # waveform, spectrogram, mel, MFCC, LFCC (+ score histogram)
    assert any("broken.wav" in e and "damaged" in e for e in errors(at)), errors(at)
    assert any("Verdict" in m.value for m in list(at.success) + list(at.warning))
    assert at.session_state["trained"]["result"] is model_before
    assert at.session_state["dataset"]["id"] == dataset_before


def test_grid_search_and_use_best_cell(trained_app):
    at = trained_app
    at.switch_page("pages/3_Train.py").run()
    at.multiselect(key="grid_C").set_value([1.0, 10.0])
    at.multiselect(key="grid_gamma").set_value(["scale", 0.01])
    at.slider(key="grid_folds").set_value(2)
    next(b for b in at.button if b.label == "Run grid search").click().run()
    assert not at.exception, at.exception
    grid = at.session_state["grid"]
    assert len(grid) == 4
    next(b for b in at.button if b.label == "Use the best cell").click().run()
    from voiceclf.model import best_cell

    best = best_cell(grid)
    assert at.select_slider(key="train_C").value == best["C"]
    if best["gamma"] == "scale":
        assert at.radio(key="train_gamma_mode").value == "scale"
    else:
        assert at.select_slider(key="train_gamma").value == best["gamma"]


def test_dataset_page_sources_and_errors_keep_the_session(folder_dataset, tmp_path):
    at = new_app(declined_demo=True).run()
    at.switch_page("pages/2_Dataset.py").run()
    at.radio(key="dataset_source").set_value("Folder on this server").run()
    at.text_input(key="dataset_folder").input(str(folder_dataset)).run()
    next(b for b in at.button if b.label == "Load folder").click().run()
    assert not at.exception and not errors(at)
    loaded = at.session_state["dataset"]
    assert len(loaded["table"]) == 48
    # a wrong folder: an error in plain words, and the loaded dataset stays
    at.text_input(key="dataset_folder").input(str(tmp_path)).run()
    next(b for b in at.button if b.label == "Load folder").click().run()
    assert any("expected one sub-folder per class" in e for e in errors(at))
    assert at.session_state["dataset"]["id"] == loaded["id"]
    # feature CSV by path
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 4)), columns=list("abcd"))
    frame["LABEL"] = ["REAL", "FAKE"] * 20
    frame.to_csv(tmp_path / "feats.csv", index=False)
    at.radio(key="dataset_source").set_value("Feature CSV").run()
    at.text_input(key="dataset_csv_path").input(str(tmp_path / "feats.csv")).run()
    next(b for b in at.button if b.label == "Load table").click().run()
    assert not at.exception and at.session_state["dataset"]["kind"] == "table"
    # zip upload of class folders
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(3):
            archive.writestr(f"set/real/r{i}.wav", wav_bytes(voiced(seed=i)))
            archive.writestr(f"set/fake/f{i}.wav", wav_bytes(voiced(seed=10 + i, noise=0.1)))
    at.radio(key="dataset_source").set_value("Zip upload").run()
    at.file_uploader(key="dataset_zip").set_value(("set.zip", buffer.getvalue(), "application/zip")).run()
    next(b for b in at.button if b.label == "Load zip").click().run()
    assert not at.exception, at.exception
    assert at.session_state["dataset"]["kind"] == "zip" and len(at.session_state["dataset"]["table"]) == 6


def test_generate_spoofs_from_bona_fide_clips(folder_dataset):
    at = new_app(declined_demo=True).run()
    at.switch_page("pages/2_Dataset.py").run()
    at.radio(key="dataset_source").set_value("Folder on this server").run()
    at.text_input(key="dataset_folder").input(str(folder_dataset)).run()
    next(b for b in at.button if b.label == "Load folder").click().run()
    at.multiselect(key="spoof_attacks").set_value(["RP", "CODEC"]).run()
    next(b for b in at.button if b.label == "Generate spoofs").click().run()
    assert not at.exception, at.exception
    table = at.session_state["dataset"]["table"]
    assert (table["label"] == "spoof").sum() == 48 and set(table["attack"].dropna()) == {"RP", "CODEC"}


def test_genuine_recordings_then_spoofs_then_train(tmp_path):
    """A user with only real recordings: load them as bona fide, generate spoofs, train."""
    from conftest import write

    for speaker, f0 in (("ann", 210), ("bob", 110), ("cat", 180), ("dan", 130)):
        for i in range(4):
            write(tmp_path / "mine" / speaker / f"take{i}.wav", voiced(duration=0.8, f0=f0 * (1 + 0.02 * i), seed=i))
    at = new_app(declined_demo=True).run()
    at.switch_page("pages/2_Dataset.py").run()
    at.radio(key="dataset_source").set_value("Folder on this server").run()
    at.text_input(key="dataset_folder").input(str(tmp_path / "mine")).run()
    at.checkbox(key="dataset_genuine_only").check().run()
    next(b for b in at.button if b.label == "Load folder").click().run()
    table = at.session_state["dataset"]["table"]
    assert (table["label"] == "bonafide").all() and sorted(table["speaker"].unique()) == ["ann", "bob", "cat", "dan"]
    at.multiselect(key="spoof_attacks").set_value(["GL", "RP"]).run()
    next(b for b in at.button if b.label == "Generate spoofs").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/3_Train.py").run()
    assert at.selectbox(key="train_split").value == "speaker"  # speakers known: the honest split by default
    at.button(key="train_button").click().run()
    assert not at.exception, at.exception
    assert at.session_state["trained"]["result"].test_eval.eer_per_attack.keys() == {"GL", "RP"}
