"""The embedded demo corpus: synthetic source voices, real spoofing pipelines.

``make run`` on a fresh machine with no network must open the app on a
dataset it can train on at once, and no real spoof corpus can ship inside
the project. So the demo corpus is *made*: speech-like utterances from a
source-filter synthesiser — a jittered, shimmering glottal pulse train with a
natural F0 contour, time-varying formants for vowel/consonant sequences,
aspiration and frication noise, a small room — spoken by several distinct
synthetic speakers. The spoofing attacks of :mod:`voiceclf.spoof` then turn
those same utterances into the spoof side, so a classifier has to learn the
attacks' artefacts, not "which synthesiser".

It is for trying the app, not a measure of real-world accuracy: see
:data:`NOTE`. Real recordings go through the same attacks with
``voiceclf spoof`` (or "Generate spoofs" in the app).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import signal

from .audio import write_audio
from .errors import VoiceclfError
from .features import POOL_LOCK
from .spoof import DEFAULT_ATTACKS, clip_rng, get_attack, write_protocol

NOTE = ("Demo corpus — synthetic source voices, real spoofing pipelines. "
        "For trying the app; not a measure of real-world accuracy.")
DEMO_VERSION = 1
RATE = 16000

# Formant targets (Hz) of American English vowels (Peterson & Barney, adult male).
VOWELS = {
    "i": (270, 2290, 3010), "e": (530, 1840, 2480), "ae": (660, 1720, 2410), "a": (730, 1090, 2440),
    "o": (570, 840, 2410), "u": (300, 870, 2240), "er": (490, 1350, 1690), "uh": (520, 1190, 2390),
}
# Consonants: kind, formant targets (for the voiced murmur / transitions), noise band.
CONSONANTS = {
    "s": ("fricative", (400, 1700, 2600), (4000, 7500)),
    "sh": ("fricative", (400, 1800, 2500), (2000, 6000)),
    "f": ("fricative", (400, 1100, 2300), (1200, 7500)),
    "h": ("aspirate", None, (500, 4000)),
    "p": ("stop", (400, 900, 2300), (500, 3000)),
    "t": ("stop", (400, 1700, 2600), (2500, 7000)),
    "k": ("stop", (400, 1900, 2400), (1500, 4000)),
    "m": ("nasal", (250, 1000, 2200), None),
    "n": ("nasal", (250, 1600, 2500), None),
    "l": ("liquid", (360, 1100, 2700), None),
    "r": ("liquid", (420, 1300, 1600), None),
    "w": ("liquid", (300, 700, 2200), None),
}


@dataclass(frozen=True)
class SyntheticSpeaker:
    """A voice: pitch, vocal-tract length (formant scale), tempo and voice quality."""

    id: str
    f0: float
    formant_scale: float
    tempo: float
    jitter: float
    shimmer: float
    breathiness: float


def make_speakers(n: int, seed: int = 0) -> list[SyntheticSpeaker]:
    """``n`` distinct voices, alternating lower and higher registers."""
    rng = np.random.default_rng(seed)
    speakers = []
    for i in range(n):
        high = i % 2 == 1
        speakers.append(SyntheticSpeaker(
            id=f"demo{i + 1:02d}",
            f0=float(rng.uniform(175, 240) if high else rng.uniform(90, 140)),
            formant_scale=float(rng.uniform(1.1, 1.22) if high else rng.uniform(0.92, 1.04)),
            tempo=float(rng.uniform(0.8, 1.25)),
            jitter=float(rng.uniform(0.004, 0.015)),
            shimmer=float(rng.uniform(0.02, 0.08)),
            breathiness=float(rng.uniform(0.02, 0.12)),
        ))
    return speakers


def _phone_sequence(rng, n_syllables: int) -> list[tuple[str, bool]]:
    """Syllables (C)V(C): a list of (phone, is_vowel)."""
    vowels, consonants = list(VOWELS), list(CONSONANTS)
    phones = []
    for _ in range(n_syllables):
        if rng.random() < 0.8:
            phones.append((consonants[rng.integers(len(consonants))], False))
        phones.append((vowels[rng.integers(len(vowels))], True))
        if rng.random() < 0.3:
            phones.append((consonants[rng.integers(len(consonants))], False))
    return phones


def _rosenberg_pulse(n: int, open_quotient: float = 0.6, skew: float = 0.7) -> np.ndarray:
    """One glottal flow pulse over ``n`` samples (Rosenberg model)."""
    n_open = max(2, int(open_quotient * n))
    n_rise = max(1, int(skew * n_open))
    pulse = np.zeros(n)
    t = np.arange(n_rise)
    pulse[:n_rise] = 0.5 * (1 - np.cos(np.pi * t / n_rise))
    t = np.arange(n_open - n_rise)
    pulse[n_rise:n_open] = np.cos(0.5 * np.pi * t / max(1, n_open - n_rise))
    return pulse


def _glottal_source(f0: np.ndarray, speaker: SyntheticSpeaker, rng) -> np.ndarray:
    """Glottal flow derivative following the per-sample F0 track, with jitter and shimmer."""
    n = len(f0)
    out = np.zeros(n + RATE // 40)
    position = 0
    while position < n:
        period = int(RATE / (f0[position] * (1 + speaker.jitter * rng.standard_normal())))
        period = int(np.clip(period, RATE // 500, RATE // 50))
        amplitude = 1 + speaker.shimmer * rng.standard_normal()
        out[position:position + period] += amplitude * _rosenberg_pulse(period)
        position += period
    return np.diff(out[: n + 1])


def _resonator(freq: float, bandwidth: float):
    r = np.exp(-np.pi * bandwidth / RATE)
    theta = 2 * np.pi * freq / RATE
    a = np.array([1.0, -2 * r * np.cos(theta), r * r])
    return np.array([a.sum()]), a  # unity gain at DC


def _formant_filter(x: np.ndarray, tracks: np.ndarray, bandwidths, block: int) -> np.ndarray:
    """Cascade of second-order resonators whose frequencies follow ``tracks`` (formants x blocks)."""
    y = x.copy()
    for k in range(tracks.shape[0]):
        state = np.zeros(2)
        out = np.empty_like(y)
        for j in range(tracks.shape[1]):
            segment = slice(j * block, min(len(y), (j + 1) * block))
            if segment.start >= len(y):
                break
            b, a = _resonator(min(tracks[k, j], 0.45 * RATE), bandwidths[k])
            out[segment], state = signal.lfilter(b, a, y[segment], zi=state)
        y = out
    return y


def synthesise_utterance(speaker: SyntheticSpeaker, rng: np.random.Generator) -> np.ndarray:
    """One speech-like utterance of 4-7 syllables, about 1-2 s, at 16 kHz."""
    phones = _phone_sequence(rng, int(rng.integers(4, 8)))
    block = RATE // 100  # formants move every 10 ms
    lead, tail = int(rng.uniform(0.05, 0.15) * RATE), int(rng.uniform(0.08, 0.2) * RATE)
    durations = []
    for phone, is_vowel in phones:
        base = rng.uniform(0.09, 0.18) if is_vowel else rng.uniform(0.05, 0.1)
        durations.append(int(base / speaker.tempo * RATE))
    n = lead + sum(durations) + tail
    n_blocks = n // block + 1
    voicing = np.zeros(n_blocks)
    frication = np.zeros(n_blocks)
    formants = np.zeros((4, n_blocks))
    noise_bands = []
    cursor = lead
    previous = VOWELS["uh"]
    for (phone, is_vowel), length in zip(phones, durations):
        b0, b1 = cursor // block, (cursor + length) // block + 1
        if is_vowel:
            target, kind, band = VOWELS[phone], "vowel", None
        else:
            kind, target, band = CONSONANTS[phone]
            target = target or previous
        # glide from the previous target over the first third of the phone
        glide = np.clip(np.linspace(0, 3, b1 - b0), 0, 1)
        for k in range(3):
            formants[k, b0:b1] = speaker.formant_scale * (previous[k] + (target[k] - previous[k]) * glide)
        formants[3, b0:b1] = speaker.formant_scale * 3500
        voicing[b0:b1] = {"vowel": 1.0, "nasal": 0.5, "liquid": 0.7, "fricative": 0.15 if phone != "s" else 0.0,
                          "stop": 0.0, "aspirate": 0.0}[kind]
        if kind in ("fricative", "aspirate", "stop"):
            level = {"fricative": 0.25, "aspirate": 0.12, "stop": 0.0}[kind]
            frication[b0:b1] = level
            if kind == "stop":  # closure, then a short burst
                burst = max(b0 + 1, b1 - max(2, (b1 - b0) // 4))
                frication[burst:b1] = 0.5
            noise_bands.append((b0 * block, b1 * block, band))
        previous = target
        cursor += length
    formants[:, :lead // block] = formants[:, [lead // block]]
    formants[:, cursor // block:] = formants[:, [min(cursor // block, n_blocks - 1) - 1]]
    smooth = np.hanning(7) / np.hanning(7).sum()
    voicing = np.convolve(voicing, smooth, mode="same")
    frication = np.convolve(frication, smooth, mode="same")

    # F0: declination over the utterance plus a pitch accent or two, per sample.
    t = np.arange(n) / n
    accents = sum(rng.uniform(0.05, 0.15) * np.exp(-0.5 * ((t - c) / 0.08) ** 2) for c in rng.uniform(0.15, 0.7, 2))
    f0 = speaker.f0 * (1.08 - 0.2 * t + accents) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t * n / RATE))
    source = _glottal_source(f0, speaker, rng)
    source /= np.max(np.abs(source)) + 1e-9
    aspiration = speaker.breathiness * rng.standard_normal(n) * (np.abs(source) > 0.05)
    per_sample = lambda blocks: np.repeat(blocks, block)[:n]
    excitation = (source + aspiration) * per_sample(voicing)
    bandwidths = (60 + 20 * speaker.breathiness * 10, 90, 120, 180)
    voiced_part = _formant_filter(excitation, formants, bandwidths, block)

    noise = np.zeros(n)
    for start, stop, band in noise_bands:
        start, stop = max(0, start), min(n, stop)
        if stop - start < 16:
            continue
        sos = signal.butter(4, [band[0], min(band[1], 0.45 * RATE)], btype="bandpass", fs=RATE, output="sos")
        noise[start:stop] += signal.sosfilt(sos, rng.standard_normal(stop - start))
    fricative_part = noise * per_sample(frication)

    speech = np.diff(voiced_part, prepend=0.0) * 8 + fricative_part  # lip radiation on the voiced part
    room = _small_room(rng)
    speech = signal.fftconvolve(speech, room)[:n]
    speech += 10 ** (-60 / 20) * rng.standard_normal(n) * np.max(np.abs(speech))
    return (0.5 * rng.uniform(0.6, 1.0) * speech / (np.max(np.abs(speech)) + 1e-9)).astype(np.float32)


def _small_room(rng) -> np.ndarray:
    rt60 = rng.uniform(0.12, 0.25)
    t = np.arange(int(rt60 * RATE)) / RATE
    rir = 0.25 * rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60) / np.sqrt(len(t) / 10)
    rir[: int(0.002 * RATE)] = 0
    rir[0] = 1.0
    return rir


def _utterance_job(speaker: SyntheticSpeaker, index: int, attack_id: str, folder: str, seed: int):
    """One utterance, written once as bona fide and once spoofed by ``attack_id``."""
    stem = f"{speaker.id}_{index:03d}"
    y = synthesise_utterance(speaker, clip_rng(seed, "demo", stem))
    duration = len(y) / RATE
    attack = get_attack(attack_id)
    spoofed = attack(y, RATE, clip_rng(seed, stem, attack.id))
    return [
        {"path": str(write_audio(Path(folder) / "bonafide" / f"{stem}.flac", y, RATE)),
         "label": "bonafide", "speaker": speaker.id, "attack": None, "duration": duration},
        {"path": str(write_audio(Path(folder) / "spoof" / f"{stem}_{attack.id}.flac", spoofed, RATE)),
         "label": "spoof", "speaker": speaker.id, "attack": attack.id, "duration": duration},
    ]


def default_root() -> Path:
    from .features import default_cache_dir

    return default_cache_dir() / "demo"


def build(out_dir=None, n_speakers: int = 6, clips_per_speaker: int = 40, attacks=DEFAULT_ATTACKS, seed: int = 0,
          *, n_jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Build the demo corpus (or return it at once when already built with these settings).

    Balanced by design: each utterance is written once as bona fide and once
    spoofed, the attacks taking turns, so every speaker has as many bona fide
    as spoofed clips and every attack covers every speaker equally (with the
    defaults: 6 speakers x 40 utterances -> 240 bona fide, 240 spoofed, 48 per
    attack). The corpus is a folder-per-class dataset — ``bonafide/``, ``spoof/`` and
    an ASVspoof-format ``protocol.txt`` with speakers and attacks — readable
    by :func:`voiceclf.datasets.from_folder`. It is written to a temporary
    folder first and moved into place whole, so a half-built corpus is never
    read. Without ``out_dir`` it lives in the cache, one folder per setting.

    Returns
    -------
    Path of the corpus folder.
    """
    attacks = tuple(get_attack(a).id for a in attacks)
    if n_speakers < 2 or clips_per_speaker < 2:
        raise VoiceclfError("the demo corpus needs at least 2 speakers and 2 clips per speaker")
    settings = {"version": DEMO_VERSION, "speakers": n_speakers, "clips": clips_per_speaker,
                "attacks": list(attacks), "seed": seed}
    if out_dir is None:
        tag = f"s{n_speakers}-c{clips_per_speaker}-{'-'.join(attacks)}-seed{seed}-v{DEMO_VERSION}"
        out_dir = default_root() / tag
    out_dir = Path(out_dir)
    marker = out_dir / "demo.json"
    if marker.exists():
        try:
            if json.loads(marker.read_text()) == settings:
                return out_dir
        except (OSError, ValueError):
            pass
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir.parent))
    try:
        jobs = [(speaker, i, attacks[(i + k) % len(attacks)])
                for k, speaker in enumerate(make_speakers(n_speakers, seed)) for i in range(clips_per_speaker)]
        n_jobs = n_jobs or min(2, os.cpu_count() or 1)
        rows = []
        with POOL_LOCK:
            if n_jobs == 1:
                results = (_utterance_job(s, i, a, str(staging), seed) for s, i, a in jobs)
            else:
                from joblib import Parallel, delayed

                results = Parallel(n_jobs=n_jobs, return_as="generator", batch_size=4)(
                    delayed(_utterance_job)(s, i, a, str(staging), seed) for s, i, a in jobs)
            for done, made in enumerate(results, 1):
                rows.extend(made)
                if progress:
                    progress(done, len(jobs))
        table = pd.DataFrame(rows)
        table["path"] = [str(Path(p).relative_to(staging)) for p in table["path"]]
        write_protocol(table, staging / "protocol.txt")
        (staging / "README.txt").write_text(NOTE + "\n")
        (staging / "demo.json").write_text(json.dumps(settings))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def load(**kwargs) -> pd.DataFrame:
    """Build (if needed) and read the demo corpus as a dataset table."""
    from .datasets import from_folder

    return from_folder(build(**kwargs))
