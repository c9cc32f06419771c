"""Matplotlib figures for clips and for evaluations.

Every function takes an optional ``ax`` and returns the :class:`Figure` it
drew on. Without ``ax`` it creates a standalone ``matplotlib.figure.Figure``
— never through ``pyplot`` — so nothing is registered in pyplot's global
state and a figure is freed as soon as the caller drops it: a long-running
app can redraw thousands of times without growing.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import metrics
from .audio import Clip
from .features import FeatureConfig, PRESETS, lfcc as _lfcc

BONAFIDE_COLOUR = "#2a9d8f"
SPOOF_COLOUR = "#e76f51"


def _axes(ax, figsize=(7, 3)):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def waveform(clip: Clip, *, ax=None) -> Figure:
    """The clip's samples over time."""
    import librosa.display

    fig, ax = _axes(ax)
    librosa.display.waveshow(clip.samples, sr=clip.rate, ax=ax, color="#264653")
    ax.set(title=f"Waveform — {clip.name}", xlabel="Time (s)", ylabel="Amplitude")
    return fig


def _specshow(matrix, clip: Clip, hop_length: int, *, ax, y_axis, title, label, **kwargs) -> Figure:
    import librosa.display

    fig, ax = _axes(ax)
    image = librosa.display.specshow(matrix, sr=clip.rate, hop_length=hop_length, x_axis="time",
                                     y_axis=y_axis, ax=ax, **kwargs)
    fig.colorbar(image, ax=ax, format="%+2.0f" if label == "dB" else None, label=label)
    ax.set(title=title)
    return fig


def spectrogram(clip: Clip, *, n_fft: int = 512, hop_length: int = 128, ax=None) -> Figure:
    """STFT magnitude in dB on a linear Hz axis (where vocoder artefacts live)."""
    import librosa

    S = librosa.amplitude_to_db(np.abs(librosa.stft(clip.samples, n_fft=n_fft, hop_length=hop_length)), ref=np.max)
    return _specshow(S, clip, hop_length, ax=ax, y_axis="hz", title="STFT spectrogram", label="dB")


def mel_spectrogram(clip: Clip, *, n_mels: int = 64, n_fft: int = 512, hop_length: int = 128, ax=None) -> Figure:
    """Mel-scaled power spectrogram in dB."""
    import librosa

    S = librosa.feature.melspectrogram(y=clip.samples, sr=clip.rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    return _specshow(librosa.power_to_db(S, ref=np.max), clip, hop_length, ax=ax, y_axis="mel",
                     title="Mel spectrogram", label="dB")


def mfcc(clip: Clip, config: FeatureConfig = PRESETS["default"], *, ax=None) -> Figure:
    """MFCC over time, as the features see them."""
    import librosa

    coeffs = librosa.feature.mfcc(y=clip.samples, sr=clip.rate, n_mfcc=config.n_mfcc, n_fft=config.n_fft,
                                  hop_length=config.hop_length, n_mels=config.n_mels)
    return _specshow(coeffs, clip, config.hop_length, ax=ax, y_axis=None, title="MFCC", label="coefficient",
                     cmap="coolwarm")


def lfcc(clip: Clip, config: FeatureConfig = PRESETS["default"], *, ax=None) -> Figure:
    """LFCC over time (linear filterbank: keeps the high band where many artefacts sit)."""
    coeffs = _lfcc(y=clip.samples, sr=clip.rate, n_lfcc=config.n_lfcc, n_filters=config.n_linear_filters,
                   n_fft=config.n_fft, hop_length=config.hop_length)
    return _specshow(coeffs, clip, config.hop_length, ax=ax, y_axis=None, title="LFCC", label="coefficient",
                     cmap="coolwarm")


def confusion_matrix(confusion, labels=("bonafide", "spoof"), *, normalise: bool = False, ax=None) -> Figure:
    """Counts (or row-normalised rates) of true versus predicted class."""
    fig, ax = _axes(ax, figsize=(4, 3.5))
    matrix = np.asarray(confusion, dtype=float)
    if normalise:
        rows = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    for (i, j), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalise else f"{int(value)}"
        dark = value > matrix.max() / 2
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black", fontsize=12)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="Predicted", ylabel="True", title="Confusion matrix" + (" (normalised)" if normalise else ""))
    fig.colorbar(image, ax=ax)
    return fig


def det_curve(evaluations: dict, *, ax=None) -> Figure:
    """DET curves (FRR against FAR on normal-deviate axes), one per named evaluation."""
    from scipy.stats import norm

    fig, ax = _axes(ax, figsize=(4.5, 4.5))
    ticks = np.array([0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95])
    clip = lambda p: np.clip(p, 5e-4, 1 - 5e-4)
    for name, ev in evaluations.items():
        bona, spoof = ev.scores[ev.y_true == "bonafide"], ev.scores[ev.y_true == "spoof"]
        frr, far, _ = metrics.det_curve(bona, spoof)
        ax.plot(norm.ppf(clip(far)), norm.ppf(clip(frr)), label=f"{name} (EER {ev.eer:.1%})")
        ax.plot(norm.ppf(clip(ev.eer)), norm.ppf(clip(ev.eer)), "o", color=ax.lines[-1].get_color())
    ax.plot(norm.ppf(clip(ticks)), norm.ppf(clip(ticks)), ":", color="grey", lw=0.8)
    positions = norm.ppf(ticks)
    names = [f"{t:.1%}".replace(".0%", "%") for t in ticks]
    ax.set_xticks(positions, names)
    ax.set_yticks(positions, names)
    ax.set(xlabel="False acceptance rate", ylabel="False rejection rate", title="DET curve",
           xlim=(positions[0], positions[-1]), ylim=(positions[0], positions[-1]))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def roc_curve(evaluations: dict, *, ax=None) -> Figure:
    """ROC curves: bona fide acceptance against spoof acceptance."""
    fig, ax = _axes(ax, figsize=(4.5, 4.5))
    for name, ev in evaluations.items():
        far, tar = metrics.roc_points(ev.scores[ev.y_true == "bonafide"], ev.scores[ev.y_true == "spoof"])
        ax.plot(far, tar, label=f"{name} (AUC {ev.auc:.3f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=0.8)
    ax.set(xlabel="False acceptance rate (spoofs accepted)", ylabel="Bona fide acceptance rate",
           title="ROC curve", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def score_histogram(scores, y_true, *, threshold: float | None = None, marker: float | None = None,
                    ax=None) -> Figure:
    """Score distributions per class, with the decision threshold and an optional clip's score."""
    fig, ax = _axes(ax)
    scores, y_true = np.asarray(scores), np.asarray(y_true)
    bins = np.histogram_bin_edges(scores, bins=40)
    for label, colour in (("bonafide", BONAFIDE_COLOUR), ("spoof", SPOOF_COLOUR)):
        ax.hist(scores[y_true == label], bins=bins, alpha=0.6, color=colour, label=label)
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    if marker is not None:
        ax.axvline(marker, color="#6a4c93", lw=2, label=f"this clip {marker:.2f}")
    ax.set(xlabel="Score (higher = more bona fide)", ylabel="Clips", title="Score distribution")
    ax.legend(fontsize=8)
    return fig


def grid_heatmap(grid, *, value: str = "eer", ax=None) -> Figure:
    """A C x gamma heatmap of a :func:`voiceclf.model.grid_search` table."""
    fig, ax = _axes(ax, figsize=(6, 4))
    table = grid.assign(gamma=grid["gamma"].astype(str)).pivot(index="C", columns="gamma", values=value)
    table = table[sorted(table.columns, key=lambda g: (g != "scale", float(g) if g != "scale" else 0))]
    image = ax.imshow(table.to_numpy(), cmap="viridis_r" if value == "eer" else "viridis", aspect="auto")
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, f"{v:.1%}" if value == "eer" else f"{v:.3f}", ha="center", va="center", fontsize=8,
                color="white")
    ax.set_xticks(range(table.shape[1]), [str(g) for g in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{c:g}" for c in table.index])
    ax.set(xlabel="gamma", ylabel="C", title=f"Cross-validated {value.upper() if value == 'eer' else value}")
    fig.colorbar(image, ax=ax)
    return fig


def eer_per_attack(per_attack: dict, *, ax=None) -> Figure:
    """EER of each attack against the bona fide clips."""
    fig, ax = _axes(ax, figsize=(5, 3))
    names = list(per_attack)
    values = [per_attack[n] * 100 for n in names]
    ax.bar(names, values, color=SPOOF_COLOUR)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set(ylabel="EER (%)", title="EER per attack")
    return fig


def projection(X, y_true, y_pred=None, *, random_state: int = 0, ax=None) -> Figure:
    """A 2-D PCA of standardised features, coloured by class, misclassified clips ringed."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    fig, ax = _axes(ax, figsize=(5, 4))
    points = PCA(n_components=2, random_state=random_state).fit_transform(StandardScaler().fit_transform(X))
    y_true = np.asarray(y_true)
    for label, colour in (("bonafide", BONAFIDE_COLOUR), ("spoof", SPOOF_COLOUR)):
        mask = y_true == label
        ax.scatter(points[mask, 0], points[mask, 1], s=12, alpha=0.7, color=colour, label=label)
    if y_pred is not None:
        wrong = np.asarray(y_pred) != y_true
        ax.scatter(points[wrong, 0], points[wrong, 1], s=60, facecolors="none", edgecolors="black",
                   label="misclassified")
    ax.set(xlabel="PC 1", ylabel="PC 2", title="Features, PCA projection")
    ax.legend(fontsize=8)
    return fig


def duration_histogram(dataset, *, ax=None) -> Figure:
    """Clip durations per class."""
    fig, ax = _axes(ax, figsize=(6, 3))
    durations = dataset["duration"].astype(float)
    if durations.notna().any():
        bins = np.histogram_bin_edges(durations.dropna(), bins=30)
        for label, colour in (("bonafide", BONAFIDE_COLOUR), ("spoof", SPOOF_COLOUR)):
            values = durations[dataset["label"] == label].dropna()
            ax.hist(values, bins=bins, alpha=0.6, color=colour, label=label)
        ax.legend(fontsize=8)
    ax.set(xlabel="Duration (s)", ylabel="Clips", title="Clip durations")
    return fig
