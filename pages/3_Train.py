"""Train — choose features and SVM hyperparameters, train, search a C x gamma grid."""

import streamlit as st

import ui
from voiceclf import datasets, model, plots
from voiceclf.features import preset

st.set_page_config(page_title="Train — voiceclf", page_icon="⚙️", layout="wide")
ui.init_state()
st.title("⚙️ Train the countermeasure")

C_VALUES = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]
GAMMA_VALUES = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
SPLITS = {"random": "random (stratified)", "speaker": "speaker-disjoint", "attack": "attack-disjoint (unseen attacks)",
          "block": "contiguous blocks (feature tables of consecutive windows)"}

dataset = st.session_state["dataset"]
if dataset is None:
    st.info("No dataset yet — choose one on the Dataset page, or use the demo corpus.")
    if st.button("Use the demo corpus"):
        with ui.guarded("Could not build the demo corpus"):
            ui.load_demo()
            st.rerun()
    ui.sidebar()
    st.stop()

st.caption(f"Dataset: **{dataset['name']}** — {len(dataset['table'])} clips")
is_table = bool(datasets.feature_columns(dataset["table"]))

features_col, svm_col = st.columns(2)
with features_col:
    st.subheader("Features")
    if is_table:
        st.write("Precomputed feature columns from the table.")
        config = None
    else:
        name = st.selectbox("Preset", ["default", "notebook"], key="train_preset",
                            format_func=lambda p: {"default": "default — MFCC + LFCC + deltas + spectral + excitation",
                                                   "notebook": "notebook — the original recipe (HPSS, MFCC, chroma)"}[p])
        base = preset(name)
        n_mfcc = st.slider("MFCC coefficients", 13, 40, base.n_mfcc, key=f"train_n_mfcc_{name}")
        hpss = st.checkbox("Harmonic part only (HPSS, slow)", base.hpss, key=f"train_hpss_{name}")
        config = preset(name, n_mfcc=n_mfcc, hpss=hpss)
with svm_col:
    st.subheader("RBF-kernel SVM")
    C = st.select_slider("C (regularisation, log scale)", C_VALUES, value=1.0, key="train_C")
    gamma_mode = st.radio("gamma", ["scale", "value"], horizontal=True, key="train_gamma_mode",
                          format_func=lambda g: "scale (1 / (features x variance))" if g == "scale" else "set a value")
    gamma = "scale"
    if gamma_mode == "value":
        gamma = st.select_slider("gamma (kernel width, log scale)", GAMMA_VALUES, value=0.01, key="train_gamma")
    class_weight = st.radio("Class weight", ["none", "balanced"], horizontal=True, key="train_class_weight")
    test_size = st.slider("Test fraction", 0.1, 0.5, 0.3, 0.05, key="train_test_size")
    # Default to the most honest split the data supports: unseen speakers where speakers are known.
    known_speakers = dataset["table"]["speaker"].notna().all() and dataset["table"]["speaker"].nunique() >= 2
    split = st.selectbox("Split", list(SPLITS), index=1 if known_speakers else 0, format_func=SPLITS.get,
                         key="train_split")
    seed = st.number_input("Seed", 0, 100_000, 0, key="train_seed")
    large = st.checkbox("Large-data mode (fit on a stratified subsample of 8,000 training clips)",
                        value=len(dataset["table"]) > 20_000, key="train_large",
                        help="For tens of thousands of clips: fits in seconds where the exact SVM takes minutes.")

if st.button("Train", type="primary", key="train_button"):
    with ui.guarded("Training failed"):
        train_config = model.TrainConfig(C=float(C), gamma=gamma, class_weight=None if class_weight == "none" else "balanced",
                                         test_size=float(test_size), split=split, random_state=int(seed),
                                         mode="large" if large else "exact")
        fs = ui.feature_set(dataset, config)
        for path, reason in fs.skipped[:5]:
            st.warning(f"Skipped {reason}")
        with st.spinner("Training the SVM…"):
            result = model.fit_evaluate(fs, train_config)
        st.session_state["trained"] = {"result": result, "features": fs, "dataset": dataset["name"]}

trained = st.session_state["trained"]
if trained:
    result = trained["result"]
    st.subheader(f"Trained on {trained['dataset']}")
    cols = st.columns(4)
    cols[0].metric("Train accuracy", f"{result.train_eval.accuracy:.1%}")
    cols[1].metric("Test accuracy", f"{result.test_eval.accuracy:.1%}")
    cols[2].metric("Balanced accuracy", f"{result.test_eval.balanced_accuracy:.1%}")
    cols[3].metric("Test EER", f"{result.test_eval.eer:.1%}")
    left, right = st.columns(2)
    with left:
        ui.show_figure(plots.confusion_matrix(result.test_eval.confusion), caption="Confusion matrix (test)")
    with right:
        ui.show_figure(plots.det_curve({"test": result.test_eval}), caption="DET curve (test)")
    st.page_link("pages/4_Results.py", label="All results →", icon="📊")


def use_best_cell(best):
    st.session_state["train_C"] = best["C"]
    if best["gamma"] == "scale":
        st.session_state["train_gamma_mode"] = "scale"
    else:
        st.session_state["train_gamma_mode"] = "value"
        st.session_state["train_gamma"] = float(best["gamma"])


with st.expander("C x gamma grid search (cross-validated EER)"):
    Cs = st.multiselect("C values", C_VALUES, default=[0.1, 1.0, 10.0, 100.0], key="grid_C")
    gammas = st.multiselect("gamma values", ["scale"] + GAMMA_VALUES, default=["scale", 0.001, 0.01, 0.1],
                            key="grid_gamma")
    folds = st.slider("Folds", 2, 5, 3, key="grid_folds")
    if st.button("Run grid search", disabled=not (Cs and gammas)):
        with ui.guarded("Grid search failed"):
            fs = ui.feature_set(dataset, config)
            bar = st.progress(0.0, text="Grid search…")
            grid = model.grid_search(fs.X, fs.y, Cs, gammas, cv=folds, groups=fs.speakers,
                                     class_weight=None if class_weight == "none" else "balanced", random_state=int(seed),
                                     progress=lambda d, t: bar.progress(d / t, text=f"Grid search: fit {d}/{t}"))
            bar.empty()
            st.session_state["grid"] = grid
    grid = st.session_state["grid"]
    if grid is not None:
        ui.show_figure(plots.grid_heatmap(grid))
        best = model.best_cell(grid)
        st.write(f"Best cell: C = {best['C']:g}, gamma = {best['gamma']}, cross-validated EER {best['eer']:.1%}")
        st.button("Use the best cell", on_click=use_best_cell, args=(best,))

ui.sidebar()
