"""Spoofing attacks made from bona fide speech.

Each attack is a pure function ``(samples, rate, rng, **params) -> samples``
that reproduces the artefacts of a real family of attacks. The output has the
input's rate and length, and the same seed gives the same samples.

========  =================================================================
``GL``    Resynthesis from the STFT magnitude with Griffin-Lim phase: the
          phase artefacts of magnitude-only vocoders.
``MEL``   Mel-spectrogram inversion: a vocoder that loses fine spectral
          detail, as in TTS front ends.
``LPC``   LPC analysis-synthesis with pulse/noise excitation: classic
          parametric (HMM-era) TTS and VC.
``VC``    Voice-conversion proxy: pitch shift plus a spectral-envelope
          (formant) warp.
``RP``    Replay: loudspeaker band-pass with resonances, a room impulse
          response, microphone self-noise, mild clipping.
``CODEC`` Narrow-band telephone channel: 300-3400 Hz, 8 kHz, 8-bit mu-law.
========  =================================================================

:func:`make_spoofs` runs attacks over a dataset table and writes FLAC files;
:func:`spoof_folder` turns a folder of bona fide clips into a complete
folder-per-class dataset with an ASVspoof-format ``protocol.txt``.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import signal

from .audio import load_audio, write_audio
from .errors import AudioError, DatasetError, VoiceclfError


@dataclass(frozen=True)
class Attack:
    """A spoofing attack: its id, what it imitates, and its default parameters."""

    id: str
    description: str
    function: Callable
    params: dict = field(default_factory=dict)

    def __call__(self, samples: np.ndarray, rate: int, rng: np.random.Generator, **params) -> np.ndarray:
        y = np.asarray(samples, dtype=np.float64)
        out = self.function(y, rate, rng, **{**self.params, **params})
        return _fit_length(np.nan_to_num(out), len(y)).astype(np.float32)


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def _stft_sizes(rate: int) -> tuple[int, int]:
    n_fft = 1 << int(np.round(np.log2(0.032 * rate)))  # about 32 ms
    return n_fft, n_fft // 4


# --------------------------------------------------------------------------- attacks

def griffin_lim(y, rate, rng, n_iter: int = 16):
    """Keep the STFT magnitude, throw the phase away, estimate a new one by Griffin-Lim."""
    import librosa

    n_fft, hop = _stft_sizes(rate)
    magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop))
    return librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=hop, n_fft=n_fft, length=len(y),
                              init="random", random_state=rng)


def mel_inversion(y, rate, rng, n_mels: int = 80, n_iter: int = 16):
    """Mel power spectrogram -> pseudo-inverse linear spectrogram -> Griffin-Lim.

    The pseudo-inverse (clipped at zero) spreads each mel band's energy
    smoothly over its bins, so harmonics wider apart than a band survive and
    those closer together are smeared, as in a mel vocoder.
    """
    import librosa

    n_fft, hop = _stft_sizes(rate)
    basis = librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=n_mels)
    power = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)) ** 2
    magnitude = np.sqrt(np.maximum(np.linalg.pinv(basis) @ (basis @ power), 0.0))
    return librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=hop, n_fft=n_fft, length=len(y),
                              init="random", random_state=rng)


def _f0_track(y, rate, frame, hop, fmin=60.0, fmax=400.0):
    """Per-frame F0 and a voicing decision from the normalised autocorrelation peak."""
    import librosa

    frames = librosa.util.frame(np.pad(y, (frame // 2, frame // 2)), frame_length=frame, hop_length=hop)
    frames = frames - frames.mean(axis=0)
    spectrum = np.fft.rfft(frames, n=2 * frame, axis=0)
    ac = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[:frame]
    lo, hi = int(rate / fmax), min(int(rate / fmin), frame - 1)
    peak_lag = lo + np.argmax(ac[lo:hi], axis=0)
    strength = ac[peak_lag, np.arange(ac.shape[1])] / np.maximum(ac[0], 1e-12)
    energy = np.sqrt(np.mean(frames**2, axis=0))
    voiced = (strength > 0.35) & (energy > 0.02 * energy.max())
    return rate / peak_lag, voiced


def lpc_vocoder(y, rate, rng, order: int | None = None, frame_s: float = 0.025):
    """Frame-wise LPC analysis; resynthesis from a pulse train (voiced) or noise (unvoiced)."""
    import librosa

    order = order or int(2 + rate / 1000)
    frame = int(frame_s * rate)
    hop = frame // 2
    f0, voiced = _f0_track(y, rate, frame, hop)
    window = np.hanning(frame + 1)[:-1]  # periodic Hann: overlap-add at 50 % sums to one
    padded = np.pad(y, (frame // 2, frame // 2 + frame))
    out = np.zeros_like(padded)
    phase = 0.0
    for i in range(len(f0)):
        start = i * hop
        segment = padded[start:start + frame] * window
        if not np.any(segment):
            continue
        try:
            a = librosa.lpc(segment + 1e-9 * rng.standard_normal(frame), order=order)
        except (FloatingPointError, ValueError, np.linalg.LinAlgError):
            continue
        if not np.all(np.isfinite(a)):
            continue
        gain = np.sqrt(np.mean(signal.lfilter(a, [1.0], segment) ** 2))
        if voiced[i]:
            period = rate / f0[i]
            positions = np.arange(frame) + phase
            excitation = (np.floor(positions / period) != np.floor((positions - 1) / period)).astype(float)
            phase = (phase + hop) % period
        else:
            excitation = rng.standard_normal(frame)
        excitation *= gain / max(np.sqrt(np.mean(excitation**2)), 1e-12)
        synth = signal.lfilter([1.0], a, excitation)
        if not np.all(np.isfinite(synth)) or np.max(np.abs(synth)) > 100:
            continue  # an unstable frame filter: drop the frame rather than the clip
        out[start:start + frame] += synth * window
    out = out[frame // 2:frame // 2 + len(y)]
    return out / max(np.max(np.abs(out)), 1e-9) * np.max(np.abs(y))


def _envelope(log_magnitude: np.ndarray, n_keep: int) -> np.ndarray:
    """Cepstrally smoothed log spectral envelope, per frame (columns)."""
    cepstrum = np.fft.irfft(log_magnitude, axis=0)
    cepstrum[n_keep:-n_keep] = 0.0
    return np.fft.rfft(cepstrum, axis=0).real


def voice_conversion(y, rate, rng, pitch_ratio: float | None = None, formant_ratio: float | None = None):
    """Move F0 by ``pitch_ratio`` and the formants by ``formant_ratio`` (drawn when not given)."""
    import librosa

    if pitch_ratio is None:
        pitch_ratio = float(rng.choice([-1, 1]) * rng.uniform(0.12, 0.3))
        pitch_ratio = 1.0 + pitch_ratio
    if formant_ratio is None:
        formant_ratio = float(np.sqrt(pitch_ratio) * rng.uniform(0.97, 1.03))
    n_fft, hop = _stft_sizes(rate)
    shifted = librosa.effects.pitch_shift(y, sr=rate, n_steps=12 * np.log2(pitch_ratio), n_fft=n_fft,
                                          hop_length=hop, res_type="soxr_hq")
    # pitch_shift moved the whole spectrum, formants included, by pitch_ratio; warp the envelope
    # so that they end up moved by formant_ratio instead.
    stft = librosa.stft(shifted, n_fft=n_fft, hop_length=hop)
    log_mag = np.log(np.abs(stft) + 1e-9)
    envelope = _envelope(log_mag, n_keep=int(0.0015 * rate) + 2)
    bins = np.arange(stft.shape[0], dtype=float)
    source = np.clip(bins * pitch_ratio / formant_ratio, 0, bins[-1])
    target = np.stack([np.interp(source, bins, envelope[:, j]) for j in range(envelope.shape[1])], axis=1)
    warped = stft * np.exp(np.clip(target - envelope, -6, 6))
    return librosa.istft(warped, hop_length=hop, n_fft=n_fft, length=len(y))


def _peaking(f0, gain_db, q, rate):
    """RBJ peaking-EQ biquad."""
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / rate
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * a_gain, -2 * np.cos(w0), 1 - alpha * a_gain]
    a = [1 + alpha / a_gain, -2 * np.cos(w0), 1 - alpha / a_gain]
    return np.array(b) / a[0], np.array(a) / a[0]


def room_impulse_response(rate, rng, rt60: float = 0.4) -> np.ndarray:
    """Direct path plus exponentially decaying diffuse noise (-60 dB at ``rt60``)."""
    t = np.arange(int(rt60 * rate)) / rate
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    tail[: int(0.003 * rate)] = 0.0  # first reflections arrive a few ms after the direct sound
    rir = 0.5 * tail / np.sqrt(np.sum(tail**2))
    rir[0] = 1.0
    return rir


def replay(y, rate, rng, low_cut: float = 180.0, high_cut: float = 7000.0, rt60: float | None = None,
           noise_db: float = -50.0, drive: float = 2.0):
    """Play the clip through a small loudspeaker into a room and record it again."""
    high_cut = min(high_cut, 0.45 * rate)
    sos = signal.butter(4, [low_cut, high_cut], btype="bandpass", fs=rate, output="sos")
    out = signal.sosfilt(sos, y)
    for _ in range(2):  # cabinet and driver resonances
        b, a = _peaking(rng.uniform(600, min(3500, 0.4 * rate)), rng.uniform(4, 8), rng.uniform(1.5, 4), rate)
        out = signal.lfilter(b, a, out)
    rt60 = rt60 if rt60 is not None else float(rng.uniform(0.3, 0.6))
    out = signal.fftconvolve(out, room_impulse_response(rate, rng, rt60))[: len(y)]
    out = 0.9 * out / max(np.max(np.abs(out)), 1e-9)
    out = np.tanh(drive * out) / np.tanh(drive)
    return out + 10 ** (noise_db / 20) * rng.standard_normal(len(out))


def telephone_codec(y, rate, rng, mu: int = 255):
    """300-3400 Hz, down to 8 kHz, 8-bit mu-law, back to the clip's rate."""
    from .audio import resample

    sos = signal.butter(6, [300, min(3400, 0.45 * rate)], btype="bandpass", fs=rate, output="sos")
    narrow = resample(signal.sosfilt(sos, y).astype(np.float32), rate, 8000).astype(np.float64)
    narrow = np.clip(narrow / max(np.max(np.abs(narrow)), 1e-9), -1, 1)
    companded = np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / np.log1p(mu)
    quantised = np.round(companded * 127) / 127
    expanded = np.sign(quantised) * ((1 + mu) ** np.abs(quantised) - 1) / mu
    expanded += 1e-4 * rng.standard_normal(len(expanded))
    return resample(expanded.astype(np.float32), 8000, rate) * np.max(np.abs(y))


ATTACKS: dict[str, Attack] = {
    a.id: a
    for a in (
        Attack("GL", "Griffin-Lim phase from the STFT magnitude (magnitude-only vocoder)", griffin_lim,
               {"n_iter": 16}),
        Attack("MEL", "Mel-spectrogram inversion (TTS vocoder front end, fine detail lost)", mel_inversion,
               {"n_mels": 80, "n_iter": 16}),
        Attack("LPC", "LPC analysis-synthesis with pulse/noise excitation (parametric TTS/VC)", lpc_vocoder, {}),
        Attack("VC", "Voice conversion proxy: pitch shift and formant warp", voice_conversion, {}),
        Attack("RP", "Replay: loudspeaker, room reverberation, microphone noise, mild clipping", replay, {}),
        Attack("CODEC", "Telephone channel: 300-3400 Hz band, 8 kHz, 8-bit mu-law", telephone_codec, {}),
    )
}
DEFAULT_ATTACKS = ("GL", "MEL", "LPC", "VC", "RP")


def get_attack(attack_id: str) -> Attack:
    try:
        return ATTACKS[attack_id.upper()]
    except KeyError:
        raise VoiceclfError(f"unknown attack {attack_id!r}; choose from {', '.join(ATTACKS)}") from None


def warm_up(rate: int = 16000) -> None:
    """Compile the numba code the attacks use (LPC, pitch shift) now, in this process."""
    t = np.arange(int(0.3 * rate)) / rate
    y = (0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    for attack in ATTACKS.values():
        attack(y, rate, np.random.default_rng(0))


def clip_rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator that depends on the seed and the clip, never on processing order."""
    digest = hashlib.sha256("\0".join((str(seed), *keys)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# --------------------------------------------------------------------------- datasets

def _unique_stems(paths: list[Path]) -> list[str]:
    stems, seen = [], {}
    for path in paths:
        stem = path.stem.replace(" ", "_")
        if stem in seen:
            seen[stem] += 1
            stem = f"{path.parent.name}_{stem}_{seen[stem]}"
        else:
            seen[stem] = 0
        stems.append(stem)
    return stems


def _spoof_one(path: str, stem: str, attack_ids, out_dir: str, seed: int):
    """Spoof one source clip with every attack; return rows and a reason if it failed."""
    try:
        clip = load_audio(path, sr=None)
    except AudioError as exc:
        return [], str(exc)
    rows = []
    for attack_id in attack_ids:
        attack = get_attack(attack_id)
        samples = attack(clip.samples, clip.rate, clip_rng(seed, stem, attack.id))
        target = Path(out_dir) / f"{stem}_{attack.id}.flac"
        write_audio(target, samples, clip.rate)
        rows.append((str(target), attack.id, len(samples) / clip.rate))
    return rows, None


def make_spoofs(dataset: pd.DataFrame, attacks=DEFAULT_ATTACKS, out_dir=None, *, seed: int = 0,
                n_jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Spoof every bona fide clip of ``dataset`` with each attack.

    FLAC files ``{stem}_{ATTACK}.flac`` are written to ``out_dir``. Returns a
    dataset table of the spoofs: ``attack`` filled in, and each spoof keeps
    its source clip's speaker, so speaker-disjoint splits stay honest. A clip
    that cannot be loaded is skipped; ``table.attrs["skipped"]`` lists it.
    """
    from .datasets import _table

    attack_ids = [get_attack(a).id for a in attacks]
    if not attack_ids:
        raise VoiceclfError("choose at least one attack")
    if out_dir is None:
        raise VoiceclfError("make_spoofs needs an output folder")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bona = dataset[dataset["label"] == "bonafide"].reset_index(drop=True)
    if bona.empty or bona["path"].isna().all():
        raise DatasetError("no bona fide audio clips to make spoofs from")
    stems = _unique_stems([Path(p) for p in bona["path"]])
    jobs = [(str(p), s) for p, s in zip(bona["path"], stems)]
    from .features import POOL_LOCK

    rows, skipped = [], []
    with POOL_LOCK:
        if n_jobs == 1:
            results = (_spoof_one(p, s, attack_ids, str(out_dir), seed) for p, s in jobs)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_spoof_one)(p, s, attack_ids, str(out_dir), seed) for p, s in jobs)
        for i, (made, reason) in enumerate(results):
            if reason:
                skipped.append((jobs[i][0], reason))
            for target, attack_id, duration in made:
                rows.append({"path": target, "label": "spoof", "speaker": bona["speaker"].iloc[i],
                             "attack": attack_id, "duration": duration})
            if progress:
                progress(i + 1, len(jobs))
    table = _table(rows)
    table.attrs["skipped"] = skipped
    return table


def write_protocol(table: pd.DataFrame, path) -> Path:
    """An ASVspoof 2019-style protocol: ``SPEAKER UTT - ATTACK KEY`` per clip."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as fh:
        for row in table.itertuples():
            speaker = row.speaker if isinstance(row.speaker, str) and row.speaker else "-"
            attack = row.attack if isinstance(row.attack, str) and row.attack else "-"
            fh.write(f"{speaker} {Path(row.path).stem} - {attack} {row.label}\n")
    return path


def spoof_folder(bonafide_dir, out, *, attacks=DEFAULT_ATTACKS, seed: int = 0, speaker_pattern: str | None = None,
                 n_jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> Path:
    """Turn a folder of bona fide clips into a folder-per-class spoofing dataset.

    ``out/bonafide/`` receives copies of the inputs, ``out/spoof/`` the
    generated clips, and ``out/protocol.txt`` lists every clip with its
    speaker and attack in ASVspoof format, so ``voiceclf train out`` reads
    speakers and attacks back. Speakers come from ``speaker_pattern`` (see
    :func:`voiceclf.datasets.from_folder`), else from the sub-folder a clip
    sits in, if any.
    """
    from .datasets import from_bonafide_folder

    out = Path(out)
    sources = from_bonafide_folder(bonafide_dir, speaker_pattern=speaker_pattern)
    bona = sources.copy()
    for i, (path, stem) in enumerate(zip(sources["path"], _unique_stems([Path(p) for p in sources["path"]]))):
        target = out / "bonafide" / f"{stem}{Path(path).suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        bona.loc[i, "path"] = str(target)
    spoofs = make_spoofs(bona, attacks, out / "spoof", seed=seed, n_jobs=n_jobs, progress=progress)
    bad = {p for p, _ in spoofs.attrs.get("skipped", [])}
    bona = bona[~bona["path"].isin(bad)]
    for path in bad:
        Path(path).unlink(missing_ok=True)
    write_protocol(pd.concat([bona, spoofs], ignore_index=True), out / "protocol.txt")
    return out
