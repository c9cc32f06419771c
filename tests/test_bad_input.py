"""A corpus of broken, hostile and odd input, generated at run time.

Every case goes through `load_audio`, the CLI (`info`, `predict`) and the
app's uploader. Valid-but-odd clips load; invalid ones are refused with a
message that says what is wrong — never a traceback, and nothing already
loaded or trained is lost.
"""

import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import voiced
from voiceclf.audio import load_audio
from voiceclf.errors import AudioError

ROOT = Path(__file__).resolve().parents[1]
SR = 16000


def encode(data, sr=SR, fmt="WAV", subtype="PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, sr, format=fmt, subtype=subtype)
    return buffer.getvalue()


def build_corpus(folder: Path) -> list[tuple[str, Path, str | None]]:
    """(case, path, expected): expected is None for a clip that must load, else a word its error must contain."""
    y = voiced(duration=2.0)
    wav = encode(y)
    lying = bytearray(wav)
    at = lying.find(b"data")
    struct.pack_into("<I", lying, at + 4, 10 * len(lying))
    clipped = np.clip(4 * y, -1, 1)
    nan, inf = y.copy(), y.copy()
    nan[100], inf[200] = np.nan, np.inf
    stereo = np.stack([y, np.zeros_like(y)], axis=1)
    cases = [
        ("empty file", "empty.wav", b"", "empty"),
        ("1-byte WAV", "one-byte.wav", b"R", "not an audio file"),
        ("44-byte header-only WAV", "header.wav", encode(np.zeros(0, np.float32)), "no audio samples"),
        ("truncated WAV (half)", "trunc.wav", wav[: len(wav) // 2], None),
        ("truncated WAV (39 ms left)", "trunc-short.wav", wav[:1280], "shorter"),
        ("truncated FLAC", "trunc.flac", encode(y, fmt="FLAC")[:5000], "damaged"),
        ("truncated OGG", "trunc.ogg", encode(y, fmt="OGG", subtype="VORBIS")[:1200], "damaged"),
        ("truncated MP3", "trunc.mp3", encode(y, fmt="MP3", subtype="MPEG_LAYER_III")[:180], "damaged"),
        ("text file renamed .wav", "notes.wav", b"meeting notes, not audio\n" * 40, "not an audio file"),
        ("PNG renamed .wav", "picture.wav", b"\x89PNG\r\n\x1a\n" + bytes(300), "not an audio file"),
        ("WAV with a lying data size", "lying.wav", bytes(lying), None),
        ("one sample", "one-sample.wav", encode(y[:1]), "shorter"),
        ("50 ms", "short.wav", encode(y[:800]), "shorter"),
        ("all zeros", "zeros.wav", encode(np.zeros(SR, np.float32)), "silent"),
        ("DC only", "dc.wav", encode(np.full(SR, 0.5, np.float32)), "silent"),
        ("constant far below audibility", "whisper.wav", encode(y * 1e-6, subtype="FLOAT"), "silent"),
        ("NaN in float WAV", "nan.wav", encode(nan, subtype="FLOAT"), "nan"),
        ("Inf in float WAV", "inf.wav", encode(inf, subtype="FLOAT"), "infinite"),
        ("float WAV far outside [-1, 1]", "loud-float.wav", encode(y * 1000, subtype="FLOAT"), None),
        ("full-scale clipping", "clipped.wav", encode(clipped), None),
        ("8-bit unsigned", "u8.wav", encode(y, subtype="PCM_U8"), None),
        ("24-bit", "s24.wav", encode(y, subtype="PCM_24"), None),
        ("32-bit int", "s32.wav", encode(y, subtype="PCM_32"), None),
        ("32-bit float", "f32.wav", encode(y, subtype="FLOAT"), None),
        ("64-bit float", "f64.wav", encode(y, subtype="DOUBLE"), None),
        ("u-law WAV", "ulaw.wav", encode(y, subtype="ULAW"), None),
        ("A-law WAV", "alaw.wav", encode(y, subtype="ALAW"), None),
        ("AIFF named .wav", "aiff.wav", encode(y, fmt="AIFF"), None),
        ("AU", "sun.au", encode(y, fmt="AU"), None),
        ("FLAC 24-bit", "hi.flac", encode(y, fmt="FLAC", subtype="PCM_24"), None),
        ("OGG Vorbis", "clip.ogg", encode(y, fmt="OGG", subtype="VORBIS"), None),
        ("MP3", "clip.mp3", encode(y, fmt="MP3", subtype="MPEG_LAYER_III"), None),
        ("stereo, one silent channel", "stereo.wav", encode(stereo), None),
        ("6 channels", "surround.wav", encode(np.repeat(y[:, None], 6, axis=1)), None),
        ("over the 600 s limit", "long.wav",
         encode(np.random.default_rng(0).uniform(-0.5, 0.5, 601 * 1000), sr=1000, subtype="PCM_U8"), "limit"),
        ("sample rate below 1 kHz", "slow.wav", encode(y[:2000], sr=500), "too low"),
        ("very long file name", "a" * 200 + ".wav", wav, None),
        ("unicode name with spaces", "voix enregistrée — 日本 test.wav", wav, None),
    ]
    for rate in (8000, 11025, 22050, 44100, 48000, 96000):
        cases.append((f"{rate} Hz", f"rate-{rate}.wav", encode(voiced(duration=1.0, sr=rate), sr=rate), None))
    out = []
    for case, name, data, expected in cases:
        path = folder / name
        path.write_bytes(data)
        out.append((case, path, expected))
    (folder / "a folder.wav").mkdir()
    out.append(("a directory passed as a file", folder / "a folder.wav", "folder"))
    huge = folder / "huge.wav"
    with open(huge, "wb") as fh:  # sparse: 300 MB on paper, nothing on disk, never read
        fh.truncate(300 * 2**20)
    out.append(("300 MB file, over the upload limit", huge, "limit"))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    cases = build_corpus(tmp_path_factory.mktemp("bad"))
    assert len(cases) >= 40
    return cases


def test_load_audio_on_every_case(corpus, capsys):
    rows, failures = [], []
    for case, path, expected in corpus:
        try:
            clip = load_audio(path)
            outcome = f"loaded: {clip.duration:.2f} s, {clip.original_rate} Hz, {clip.channels} ch"
            ok = expected is None and np.isfinite(clip.samples).all() and np.max(np.abs(clip.samples)) <= 1.0
        except AudioError as exc:
            outcome = f"refused: {exc}"
            ok = expected is not None and expected in str(exc).lower()
        rows.append(f"{'PASS' if ok else 'FAIL'}  {case:<38} {outcome[:110]}")
        if not ok:
            failures.append(case)
    with capsys.disabled():
        print(f"\nbad-input corpus: {len(corpus)} cases through load_audio")
        print("\n".join(rows))
    assert not failures, failures


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "voiceclf", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def model_file(folder_dataset, tmp_path_factory):
    from voiceclf import datasets, model
    from voiceclf.features import extract_dataset

    features = extract_dataset(datasets.from_folder(folder_dataset))
    return model.save(model.fit_evaluate(features).model, tmp_path_factory.mktemp("m") / "m.skops")


def test_cli_info_and_predict_on_every_case(corpus, model_file):
    bad = [(case, path) for case, path, expected in corpus if expected is not None]
    for command in (("info",), ("predict", model_file)):
        proc = _cli(*command, *[path for _, path, _ in corpus])
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == len(bad), lines
        assert all(line.startswith("error: ") for line in lines)
        assert len(proc.stdout.strip().splitlines()) == len(corpus) - len(bad)
    for case, path in bad[:3]:  # and one file at a time: exit 1, one line
        proc = _cli("info", path)
        assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1


def test_app_uploader_on_every_case(corpus, folder_dataset):
    from streamlit.testing.v1 import AppTest

    from voiceclf import datasets, model
    from voiceclf.features import extract_dataset

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["demo_declined"] = True
    at.run()
    table = datasets.from_folder(folder_dataset)
    features = extract_dataset(table)
    at.session_state["dataset"] = {"id": "kept", "name": "kept dataset", "table": table, "kind": "folder"}
    at.session_state["trained"] = {"result": model.fit_evaluate(features), "features": features, "dataset": "kept"}
    trained = at.session_state["trained"]["result"]
    at.switch_page("pages/1_Explore.py").run()
    uploads = [(path.name, path.read_bytes(), "audio/wav") for case, path, expected in corpus
               if path.is_file() and path.stat().st_size < 50 * 2**20]
    at.file_uploader(key="explore_uploads").set_value(uploads).run()
    assert not at.exception, at.exception
    expected_errors = {path.name for case, path, expected in corpus
                       if expected is not None and path.is_file() and path.stat().st_size < 50 * 2**20}
    messages = [e.value for e in at.error]
    assert len(messages) == len(expected_errors)
    for name in expected_errors:
        assert any(m.startswith(name + ":") for m in messages), name
    assert at.session_state["dataset"]["id"] == "kept"
    assert at.session_state["trained"]["result"] is trained
