"""Sessions are isolated, model files are safe, and a long session does not grow without bound."""

import gc
import io
import pickle
from pathlib import Path

import soundfile as sf
from streamlit.testing.v1 import AppTest

from conftest import voiced
from voiceclf import datasets, model
from voiceclf.features import extract_dataset

ROOT = Path(__file__).resolve().parents[1]


def wav(seed: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, voiced(duration=0.6, seed=seed, f0=100 + seed), 16000, format="WAV")
    return buffer.getvalue()


def app_on(folder_dataset) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["demo_declined"] = True
    at.run()
    at.switch_page("pages/2_Dataset.py").run()
    at.radio(key="dataset_source").set_value("Folder on this server").run()
    at.text_input(key="dataset_folder").input(str(folder_dataset)).run()
    next(b for b in at.button if b.label == "Load folder").click().run()
    return at


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def test_two_sessions_never_see_each_other(folder_dataset):
    first, second = app_on(folder_dataset), app_on(folder_dataset)
    first.switch_page("pages/3_Train.py").run()
    first.button(key="train_button").click().run()
    second.switch_page("pages/1_Explore.py").run()
    second.file_uploader(key="explore_uploads").set_value(("mine.wav", wav(1), "audio/wav")).run()
    assert not first.exception and not second.exception
    assert first.session_state["trained"] is not None
    assert second.session_state["trained"] is None
    assert "mine.wav" in [u["name"] for u in second.session_state["uploads"].values()]
    assert not first.session_state["uploads"]
    assert first.session_state["dataset"]["id"] != second.session_state["dataset"]["id"]
    assert first.session_state["folder"].path != second.session_state["folder"].path


def test_uploaded_model_file_never_runs_code(folder_dataset, tmp_path):
    class RunsCode:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    at = app_on(folder_dataset)
    at.switch_page("pages/1_Explore.py").run()
    at.file_uploader(key="model_upload").set_value(("model.skops", pickle.dumps(RunsCode()), "application/octet-stream"))
    at.run()
    assert not at.exception
    assert any("not a voiceclf model" in e.value for e in at.error)
    assert not (tmp_path / "pwned").exists()
    # a genuine model file is accepted and scores uploads
    features = extract_dataset(datasets.from_folder(folder_dataset))
    good = model.dumps(model.fit_evaluate(features).model)
    at.file_uploader(key="model_upload").set_value(("good.skops", good, "application/octet-stream")).run()
    at.file_uploader(key="explore_uploads").set_value(("x.wav", wav(3), "audio/wav")).run()
    assert not at.exception and not at.error
    assert any("Verdict" in m.value for m in list(at.success) + list(at.warning))


def test_fifty_retrains_and_fifty_uploads_stay_bounded(folder_dataset):
    at = app_on(folder_dataset)
    at.switch_page("pages/3_Train.py").run()
    values = [0.1, 0.3, 1.0, 3.0, 10.0]

    def retrain(i):
        at.select_slider(key="train_C").set_value(values[i % len(values)])
        at.button(key="train_button").click().run()

    def upload(i):
        at.file_uploader(key="explore_uploads").set_value((f"clip{i}.wav", wav(i), "audio/wav")).run()

    for i in range(10):
        retrain(i)
    gc.collect()
    before = rss_mb()
    for i in range(10, 50):
        retrain(i)
    assert not at.exception
    at.switch_page("pages/1_Explore.py").run()
    for i in range(50):
        upload(i)
    assert not at.exception
    gc.collect()
    growth = rss_mb() - before
    print(f"\nRSS growth over 40 re-trains and 50 uploads: {growth:.1f} MB")
    assert growth < 300, growth
    assert len(at.session_state["feature_sets"]) <= 3
