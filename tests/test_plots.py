import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from conftest import voiced
from voiceclf import plots
from voiceclf.audio import Clip
from voiceclf.model import evaluate
from test_model import blobs


def test_every_figure_draws_without_touching_pyplot():
    clip = Clip(voiced(), 16000, "x.wav", 16000, 1)
    fs = blobs(separation=3.0)
    from voiceclf.model import train

    pipeline = train(fs.X, fs.y)
    ev = evaluate(pipeline, fs.X, fs.y, fs.attacks)
    grid = pd.DataFrame({"C": [1, 1, 10, 10], "gamma": ["scale", 0.1, "scale", 0.1], "eer": [.1, .2, .3, .4],
                         "accuracy": [.9, .8, .7, .6]})
    table = pd.DataFrame({"label": ["bonafide", "spoof"], "duration": [1.0, 2.0]})
    before = plt.get_fignums()
    figures = [
        plots.waveform(clip), plots.spectrogram(clip), plots.mel_spectrogram(clip), plots.mfcc(clip),
        plots.lfcc(clip), plots.confusion_matrix(ev.confusion), plots.confusion_matrix(ev.confusion, normalise=True),
        plots.det_curve({"test": ev}), plots.roc_curve({"test": ev}), plots.score_histogram(ev.scores, ev.y_true, threshold=0.0, marker=1.0),
        plots.grid_heatmap(grid), plots.eer_per_attack(ev.eer_per_attack), plots.projection(fs.X, fs.y, ev.y_pred),
        plots.duration_histogram(table),
    ]
    assert plt.get_fignums() == before
    for fig in figures:
        assert isinstance(fig, Figure) and fig.axes
        fig.canvas.draw()  # renders without error


def test_draws_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.waveform(Clip(voiced(), 16000, "x", 16000, 1), ax=ax) is fig
    assert ax.get_title().startswith("Waveform")
