"""Results — metrics, confusion matrix, DET/ROC, per-attack EER, mistakes, downloads."""

import streamlit as st

import ui
from voiceclf import model, plots, report

st.set_page_config(page_title="Results — voiceclf", page_icon="📊", layout="wide")
ui.init_state()
st.title("📊 Results")

trained = st.session_state["trained"]
if trained is None:
    st.info("No model yet — train one on the Train page.")
    st.page_link("pages/3_Train.py", label="Go to Train", icon="⚙️")
    ui.sidebar()
    st.stop()

result, fs = trained["result"], trained["features"]
ev = result.test_eval
st.caption(f"RBF-SVM trained on **{trained['dataset']}** · {len(result.train_idx)} train / {len(result.test_idx)} test clips "
           f"· split {result.model.train_config.split}")
cols = st.columns(4)
cols[0].metric("Train accuracy", f"{result.train_eval.accuracy:.1%}")
cols[1].metric("Test accuracy", f"{ev.accuracy:.1%}")
cols[2].metric("Balanced accuracy", f"{ev.balanced_accuracy:.1%}")
cols[3].metric("Test EER", f"{ev.eer:.1%}", help="Equal error rate: where false acceptances equal false rejections.")

tabs = st.tabs(["Confusion", "Report", "DET & ROC", "Scores", "Per attack", "Projection", "Misclassified", "Downloads"])
with tabs[0]:
    left, right = st.columns(2)
    with left:
        ui.show_figure(plots.confusion_matrix(ev.confusion))
    with right:
        ui.show_figure(plots.confusion_matrix(ev.confusion, normalise=True))
with tabs[1]:
    st.dataframe(report.metrics_table(result))
    st.dataframe(report.report_table(ev))
with tabs[2]:
    left, right = st.columns(2)
    with left:
        ui.show_figure(plots.det_curve({"train": result.train_eval, "test": ev}))
    with right:
        ui.show_figure(plots.roc_curve({"train": result.train_eval, "test": ev}))
with tabs[3]:
    ui.show_figure(plots.score_histogram(ev.scores, ev.y_true, threshold=ev.eer_threshold))
    st.caption(f"Dashed line: EER threshold {ev.eer_threshold:.3f}. Accuracy uses the SVM's own threshold 0.")
with tabs[4]:
    if ev.eer_per_attack:
        ui.show_figure(plots.eer_per_attack(ev.eer_per_attack))
    else:
        st.write("The test clips carry no attack labels.")
with tabs[5]:
    ui.show_figure(plots.projection(fs.X[result.test_idx], ev.y_true, ev.y_pred))
with tabs[6]:
    wrong = report.misclassified(result, fs)
    st.write(f"{len(wrong)} of {len(ev.y_true)} test clips misclassified.")
    st.dataframe(wrong.drop(columns=["path"]) if wrong["path"].isna().all() else wrong)
    for row in wrong.head(10).itertuples():
        if isinstance(row.path, str):
            st.caption(f"{row.path.split('/')[-1]} — true {row.true}, score {row.score:+.3f}")
            st.audio(row.path)
with tabs[7]:
    name = trained["dataset"]
    st.download_button("Model (.skops)", model.dumps(result.model), "voiceclf-model.skops")
    st.download_button("Scores (ASVspoof format)", report.score_file_text(result, fs), "scores.txt")
    st.download_button("Report (Markdown)", report.markdown(result, name), "report.md")
    if st.button("Build HTML report with figures"):
        st.download_button("Report (HTML)", report.html_report(result, fs, name), "report.html")
ui.sidebar()
