"""Property-based: whatever bytes or arrays come in, only AudioError escapes and vectors are finite."""

import io

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from voiceclf.audio import Clip, load_audio
from voiceclf.errors import AudioError
from voiceclf.features import extract

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)
SUBTYPES = {np.dtype("int16"): "PCM_16", np.dtype("int32"): "PCM_32", np.dtype("float32"): "FLOAT",
            np.dtype("float64"): "DOUBLE"}


def check_vector_or_audio_error(make_clip):
    try:
        vector = extract(make_clip())
    except AudioError:
        return
    assert np.isfinite(vector).all()


@SETTINGS
@given(st.binary(max_size=8192))
def test_random_bytes(data):
    check_vector_or_audio_error(lambda: load_audio(data))


@SETTINGS
@given(st.binary(min_size=4, max_size=4096))
def test_random_bytes_behind_a_wav_header(payload):
    header = io.BytesIO()
    sf.write(header, np.zeros(1, np.float32), 16000, format="WAV")
    check_vector_or_audio_error(lambda: load_audio(header.getvalue()[:44] + payload))


arrays = st.sampled_from(list(SUBTYPES)).flatmap(lambda dtype: hnp.arrays(
    dtype,
    st.one_of(st.tuples(st.integers(0, 6000)), st.tuples(st.integers(0, 6000), st.integers(1, 4))),
    elements=(st.floats(-1e6, 1e6, width=dtype.itemsize * 8) | st.sampled_from([np.nan, np.inf, -np.inf])
              if dtype.kind == "f" else None),
))


@SETTINGS
@given(arrays, st.sampled_from([500, 1000, 4000, 8000, 11025, 16000, 22050, 44100, 48000, 96000]))
def test_random_arrays_written_as_audio(samples, rate):
    buffer = io.BytesIO()
    try:
        sf.write(buffer, samples, rate, format="WAV", subtype=SUBTYPES[samples.dtype])
    except (sf.LibsndfileError, ValueError, TypeError):
        assume(False)  # not writable as WAV: nothing for load_audio to read
    check_vector_or_audio_error(lambda: load_audio(buffer.getvalue()))


@SETTINGS
@given(arrays, st.integers(-10, 200_000))
def test_random_arrays_as_clips(samples, rate):
    check_vector_or_audio_error(lambda: Clip(samples, rate, "random", rate, 1))
