"""Streamlit glue shared by the pages: session state, cached work, progress, errors.

Everything that computes lives in the ``voiceclf`` package; this module only
keeps per-user state in ``st.session_state``, caches pure expensive work and
turns package errors into ``st.error`` messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
import threading
import uuid
import weakref
from pathlib import Path

import streamlit as st

from voiceclf import datasets, demo, features, plots, spoof
from voiceclf.audio import Clip, load_audio, resample
from voiceclf.errors import VoiceclfError

MAX_FEATURE_SETS = 3  # per session: features of the last few (dataset, settings) pairs
MAX_REMEMBERED_UPLOADS = 200  # per session: clips offered on the Dataset page; the oldest go first


# --------------------------------------------------------------------------- state

class _SessionFolder:
    """A temporary folder removed when the session that owns it ends (its state is dropped)."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="voiceclf-session-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)


def init_state() -> None:
    """Create this browser session's slots; never shared between users."""
    state = st.session_state
    state.setdefault("dataset", None)  # {"id", "name", "table", "kind"}
    state.setdefault("feature_sets", {})  # (dataset id, config key) -> FeatureSet
    state.setdefault("trained", None)  # {"result", "features", "dataset"}
    state.setdefault("uploads", {})  # digest -> {"name", "data", "label"}
    state.setdefault("grid", None)
    if "folder" not in state:
        state["folder"] = _SessionFolder()
    warm_up()


def session_folder(*parts: str) -> Path:
    path = st.session_state["folder"].path.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_dataset(name: str, table, kind: str) -> None:
    """Make ``table`` the active dataset; the trained model (if any) is kept."""
    st.session_state["dataset"] = {"id": uuid.uuid4().hex, "name": name, "table": table, "kind": kind}


def remember_upload(name: str, data: bytes, label: str = "bonafide") -> str:
    digest = hashlib.sha1(data).hexdigest()
    uploads = st.session_state["uploads"]
    uploads.setdefault(digest, {"name": name, "data": data, "label": label})
    while len(uploads) > MAX_REMEMBERED_UPLOADS:
        uploads.pop(next(iter(uploads)))
    return digest


@contextlib.contextmanager
def guarded(what: str = ""):
    """Show a package error as ``st.error`` and carry on; the page and the session survive."""
    try:
        yield
    except VoiceclfError as exc:
        st.error(f"{what}{': ' if what else ''}{exc}", icon="🚫")
    except MemoryError:
        st.error("Not enough memory for that — try a smaller dataset or file.", icon="🚫")


# --------------------------------------------------------------------------- cached work

_STARTUP_LOCK = threading.Lock()
_started = False


def warm_up() -> None:
    """Pay librosa's and numba's one-off start-up costs once per server process, before any page needs them.

    Every session's script runs in its own thread; the first one to get here
    compiles the audio code in this process while the others wait, so numba's
    cache is written once, by one thread, before any worker process reads it.
    The extraction workers are then started in the background, so the first
    "Train" does not wait for them.
    """
    global _started
    if _started:
        return
    with _STARTUP_LOCK:
        if _started:
            return
        with st.spinner("Starting up: compiling the audio code (first run after an install takes longer)…"):
            features.warm_up()
            spoof.warm_up()
        threading.Thread(target=features.warm_workers, args=(2,), name="voiceclf-workers", daemon=True).start()
        _started = True


@st.cache_data(show_spinner="Building the demo corpus (first run only, about 20 s)…")
def demo_corpus_path() -> str:
    return str(demo.build())


def load_demo() -> None:
    set_dataset("Demo corpus", datasets.from_folder(demo_corpus_path()), kind="demo")


def ensure_dataset() -> dict | None:
    """The active dataset, loading the demo corpus the first time a session opens the app."""
    if st.session_state["dataset"] is None and not st.session_state.get("demo_declined"):
        with guarded("Could not build the demo corpus"):
            load_demo()
    return st.session_state["dataset"]


def feature_set(dataset: dict, config):
    """Features of the active dataset for ``config``, with a progress bar the first time."""
    is_table = bool(datasets.feature_columns(dataset["table"]))
    key = (dataset["id"], "columns" if is_table else config.key())
    cache = st.session_state["feature_sets"]
    if key in cache:
        return cache[key]
    bar = st.progress(0.0, text="Extracting features…")

    def progress(done, total):
        bar.progress(done / max(total, 1), text=f"Extracting features: {done}/{total} clips")

    result = features.extract_dataset(dataset["table"], None if is_table else config, n_jobs=2, progress=progress)
    bar.empty()
    while len(cache) >= MAX_FEATURE_SETS:
        cache.pop(next(iter(cache)))
    cache[key] = result
    return result


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


@st.cache_data(max_entries=64, show_spinner=False)
def clip_views(data: bytes, name: str, preset_name: str) -> dict:
    """Everything the Explore page shows of one clip, as PNGs and numbers (cached by content)."""
    config = features.preset(preset_name)
    clip = load_audio(data, name=name, sr=None)  # decoded once; resampled once for analysis
    analysed = Clip(resample(clip.samples, clip.rate, config.rate), config.rate, name, clip.original_rate,
                    clip.channels) if clip.rate != config.rate else clip
    vector = features.extract(analysed, config)
    return {
        "rate": clip.original_rate, "channels": clip.channels, "duration": clip.duration,
        "figures": {
            "Waveform": figure_png(plots.waveform(analysed)),
            "Spectrogram": figure_png(plots.spectrogram(analysed)),
            "Mel": figure_png(plots.mel_spectrogram(analysed)),
            "MFCC": figure_png(plots.mfcc(analysed, config)),
            "LFCC": figure_png(plots.lfcc(analysed, config)),
        },
        "names": features.feature_names(config),
        "vector": vector,
    }


def show_figure(fig, caption: str | None = None) -> None:
    """Render a package figure; it is not registered with pyplot, so dropping it frees it."""
    st.image(figure_png(fig), caption=caption)


# --------------------------------------------------------------------------- layout

def sidebar() -> None:
    dataset, trained = st.session_state["dataset"], st.session_state["trained"]
    with st.sidebar:
        st.markdown("**Active dataset**")
        if dataset:
            counts = dataset["table"]["label"].value_counts()
            st.caption(f"{dataset['name']}: {counts.get('bonafide', 0)} bona fide, {counts.get('spoof', 0)} spoof")
        else:
            st.caption("none — choose one on the Dataset page")
        st.markdown("**Model**")
        if trained:
            ev = trained["result"].test_eval
            st.caption(f"trained on {trained['dataset']}: test EER {ev.eer:.1%}, accuracy {ev.accuracy:.1%}")
        else:
            st.caption("none — train one on the Train page")


def page_links() -> None:
    st.page_link("app.py", label="Home", icon="🏠")
    st.page_link("pages/1_Explore.py", label="Explore — see and hear a clip", icon="🔍")
    st.page_link("pages/2_Dataset.py", label="Dataset — choose and inspect the data", icon="🗂️")
    st.page_link("pages/3_Train.py", label="Train — tune and train the SVM", icon="⚙️")
    st.page_link("pages/4_Results.py", label="Results — read the verdict", icon="📊")
