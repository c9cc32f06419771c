"""Shared fixtures. Every clip is generated here at run time; nothing is committed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

# Keep the suite's feature cache out of the user's home and fresh for every run.
os.environ.setdefault("VOICECLF_CACHE", tempfile.mkdtemp(prefix="voiceclf-test-cache-"))
os.environ.setdefault("MPLBACKEND", "Agg")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts) -> Path:
    """A path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (only the development machine has ../shared/data)")
    return path


def voiced(duration=0.8, sr=16000, f0=140.0, seed=0, noise=0.01, harmonics=12) -> np.ndarray:
    """A speech-like voiced sound: harmonics of a wobbling F0 with a decaying envelope, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sr)) / sr
    f = f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t) + 0.01 * rng.standard_normal(len(t)).cumsum() / np.sqrt(len(t)))
    phase = 2 * np.pi * np.cumsum(f) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, harmonics + 1))
    envelope = np.minimum(1, 10 * t) * np.minimum(1, 10 * (duration - t))
    y = 0.3 * y * envelope / np.max(np.abs(y)) + noise * rng.standard_normal(len(t))
    return y.astype(np.float32)


def tone(freq=440.0, duration=0.5, sr=16000, amplitude=0.5) -> np.ndarray:
    t = np.arange(int(duration * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write(path, y, sr=16000, subtype=None, fmt=None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr, subtype=subtype, format=fmt)
    return path


def muffled(y: np.ndarray, sr=16000, seed=0) -> np.ndarray:
    """A crude 'spoof': low-passed, magnitude-only resynthesis noise — spectrally distinct from `voiced`."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    sos = butter(6, 2500, fs=sr, output="sos")
    out = sosfilt(sos, y) + 0.003 * rng.standard_normal(len(y))
    return out.astype(np.float32)


@pytest.fixture(scope="session")
def folder_dataset(tmp_path_factory) -> Path:
    """A folder-per-class dataset: 4 speakers x 6 clips per class, speaker in the file name."""
    root = tmp_path_factory.mktemp("folder_dataset")
    for s, f0 in enumerate([110, 140, 180, 220]):
        for i in range(6):
            seed = 100 * s + i
            y = voiced(f0=f0 * (1 + 0.03 * i), seed=seed)
            write(root / "Real" / f"spk{s}_{i}.wav", y)
            write(root / "FAKE" / f"spk{s}_{i}.flac", muffled(y, seed=seed))
    return root


@pytest.fixture
def clip_path(tmp_path) -> Path:
    return write(tmp_path / "clip.wav", voiced())


@pytest.fixture(scope="session")
def demo_corpus() -> Path:
    """The default demo corpus, built once per test session (in the test cache)."""
    from voiceclf import demo

    return demo.build()
