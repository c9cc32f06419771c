import io

import numpy as np
import pytest
import soundfile as sf

from conftest import voiced, write
from voiceclf.audio import AudioLimits, load_audio, write_audio
from voiceclf.errors import AudioError, VoiceclfError


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_bit_depths_load_to_float_mono(tmp_path, subtype):
    y = voiced(sr=16000)
    path = write(tmp_path / f"{subtype}.wav", y, 16000, subtype=subtype)
    clip = load_audio(path)
    assert clip.rate == 16000 and clip.original_rate == 16000 and clip.channels == 1
    assert clip.samples.dtype == np.float32
    tolerance = 0.02 if subtype == "PCM_U8" else 1e-3
    np.testing.assert_allclose(clip.samples, y, atol=tolerance)


@pytest.mark.parametrize("fmt,ext,subtype", [("FLAC", "flac", "PCM_16"), ("OGG", "ogg", "VORBIS"),
                                             ("MP3", "mp3", "MPEG_LAYER_III"), ("AIFF", "wav", "PCM_16")])
def test_compressed_and_other_formats_whatever_the_extension(tmp_path, fmt, ext, subtype):
    y = voiced(sr=16000, duration=1.0)
    path = write(tmp_path / f"clip.{ext}", y, 16000, subtype=subtype, fmt=fmt)
    clip = load_audio(path)
    assert abs(clip.duration - 1.0) < 0.1  # MP3 adds encoder padding
    assert np.corrcoef(clip.samples[: 8000], y[: 8000])[0, 1] > 0.5 or fmt == "MP3"


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000])
def test_any_rate_is_resampled_once_to_the_target(tmp_path, rate):
    path = write(tmp_path / "r.wav", voiced(sr=rate, duration=0.5), rate)
    clip = load_audio(path, sr=16000)
    assert clip.rate == 16000 and clip.original_rate == rate
    assert abs(len(clip.samples) - 8000) <= 2


def test_native_rate_kept_with_sr_none(tmp_path):
    clip = load_audio(write(tmp_path / "n.wav", voiced(sr=8000), 8000), sr=None)
    assert clip.rate == 8000


def test_stereo_and_multichannel_are_mixed_to_mono(tmp_path):
    y = voiced()
    stereo = np.stack([y, np.zeros_like(y)], axis=1)
    clip = load_audio(write(tmp_path / "s.wav", stereo))
    assert clip.channels == 2
    np.testing.assert_allclose(clip.samples, y / 2, atol=1e-4)
    six = np.repeat(y[:, None], 6, axis=1)
    assert load_audio(write(tmp_path / "6.wav", six)).channels == 6


def test_bytes_and_file_like_sources(tmp_path):
    path = write(tmp_path / "b.wav", voiced())
    data = path.read_bytes()
    from_bytes = load_audio(data, name="upload.wav")
    from_handle = load_audio(io.BytesIO(data))
    assert from_bytes.name == "upload.wav"
    np.testing.assert_array_equal(from_bytes.samples, from_handle.samples)


def _assert_refused(source, *needles, **kwargs):
    with pytest.raises(AudioError) as info:
        load_audio(source, **kwargs)
    message = str(info.value).lower()
    assert any(n in message for n in needles), message
    assert isinstance(info.value, VoiceclfError) and isinstance(info.value, ValueError)


def test_refusals_say_what_is_wrong(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    _assert_refused(empty, "empty")
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all\n" * 20)
    _assert_refused(text, "not an audio file")
    _assert_refused(tmp_path, "folder")
    _assert_refused(tmp_path / "missing.wav", "no such file")
    _assert_refused(write(tmp_path / "short.wav", voiced(duration=0.02)), "shorter")
    _assert_refused(write(tmp_path / "silent.wav", np.zeros(16000, np.float32)), "silent")
    _assert_refused(write(tmp_path / "dc.wav", np.full(16000, 0.5, np.float32)), "silent")
    nan = voiced()
    nan[100] = np.nan
    _assert_refused(write(tmp_path / "nan.wav", nan, subtype="FLOAT"), "nan")
    long_clip = write(tmp_path / "long.wav", voiced(duration=3.0))
    _assert_refused(long_clip, "limit", limits=AudioLimits(max_duration=2.0))
    _assert_refused(long_clip, "mb", limits=AudioLimits(max_bytes=1000))
    truncated = tmp_path / "truncated.flac"
    truncated.write_bytes(write(tmp_path / "whole.flac", voiced(duration=2.0)).read_bytes()[:60])
    _assert_refused(truncated, "damaged", "not an audio file")


def test_write_audio_round_trip(tmp_path):
    y = voiced()
    path = write_audio(tmp_path / "out" / "x.flac", y * 3, 16000)  # over full scale: normalised, not wrapped
    back, sr = sf.read(path)
    assert sr == 16000 and np.max(np.abs(back)) <= 1.0
    assert np.corrcoef(back, y)[0, 1] > 0.999
