"""Explore — see and hear a clip, and score it with the trained model."""

import numpy as np
import pandas as pd
import streamlit as st

import ui
from voiceclf import model as voiceclf_model
from voiceclf import plots
from voiceclf.errors import VoiceclfError

st.set_page_config(page_title="Explore — voiceclf", page_icon="🔍", layout="wide")
ui.init_state()
st.title("🔍 Explore a clip")

trained = st.session_state["trained"]
with st.expander("Score with a saved model file instead of the one trained here"):
    model_upload = st.file_uploader("Model file (.skops, from the Results page)", type=["skops"], key="model_upload")
    if model_upload is not None and st.session_state.get("loaded_model_name") != model_upload.name:
        with ui.guarded("Could not load the model"):
            st.session_state["loaded_model"] = voiceclf_model.load(model_upload.getvalue())
            st.session_state["loaded_model_name"] = model_upload.name
    if model_upload is None:
        st.session_state.pop("loaded_model", None)
        st.session_state.pop("loaded_model_name", None)
model = st.session_state.get("loaded_model") or (trained["result"].model if trained else None)
reference = trained["result"].test_eval if trained and "loaded_model" not in st.session_state else None
preset_name = model.feature_config.name if model is not None and model.feature_config else "default"

uploads = st.file_uploader("Upload clips (WAV, FLAC, OGG, MP3, AIFF, AU)",
                           type=["wav", "flac", "ogg", "mp3", "aiff", "aif", "au"],
                           accept_multiple_files=True, key="explore_uploads")
recorded = st.audio_input("…or record one with your microphone", key="explore_mic")
sources = [(f.name, f.getvalue()) for f in uploads or []]
if recorded is not None:
    sources.append(("microphone recording.wav", recorded.getvalue()))

dataset = st.session_state["dataset"]
if dataset is not None and dataset["table"]["path"].notna().any():
    table = dataset["table"].dropna(subset=["path"]).head(500)
    options = ["—"] + [f"{row.label} · {row.attack or 'bona fide'} · {row.path.split('/')[-1]}" for row in table.itertuples()]
    choice = st.selectbox(f"…or pick a clip from {dataset['name']}", options, key="explore_pick")
    if choice != "—":
        path = table["path"].iloc[options.index(choice) - 1]
        with ui.guarded("Could not read that clip"):
            with open(path, "rb") as fh:
                sources.append((path.split("/")[-1], fh.read()))

if not sources:
    st.info("Upload or record a clip to see it. " + ("" if model else "Train a model on the Train page to get a verdict too."))

for i, (name, data) in enumerate(sources):
    with st.expander(name, expanded=i < 2):
        try:
            views = ui.clip_views(data, name, preset_name)
        except VoiceclfError as exc:
            st.error(str(exc), icon="🚫")
            continue
        ui.remember_upload(name, data)
        st.audio(data)
        a, b, c = st.columns(3)
        a.metric("Sample rate", f"{views['rate']} Hz")
        b.metric("Channels", views["channels"])
        c.metric("Duration", f"{views['duration']:.2f} s")
        tabs = st.tabs(list(views["figures"]) + ["Features"])
        for tab, (title, png) in zip(tabs, views["figures"].items()):
            tab.image(png, caption=f"{title} — {name}")
        tabs[-1].dataframe(pd.DataFrame({"feature": views["names"], "value": views["vector"]}), height=300)
        if model is None:
            continue
        if views["names"] != model.feature_names:
            st.warning("The model was trained on other features (a feature table); it cannot score audio.")
            continue
        score = float(model.score(views["vector"])[0])
        scores = reference.scores if reference is not None else np.array([model.threshold])
        lo, hi = float(min(scores.min(), score, model.threshold)) - 0.5, float(max(scores.max(), score, model.threshold)) + 0.5
        threshold = st.slider("Decision threshold (default: the model's EER threshold)", lo, hi,
                              float(np.clip(model.threshold, lo, hi)), key=f"threshold_{i}")
        verdict = "bona fide (live voice)" if score >= threshold else "spoof"
        (st.success if score >= threshold else st.warning)(f"Verdict: **{verdict}** — score {score:+.3f}")
        if reference is not None:
            ui.show_figure(plots.score_histogram(scores, reference.y_true, threshold=threshold, marker=score),
                           caption="Where this clip's score falls among the test clips' scores")

ui.sidebar()
