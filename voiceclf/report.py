"""Reports of a trained countermeasure: score files, Markdown and HTML.

What the Results page offers for download and ``voiceclf evaluate --scores``
writes, built from a :class:`~voiceclf.model.TrainResult` without Streamlit.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots


def score_lines(table: pd.DataFrame, speakers, y, scores) -> list[str]:
    """ASVspoof-style score lines ``speaker utt score key``, one per clip."""
    lines = []
    for i, score in enumerate(scores):
        source = table["path"].iloc[i] if "path" in table else None
        utt = Path(source).stem if isinstance(source, str) else f"row{i}"
        speaker = speakers[i] if speakers is not None and speakers[i] else "-"
        lines.append(f"{speaker} {utt} {float(score):.6f} {y[i]}")
    return lines


def score_file_text(result, features) -> str:
    """The score file of the test part of a :class:`TrainResult`."""
    idx = result.test_idx
    table = features.table.iloc[idx].reset_index(drop=True)
    return "\n".join(score_lines(table, features.speakers[idx], features.y[idx], result.test_eval.scores)) + "\n"


def misclassified(result, features) -> pd.DataFrame:
    """Test clips the model got wrong, worst first: path, true label, attack, speaker, score."""
    ev = result.test_eval
    idx = result.test_idx
    wrong = np.flatnonzero(ev.y_pred != ev.y_true)
    frame = pd.DataFrame({
        "path": features.table["path"].iloc[idx[wrong]].to_numpy() if "path" in features.table else None,
        "true": ev.y_true[wrong],
        "predicted": ev.y_pred[wrong],
        "attack": ev.attacks[wrong],
        "speaker": features.speakers[idx[wrong]],
        "score": ev.scores[wrong],
    })
    return frame.reindex(frame["score"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def metrics_table(result) -> pd.DataFrame:
    """Train and test metrics side by side."""
    rows = {}
    for name, ev in (("train", result.train_eval), ("test", result.test_eval)):
        rows[name] = {"accuracy": ev.accuracy, "balanced accuracy": ev.balanced_accuracy, "EER": ev.eer,
                      "ROC AUC": ev.auc, "clips": int(len(ev.y_true))}
    return pd.DataFrame(rows)


def report_table(ev) -> pd.DataFrame:
    """The classification report as a table (precision, recall, F1, support per class)."""
    return pd.DataFrame(ev.report).T


def markdown(result, dataset_name: str = "dataset") -> str:
    """A Markdown report: settings, metrics, confusion matrix, per-attack EER."""
    model = result.model
    ev = result.test_eval
    config = model.train_config
    feature = model.feature_config.name if model.feature_config else "precomputed columns"
    lines = [
        f"# voiceclf report — {dataset_name}",
        "",
        f"Created {model.metadata.get('created', '')}; voiceclf {model.metadata.get('versions', {}).get('voiceclf', '')}.",
        "",
        "## Settings",
        "",
        f"- features: {feature} ({len(model.feature_names)} values)",
        f"- SVM: RBF kernel, C={config.C:g}, gamma={config.gamma}, class_weight={config.class_weight}",
        f"- split: {config.split}, test fraction {config.test_size:g}, seed {config.random_state}",
        f"- clips: {len(result.train_idx)} train, {len(result.test_idx)} test",
        "",
        "## Metrics",
        "",
        "| | train | test |",
        "|---|---|---|",
    ]
    for key, label in (("accuracy", "accuracy"), ("balanced_accuracy", "balanced accuracy"), ("eer", "EER"),
                       ("auc", "ROC AUC")):
        lines.append(f"| {label} | {getattr(result.train_eval, key):.4f} | {getattr(ev, key):.4f} |")
    lines += ["", f"EER threshold (test): {ev.eer_threshold:.4f}", "", "## Confusion matrix (test)", "",
              "| true \\ predicted | bonafide | spoof |", "|---|---|---|"]
    for label, row in zip(ev.labels, ev.confusion):
        lines.append(f"| {label} | {row[0]} | {row[1]} |")
    if ev.eer_per_attack:
        lines += ["", "## EER per attack (test)", "", "| attack | EER |", "|---|---|"]
        lines += [f"| {a} | {v:.4f} |" for a, v in ev.eer_per_attack.items()]
    lines += ["", "## Classification report (test)", "", "```", ev.report_text.rstrip(), "```", ""]
    return "\n".join(lines)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode()


def html_report(result, features, dataset_name: str = "dataset") -> str:
    """A self-contained HTML report: the Markdown's content plus the figures, embedded as PNG."""
    ev = result.test_eval
    figures = {
        "Confusion matrix": plots.confusion_matrix(ev.confusion),
        "DET curve": plots.det_curve({"test": ev}),
        "ROC curve": plots.roc_curve({"test": ev}),
        "Score distribution": plots.score_histogram(ev.scores, ev.y_true, threshold=ev.eer_threshold),
    }
    if ev.eer_per_attack:
        figures["EER per attack"] = plots.eer_per_attack(ev.eer_per_attack)
    text = html.escape(markdown(result, dataset_name))
    images = "\n".join(f'<h2>{html.escape(name)}</h2><img alt="{html.escape(name)}" src="data:image/png;base64,{_png(fig)}">'
                       for name, fig in figures.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>voiceclf report</title></head>"
            f"<body><pre>{text}</pre>{images}</body></html>")
