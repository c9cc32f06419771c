"""Zip datasets uploaded in the browser: safe archives load, hostile ones are refused before anything is written."""

import io
import stat
import zipfile

import pytest

from conftest import voiced
from test_bad_input import encode
from voiceclf import datasets
from voiceclf.datasets import ZipLimits, extract_zip, from_zip
from voiceclf.errors import DatasetError

WAV = encode(voiced(duration=0.5))


def make_zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, b"target")
            else:
                name, data = entry
                archive.writestr(name, data)
    return buffer.getvalue()


def test_safe_zip_loads_only_audio_and_sidecars(tmp_path):
    data = make_zip([("corpus/bonafide/a.wav", WAV), ("corpus/spoof/b.wav", WAV), ("corpus/spoof/run.sh", b"rm -rf /"),
                     ("corpus/speakers.csv", b"file,speaker\nbonafide/a.wav,ann\nb.wav,bob\n"),
                     ("__MACOSX/corpus/._a.wav", b"junk")])
    table = from_zip(data, tmp_path / "out")
    assert sorted(table["label"]) == ["bonafide", "spoof"] and set(table["speaker"]) == {"ann", "bob"}
    assert not list((tmp_path / "out").rglob("run.sh")) and not (tmp_path / "out" / "__MACOSX").exists()


def symlink_entry(name="bonafide/link.wav"):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("entries,needle", [
    ([("../escape.wav", WAV)], "outside"),
    ([("bonafide/../../escape.wav", WAV)], "outside"),
    ([("/etc/evil.wav", WAV)], "outside"),
    ([("C:/evil.wav", WAV)], "outside"),
    ([("bonafide\\..\\evil.wav", WAV)], "outside"),
    ([symlink_entry()], "symbolic link"),
    ([("bonafide/inner.zip", b"PK\x03\x04")], "nested archive"),
    ([("bonafide/inner.tar.gz", b"\x1f\x8b")], "nested archive"),
    ([("readme.txt", b"hello")], "no audio"),
    ([("bonafide/bomb.wav", bytes(50 * 2**20))], "zip bomb"),
])
def test_hostile_archives_are_refused_before_writing(tmp_path, entries, needle):
    with pytest.raises(DatasetError, match=needle):
        extract_zip(make_zip(entries), tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.wav").exists()


def test_limits_on_entries_and_total_size(tmp_path):
    many = make_zip([(f"bonafide/{i}.wav", WAV) for i in range(30)])
    with pytest.raises(DatasetError, match="entries"):
        extract_zip(many, tmp_path / "a", limits=ZipLimits(max_entries=20))
    with pytest.raises(DatasetError, match="GB|MB"):
        extract_zip(many, tmp_path / "b", limits=ZipLimits(max_total_bytes=10 * len(WAV)))
    with pytest.raises(DatasetError, match="not a readable zip"):
        extract_zip(b"this is no zip", tmp_path / "c")


def test_header_that_lies_about_size_is_caught_while_extracting(tmp_path):
    data = bytearray(make_zip([("bonafide/a.wav", WAV)], compression=zipfile.ZIP_STORED))
    # shrink the declared size in the central directory: the bytes that come out exceed it
    central = data.rfind(b"PK\x01\x02")
    import struct

    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(DatasetError):
        extract_zip(bytes(data), tmp_path / "out")


def test_unrecognised_layout_in_zip(tmp_path):
    with pytest.raises(DatasetError, match="expected one sub-folder per class"):
        datasets.from_zip(make_zip([("cats/a.wav", WAV), ("dogs/b.wav", WAV)]), tmp_path / "out")
