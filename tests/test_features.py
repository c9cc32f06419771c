import numpy as np
import pandas as pd
import pytest

from conftest import voiced, write
from voiceclf import features
from voiceclf.audio import load_audio
from voiceclf.datasets import from_folder
from voiceclf.errors import DatasetError, VoiceclfError
from voiceclf.features import FeatureConfig, extract, extract_dataset, feature_names, preset


def test_vector_matches_names_and_is_finite(clip_path):
    for name in ("default", "notebook"):
        config = preset(name)
        vector = extract(load_audio(clip_path, sr=config.rate), config)
        assert vector.shape == (len(feature_names(config)),)
        assert np.isfinite(vector).all()
    assert len(set(feature_names(preset("default")))) == len(feature_names(preset("default")))


def test_default_preset_has_lfcc_and_deltas():
    names = feature_names(preset("default"))
    assert any(n.startswith("lfcc_01") for n in names)
    assert any(n.startswith("lfcc_delta_") for n in names)
    assert any(n.startswith("mfcc_delta_") for n in names)


def test_notebook_preset_equals_separate_librosa_calls(tmp_path):
    import librosa

    path = write(tmp_path / "n.wav", voiced(duration=1.5, sr=16000, seed=3), 16000)
    y, sr = librosa.load(path)  # the notebook's load: 22,050 Hz
    y = librosa.effects.harmonic(y)
    expected = []
    for frames in (librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20), librosa.feature.spectral_centroid(y=y, sr=sr),
                   librosa.feature.spectral_bandwidth(y=y, sr=sr), librosa.feature.spectral_rolloff(y=y, sr=sr),
                   librosa.feature.zero_crossing_rate(y), librosa.feature.rms(y=y),
                   librosa.feature.chroma_stft(y=y, sr=sr)):
        expected.append(np.stack([frames.mean(axis=1), frames.var(axis=1)], axis=1).ravel())
    ours = extract(load_audio(path, sr=22050), preset("notebook"))
    np.testing.assert_allclose(ours, np.concatenate(expected), rtol=1e-4, atol=1e-7)


def test_rms_comes_from_samples_not_stft(tmp_path):
    import librosa

    config = FeatureConfig(groups=("rms",), stats=("mean",))
    clip = load_audio(write(tmp_path / "r.wav", voiced()))
    expected = librosa.feature.rms(y=clip.samples, frame_length=config.n_fft, hop_length=config.hop_length).mean()
    assert extract(clip, config)[0] == pytest.approx(expected, rel=1e-6)


def test_lfcc_shape_and_filterbank():
    bank = features.linear_filterbank(16000, 512, 40)
    assert bank.shape == (40, 257) and np.all(bank >= 0) and np.all(bank.max(axis=1) > 0.5)
    coeffs = features.lfcc(y=voiced(), sr=16000, n_lfcc=20)
    assert coeffs.shape[0] == 20 and np.isfinite(coeffs).all()


def test_deterministic_and_rate_converted(tmp_path):
    path = write(tmp_path / "d.wav", voiced(sr=8000), 8000)
    a = extract(load_audio(path, sr=8000))  # extract resamples to the config's rate itself
    b = extract(load_audio(path, sr=16000))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(b, extract(load_audio(path, sr=16000)))


def test_bad_config_is_refused():
    with pytest.raises(VoiceclfError):
        FeatureConfig(groups=("nonsense",))
    with pytest.raises(VoiceclfError):
        preset("fancy")


def test_extract_dataset_caches_and_reports_broken_files(folder_dataset, tmp_path, monkeypatch):
    table = from_folder(folder_dataset)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    table = pd.concat([table, pd.DataFrame([{"path": str(broken), "label": "spoof"}])], ignore_index=True)
    seen = []
    first = extract_dataset(table, cache_dir=tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert len(first) == len(table) - 1
    assert [p for p, _ in first.skipped] == [str(broken)]
    assert "broken.wav" in first.skipped[0][1]
    assert seen[-1] == (len(table), len(table))

    # A warm cache must do no audio work: only the broken file (never cached) reaches a worker.
    reached = []
    monkeypatch.setattr(features, "_extract_or_reason", lambda path, *a: reached.append(path) or (None, "x"))
    second = extract_dataset(table, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)
    assert reached == [str(broken)]


def test_parallel_equals_serial(folder_dataset, tmp_path):
    table = from_folder(folder_dataset).iloc[:12]
    serial = extract_dataset(table, use_cache=False)
    parallel = extract_dataset(table, n_jobs=2, use_cache=False)
    np.testing.assert_allclose(serial.X, parallel.X, rtol=1e-10)


def test_all_broken_is_one_clear_error(tmp_path):
    bad = tmp_path / "a.wav"
    bad.write_text("nope")
    table = pd.DataFrame([{"path": str(bad), "label": "bonafide", "speaker": None, "attack": None, "duration": 1.0}])
    with pytest.raises(DatasetError, match="none of the 1 clips"):
        extract_dataset(table, use_cache=False)


def test_fast_hpss_equals_librosa():
    import librosa
    from scipy.ndimage import median_filter

    rng = np.random.default_rng(0)
    S = np.abs(rng.standard_normal((257, 90))).astype(np.float32)
    np.testing.assert_array_equal(features.running_median(S, 31, axis=-1), median_filter(S, size=(1, 31), mode="reflect"))
    np.testing.assert_array_equal(features.running_median(S, 31, axis=-2), median_filter(S, size=(31, 1), mode="reflect"))
    y = voiced(duration=1.0, sr=22050)
    np.testing.assert_allclose(features.harmonic(y), librosa.effects.harmonic(y), rtol=1e-6, atol=1e-7)


def test_extract_refuses_malformed_clips():
    from voiceclf.audio import Clip
    from voiceclf.errors import AudioError

    for samples in (np.zeros((10, 2), np.float32), np.array([], np.float32), np.array([np.nan] * 100, np.float32),
                    np.arange(100)):
        with pytest.raises(AudioError):
            extract(Clip(samples, 16000, "odd", 16000, 1))
