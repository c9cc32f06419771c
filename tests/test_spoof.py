import numpy as np
import pytest
import soundfile as sf

from conftest import tone, voiced, write
from voiceclf import datasets, spoof
from voiceclf.errors import VoiceclfError

SR = 16000


def harmonic(f0=150.0, duration=1.0, sr=SR, n=40):
    t = np.arange(int(duration * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k ** 0.5 for k in range(1, n + 1) if k * f0 < sr / 2)
    return (0.4 * y / np.max(np.abs(y))).astype(np.float32)


def median_f0(y, sr=SR):
    import librosa

    return float(np.median(librosa.yin(y, fmin=60, fmax=500, sr=sr)))


@pytest.mark.parametrize("attack_id", list(spoof.ATTACKS))
def test_attacks_keep_length_and_are_deterministic(attack_id):
    attack = spoof.ATTACKS[attack_id]
    y = voiced(duration=0.7)
    a = attack(y, SR, np.random.default_rng(1))
    b = attack(y, SR, np.random.default_rng(1))
    assert a.shape == y.shape and a.dtype == np.float32 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, y, atol=1e-3)
    assert attack.description and attack.id == attack_id


def test_gl_keeps_the_magnitude_but_not_the_waveform():
    import librosa

    y = voiced(duration=1.0)
    out = spoof.ATTACKS["GL"](y, SR, np.random.default_rng(0))
    mag_in = np.abs(librosa.stft(y, n_fft=512, hop_length=128))
    mag_out = np.abs(librosa.stft(out, n_fft=512, hop_length=128))
    assert np.linalg.norm(mag_out - mag_in) / np.linalg.norm(mag_in) < 0.35
    assert abs(np.corrcoef(out, y)[0, 1]) < 0.5


def test_mel_flattens_fine_harmonic_structure():
    import librosa

    y = harmonic(f0=150)
    out = spoof.ATTACKS["MEL"](y, SR, np.random.default_rng(0))

    def peak_to_valley_db(x):
        spectrum = np.abs(librosa.stft(x, n_fft=2048)).mean(axis=1)
        freqs = librosa.fft_frequencies(sr=SR, n_fft=2048)
        peaks = [spectrum[np.argmin(np.abs(freqs - k * 150))] for k in range(20, 40)]
        valleys = [spectrum[np.argmin(np.abs(freqs - (k + 0.5) * 150))] for k in range(20, 40)]
        return 20 * np.log10(np.mean(peaks) / np.mean(valleys))

    assert peak_to_valley_db(y) > 20
    assert peak_to_valley_db(out) < peak_to_valley_db(y) - 10


def test_vc_moves_f0_by_the_set_ratio():
    y = harmonic(f0=140, n=20)
    for ratio in (0.8, 1.25):
        out = spoof.ATTACKS["VC"](y, SR, np.random.default_rng(0), pitch_ratio=ratio, formant_ratio=1.0)
        assert median_f0(out) / median_f0(y) == pytest.approx(ratio, rel=0.03)


def test_lpc_keeps_pitch_and_spectral_envelope():
    y = voiced(duration=1.0, f0=130)
    out = spoof.ATTACKS["LPC"](y, SR, np.random.default_rng(0))
    assert median_f0(out) == pytest.approx(median_f0(y), rel=0.08)


def test_replay_removes_lows_and_adds_a_reverberant_tail():
    rng = np.random.default_rng(0)
    lows = (tone(80, 1.0) + tone(1000, 1.0)).astype(np.float32)
    out = spoof.ATTACKS["RP"](lows, SR, rng)

    def band_share(x, lo, hi):
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / SR)
        return spectrum[(freqs >= lo) & (freqs < hi)].sum() / spectrum.sum()

    assert band_share(out, 0, 150) < 0.2 * band_share(lows, 0, 150)
    click = np.zeros(SR, np.float32)
    click[1000:1040] = 0.8
    tail = spoof.ATTACKS["RP"](click, SR, np.random.default_rng(0), noise_db=-90)
    late = slice(1000 + int(0.1 * SR), 1000 + int(0.3 * SR))
    assert np.sqrt(np.mean(tail[late] ** 2)) > 100 * max(np.sqrt(np.mean(click[late] ** 2)), 1e-6)


def test_codec_is_narrow_band():
    out = spoof.ATTACKS["CODEC"](voiced(duration=1.0), SR, np.random.default_rng(0))
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / SR)
    assert spectrum[freqs > 4200].sum() / spectrum.sum() < 1e-3


def test_unknown_attack():
    with pytest.raises(VoiceclfError, match="unknown attack"):
        spoof.get_attack("DEEPFAKE9000")


def test_spoof_folder_makes_a_dataset_with_speakers_and_attacks(tmp_path):
    source = tmp_path / "mine"
    for speaker in ("ann", "bob"):
        for i in range(2):
            write(source / f"{speaker}_{i}.wav", voiced(seed=i, f0=120 if speaker == "bob" else 200, duration=0.6))
    (source / "broken.wav").write_text("not audio")
    out = spoof.spoof_folder(source, tmp_path / "out", attacks=["GL", "RP"], seed=0, speaker_pattern="{speaker}_")
    table = datasets.from_folder(out)
    assert (table["label"] == "bonafide").sum() == 4 and (table["label"] == "spoof").sum() == 8
    spoofs = table[table["label"] == "spoof"]
    assert sorted(spoofs["attack"].unique()) == ["GL", "RP"]
    assert set(spoofs["speaker"]) == {"ann", "bob"} and table["speaker"].notna().all()
    info = sf.info(spoofs["path"].iloc[0])
    assert info.format == "FLAC" and info.samplerate == SR
    again = spoof.spoof_folder(source, tmp_path / "again", attacks=["GL", "RP"], seed=0, speaker_pattern="{speaker}_")
    first = sorted((out / "spoof").glob("*.flac"))[0]
    assert sf.read(first)[0].tolist() == sf.read(again / "spoof" / first.name)[0].tolist()
