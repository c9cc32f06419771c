"""Dataset — choose the data, generate spoofs, inspect what is there."""

import pandas as pd
import streamlit as st

import ui
from voiceclf import datasets, demo, plots, spoof

st.set_page_config(page_title="Dataset — voiceclf", page_icon="🗂️", layout="wide")
ui.init_state()
st.title("🗂️ Dataset")

SOURCES = ["Demo corpus", "Folder on this server", "ASVspoof protocol", "Feature CSV", "Zip upload",
           "This session's clips"]
source = st.radio("Source", SOURCES, horizontal=True, key="dataset_source")

if source == "Demo corpus":
    st.caption(demo.NOTE)
    if st.button("Use the demo corpus", type="primary"):
        with ui.guarded("Could not build the demo corpus"):
            ui.load_demo()
elif source == "Folder on this server":
    st.caption("One sub-folder per class: bonafide/ (or real, genuine, human, live) and spoof/ "
               "(or fake, tts, converted, replay). Optional speakers.csv or protocol.txt.")
    folder = st.text_input("Folder", key="dataset_folder")
    pattern = st.text_input("Speaker from file name (optional, e.g. {speaker}_)", key="dataset_pattern")
    genuine_only = st.checkbox("Only genuine recordings, no class sub-folders (then use *Generate spoofs* below)",
                               key="dataset_genuine_only")
    if st.button("Load folder", type="primary", disabled=not folder):
        with ui.guarded("Could not load the folder"):
            reader = datasets.from_bonafide_folder if genuine_only else datasets.from_folder
            ui.set_dataset(folder, reader(folder, speaker_pattern=pattern or None), kind="folder")
elif source == "ASVspoof protocol":
    st.caption("ASVspoof 2019 LA/PA or 2021 CM: lines `SPEAKER UTT - ATTACK KEY`; audio UTT.flac in the folder.")
    protocol = st.text_input("Protocol file", key="dataset_protocol")
    audio_dir = st.text_input("Audio folder", key="dataset_audio_dir")
    if st.button("Load protocol", type="primary", disabled=not (protocol and audio_dir)):
        with ui.guarded("Could not load the protocol"):
            ui.set_dataset(protocol.split("/")[-1], datasets.from_asvspoof(protocol, audio_dir), kind="asvspoof")
elif source == "Feature CSV":
    st.caption("Precomputed features with a label column (REAL/FAKE, bonafide/spoof, 1/0), e.g. DEEP-VOICE.")
    upload = st.file_uploader("CSV file", type=["csv"], key="dataset_csv")
    path = st.text_input("…or a CSV path on this server", key="dataset_csv_path")
    label_column = st.text_input("Label column", "LABEL", key="dataset_label_column")
    if st.button("Load table", type="primary", disabled=not (upload or path)):
        with ui.guarded("Could not load the table"):
            if upload is not None:
                path = ui.session_folder("tables") / upload.name
                path.write_bytes(upload.getvalue())
            ui.set_dataset(str(path).split("/")[-1], datasets.from_feature_csv(path, label_column=label_column),
                           kind="table")
elif source == "Zip upload":
    st.caption("A zip of class folders (bonafide/, spoof/, ...). Only audio, speakers.csv and protocol.txt are "
               "extracted; unsafe archives are refused.")
    upload = st.file_uploader("Zip archive", type=["zip"], key="dataset_zip")
    if st.button("Load zip", type="primary", disabled=upload is None):
        with ui.guarded("Could not load the archive"):
            target = ui.session_folder("zips", upload.file_id if hasattr(upload, "file_id") else upload.name)
            ui.set_dataset(upload.name, datasets.from_zip(upload.getvalue(), target), kind="zip")
else:
    uploads = st.session_state["uploads"]
    if not uploads:
        st.info("No clips in this session yet — upload or record some on the Explore page.")
    for digest, item in uploads.items():
        item["label"] = st.selectbox(item["name"], ["bonafide", "spoof"], index=["bonafide", "spoof"].index(item["label"]),
                                     key=f"upload_label_{digest}")
    if uploads and st.button("Use these clips", type="primary"):
        with ui.guarded("Could not use the clips"):
            folder = ui.session_folder("uploads")
            paths = []
            for digest, item in uploads.items():
                path = folder / f"{digest[:10]}_{item['name']}"
                path.write_bytes(item["data"])
                paths.append(path)
            ui.set_dataset("This session's clips", datasets.from_files(paths, [i["label"] for i in uploads.values()]),
                           kind="uploads")

dataset = st.session_state["dataset"]
st.divider()
if dataset is None:
    st.info("No dataset yet — pick a source above (the demo corpus works offline).")
    ui.sidebar()
    st.stop()

table = dataset["table"]
summary = datasets.summary(table)
st.subheader(f"Active: {dataset['name']}")
if dataset["kind"] == "demo":
    st.caption(demo.NOTE)
cols = st.columns(4)
cols[0].metric("Clips", summary["clips"])
cols[1].metric("Bona fide", summary["per_class"]["bonafide"])
cols[2].metric("Spoof", summary["per_class"]["spoof"])
cols[3].metric("Speakers", summary["speakers"] or "unknown")

if summary["has_audio"] and summary["per_class"]["bonafide"]:
    with st.expander("Generate spoofs from the bona fide clips"):
        st.caption("Each attack turns every bona fide clip into a spoof that keeps its speaker.")
        chosen = st.multiselect("Attacks", list(spoof.ATTACKS), default=list(spoof.DEFAULT_ATTACKS),
                                format_func=lambda a: f"{a} — {spoof.ATTACKS[a].description}", key="spoof_attacks")
        seed = st.number_input("Seed", 0, 10_000, 0, key="spoof_seed")
        if st.button("Generate spoofs", disabled=not chosen):
            bar = st.progress(0.0, text="Generating spoofs…")
            with ui.guarded("Could not generate spoofs"):
                bona = table[table["label"] == "bonafide"]
                made = spoof.make_spoofs(bona, chosen, ui.session_folder("spoofs", f"{dataset['id']}-{seed}"), seed=int(seed),
                                         progress=lambda d, t: bar.progress(d / t, text=f"Spoofing clip {d}/{t}"))
                ui.set_dataset(f"{dataset['name']} (bona fide) + spoofs", pd.concat([bona, made], ignore_index=True),
                               kind="spoofed")
                st.rerun()

left, right = st.columns(2)
with left:
    if summary["per_attack"]:
        st.markdown("**Clips per attack**")
        st.dataframe(pd.Series(summary["per_attack"], name="clips"))
    if summary["per_speaker"]:
        st.markdown("**Clips per speaker**")
        st.dataframe(pd.Series(summary["per_speaker"], name="clips"), height=200)
with right:
    if summary["has_audio"]:
        ui.show_figure(plots.duration_histogram(table))
    if summary["features"]:
        st.write(f"{summary['features']} precomputed feature columns; no audio to play.")

if summary["has_audio"]:
    st.markdown("**Examples**")
    for label, column in zip(("bonafide", "spoof"), st.columns(2)):
        with column:
            for row in table[table["label"] == label].head(3).itertuples():
                st.caption(f"{label} · {row.attack or ''} · {row.path.split('/')[-1]}")
                st.audio(row.path)
ui.sidebar()
