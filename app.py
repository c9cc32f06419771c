"""voiceclf — Home. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

import ui
from voiceclf import datasets, demo

st.set_page_config(page_title="voiceclf — live voice or spoof?", page_icon="🎙️", layout="wide")
ui.init_state()

st.title("🎙️ voiceclf — live voice or spoof?")
st.write(
    "voiceclf tells a **live (bona fide) human voice** from a **spoofed** one — synthetic speech, converted "
    "voice or a replayed recording. Look at a clip, train an RBF-kernel SVM on a dataset, and read the verdict "
    "in the field's own terms: accuracy, confusion matrix and equal error rate (EER)."
)

dataset = ui.ensure_dataset()
trained = st.session_state["trained"]
left, right = st.columns(2)
with left:
    st.subheader("Active dataset")
    if dataset:
        st.write(f"**{dataset['name']}**")
        st.text(datasets.format_summary(dataset["table"]))
        if dataset["kind"] == "demo":
            st.info(demo.NOTE, icon="ℹ️")
    else:
        st.write("None yet — choose one on the Dataset page.")
with right:
    st.subheader("Model")
    if trained:
        result = trained["result"]
        st.write(f"RBF-SVM trained on **{trained['dataset']}**")
        st.metric("Test EER", f"{result.test_eval.eer:.1%}")
        st.metric("Test accuracy", f"{result.test_eval.accuracy:.1%}")
    else:
        st.write("No model yet — train one on the Train page.")

st.subheader("Quick start")
st.markdown(
    "1. **Explore** — upload or record a clip and see its waveform, spectrogram and MFCC.\n"
    "2. **Train** — the demo corpus is already loaded: press *Train* (move the sliders and train again).\n"
    "3. **Results** — accuracy, confusion matrix, EER, DET curve, EER per attack, misclassified clips."
)
ui.page_links()
ui.sidebar()
