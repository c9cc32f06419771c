"""Loading and validating audio clips.

:func:`load_audio` is the single door through which audio enters voiceclf. It
accepts a path, raw bytes or a file-like object (a Streamlit upload), reads any
format libsndfile knows (WAV in every bit depth, FLAC, OGG, MP3, AIFF, AU, ...)
whatever the file's extension says, mixes to mono, resamples once to the rate
the features need, and returns a :class:`Clip`.

Anything unusable is refused with an :class:`~voiceclf.errors.AudioError` whose
message names the clip and says what is wrong, so a bad upload never ends a
demo with a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
import soundfile as sf

from .errors import AudioError

AudioSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO]


@dataclass(frozen=True)
class AudioLimits:
    """What a clip must satisfy to be accepted.

    The defaults suit spoofing countermeasures: a clip must hold at least a
    few analysis windows of sound, and an upload larger than ``max_bytes`` is
    refused from its size alone, before a byte of it is decoded.
    """

    min_duration: float = 0.1
    max_duration: float = 600.0
    max_bytes: int = 200 * 2**20
    min_rate: int = 1000
    # Peak below -80 dBFS after removing DC: nothing a microphone would call sound.
    silence_peak: float = 1e-4


DEFAULT_LIMITS = AudioLimits()


@dataclass(frozen=True, eq=False)
class Clip:
    """A mono clip ready for feature extraction.

    ``samples`` are float32 in [-1, 1] at ``rate``; ``original_rate`` and
    ``channels`` describe the file as it was before mixing and resampling.
    """

    samples: np.ndarray
    rate: int
    name: str
    original_rate: int
    channels: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.rate)


def _source_name(source, name: str | None) -> str:
    if name:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    return str(getattr(source, "name", None) or "uploaded clip")


def _open(source, name: str, limits: AudioLimits) -> io.BytesIO | str:
    """Return something soundfile can read, after the checks that need no decoding."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            raise AudioError(f"{name}: is a folder, not an audio file")
        if not path.exists():
            raise AudioError(f"{name}: no such file")
        size = path.stat().st_size
        _check_size(size, name, limits)
        return str(path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        size = getattr(source, "size", None)
        if isinstance(size, int):
            _check_size(size, name, limits)
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limits.max_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise AudioError(f"{name}: expected binary audio data, got {type(data).__name__}")
    else:
        raise AudioError(f"{name}: cannot read audio from a {type(source).__name__}")
    _check_size(len(data), name, limits)
    return io.BytesIO(data)


def _check_size(size: int, name: str, limits: AudioLimits) -> None:
    if size == 0:
        raise AudioError(f"{name}: the file is empty (0 bytes)")
    if size > limits.max_bytes:
        raise AudioError(
            f"{name}: the file is {size / 2**20:.1f} MB, over the {limits.max_bytes / 2**20:.0f} MB limit"
        )


def _describe(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    if "Format not recognised" in text or "unknown format" in text.lower():
        return "not an audio file, or a format libsndfile cannot read"
    if "Error opening" in text and ":" in text:
        text = text.rsplit(":", 1)[-1].strip()
    if "not a regular file" in text:  # what libsndfile says of an MP3 stream cut short in memory
        text = "the data ends too early"
    return f"damaged or truncated audio file (libsndfile: {text or type(exc).__name__})"


def _looks_like_mp3(handle) -> bool:
    if isinstance(handle, io.BytesIO):
        head = handle.getvalue()[:3]
    else:
        try:
            with open(handle, "rb") as fh:
                head = fh.read(3)
        except OSError:
            return False
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


@contextlib.contextmanager
def _native_stderr_silenced(active: bool):
    """Keep libmpg123's own warnings (printed by C code) off the user's terminal: one line per problem."""
    if not active:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_audio(
    source: AudioSource,
    sr: int | None = 16000,
    *,
    name: str | None = None,
    limits: AudioLimits = DEFAULT_LIMITS,
) -> Clip:
    """Read, validate, mix to mono and resample one clip.

    Parameters
    ----------
    source : path, bytes or binary file-like object
        The clip. The format is detected from the content, not the name.
    sr : int or None, default=16000
        Target sample rate; ``None`` keeps the file's own rate.
    name : str, optional
        How the clip is named in messages (defaults to the file name).
    limits : AudioLimits
        Duration, size and silence limits.

    Returns
    -------
    Clip

    Raises
    ------
    AudioError
        With a message naming the clip and the problem.
    """
    name = _source_name(source, name)
    handle = _open(source, name, limits)
    with _native_stderr_silenced(_looks_like_mp3(handle)):
        return _decode(handle, name, sr, limits)


def _decode(handle, name: str, sr: int | None, limits: AudioLimits) -> Clip:
    try:
        info = sf.info(handle)
    except Exception as exc:  # libsndfile raises several types for bad data
        raise AudioError(f"{name}: {_describe(exc)}") from None
    if info.samplerate < limits.min_rate:
        raise AudioError(
            f"{name}: sample rate {info.samplerate} Hz is too low for speech (minimum {limits.min_rate} Hz)"
        )
    if info.frames <= 0:
        raise AudioError(f"{name}: the file holds no audio samples")
    if info.frames / info.samplerate > limits.max_duration:
        raise AudioError(
            f"{name}: {info.frames / info.samplerate:.1f} s long, over the {limits.max_duration:g} s limit"
        )
    if isinstance(handle, io.BytesIO):
        handle.seek(0)
    try:
        data, rate = sf.read(handle, dtype="float32", always_2d=True)
    except Exception as exc:
        raise AudioError(f"{name}: {_describe(exc)}") from None
    if data.size == 0:
        raise AudioError(f"{name}: the file holds no audio samples")
    if not np.isfinite(data).all():
        raise AudioError(f"{name}: contains NaN or infinite sample values")
    channels = data.shape[1]
    samples = data.mean(axis=1) if channels > 1 else data[:, 0]
    duration = len(samples) / rate
    if duration < limits.min_duration:
        raise AudioError(
            f"{name}: only {duration * 1000:.0f} ms long, shorter than the {limits.min_duration * 1000:.0f} ms minimum"
        )
    if np.max(np.abs(samples - samples.mean())) < limits.silence_peak:
        raise AudioError(f"{name}: the clip is silent (no signal above -80 dBFS)")
    peak = float(np.max(np.abs(samples)))
    if peak > 1.0:  # a float file on another scale (e.g. +-32768): keep its shape, bring it to [-1, 1]
        samples = samples / peak
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    target = rate if sr is None else int(sr)
    if target != rate:
        samples = resample(samples, rate, target)
    return Clip(samples=samples, rate=target, name=name, original_rate=int(rate), channels=int(channels))


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with soxr (high quality), as librosa does by default."""
    import librosa

    out = librosa.resample(samples, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    return np.ascontiguousarray(out, dtype=np.float32)


def write_audio(path: str | os.PathLike, samples: np.ndarray, rate: int) -> Path:
    """Write a mono clip; the format follows the extension (``.flac``, ``.wav``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak > 1.0:  # keep integer formats from wrapping around
        samples = samples / peak
    subtype = "PCM_16" if path.suffix.lower() in {".flac", ".wav"} else None
    sf.write(str(path), np.asarray(samples, dtype=np.float32), int(rate), subtype=subtype)
    return path
