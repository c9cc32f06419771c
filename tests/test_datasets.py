import numpy as np
import pandas as pd
import pytest

from conftest import voiced, write
from voiceclf import datasets
from voiceclf.errors import DatasetError


def test_folder_with_synonym_class_names(folder_dataset):
    table = datasets.from_folder(folder_dataset)
    assert list(table.columns) == datasets.COLUMNS
    assert set(table["label"]) == {"bonafide", "spoof"}
    assert (table["label"] == "bonafide").sum() == 24
    assert table["duration"].between(0.7, 0.9).all()
    assert table["speaker"].isna().all()


def test_speaker_pattern_and_speakers_csv(folder_dataset, tmp_path):
    table = datasets.from_folder(folder_dataset, speaker_pattern="{speaker}_")
    assert sorted(table["speaker"].unique()) == ["spk0", "spk1", "spk2", "spk3"]
    root = tmp_path / "ds"
    write(root / "bona-fide" / "a.wav", voiced())
    write(root / "TTS" / "b.wav", voiced(seed=2))
    (root / "speakers.csv").write_text("file,speaker\nbona-fide/a.wav,alice\nb.wav,bob\n")
    table = datasets.from_folder(root)
    assert dict(zip(table["label"], table["speaker"])) == {"bonafide": "alice", "spoof": "bob"}


def test_unknown_layout_says_what_it_found_and_expects(tmp_path, folder_dataset):
    write(tmp_path / "cats" / "a.wav", voiced())
    write(tmp_path / "dogs" / "b.wav", voiced())
    with pytest.raises(DatasetError) as info:
        datasets.from_folder(tmp_path)
    assert "cats" in str(info.value) and "bonafide" in str(info.value)
    with pytest.raises(DatasetError, match="speaker"):
        datasets.from_folder(folder_dataset, speaker_pattern="(no group)")


def _asvspoof_tree(tmp_path, lines):
    audio = tmp_path / "ASVspoof2019_LA_train" / "flac"
    for line in lines:
        utt = line.split()[1]
        write(audio / f"{utt}.flac", voiced(seed=len(utt)))
    protocol = tmp_path / "ASVspoof2019.LA.cm.train.trn.txt"
    protocol.write_text("\n".join(lines) + "\n")
    return protocol, audio.parent


def test_asvspoof_2019_protocol(tmp_path):
    protocol, audio_dir = _asvspoof_tree(tmp_path, [
        "LA_0079 LA_T_1138215 - - bonafide",
        "LA_0079 LA_T_1271820 - A01 spoof",
        "LA_0080 LA_T_1272637 - A06 spoof",
        "LA_0080 LA_T_1276960 - - bonafide",
    ])
    table = datasets.from_asvspoof(protocol, audio_dir)
    assert table["label"].tolist() == ["bonafide", "spoof", "spoof", "bonafide"]
    assert table["attack"].tolist() == [None, "A01", "A06", None]
    assert table["speaker"].tolist() == ["LA_0079", "LA_0079", "LA_0080", "LA_0080"]


def test_asvspoof_2021_protocol_with_extra_columns(tmp_path):
    protocol, audio_dir = _asvspoof_tree(tmp_path, [
        "LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval",
        "LA_0009 LA_E_5932896 none - bonafide bonafide notrim eval",
    ])
    table = datasets.from_asvspoof(protocol, audio_dir)
    assert table["label"].tolist() == ["spoof", "bonafide"]
    assert table["attack"].tolist() == ["A07", None]


def test_asvspoof_missing_audio_and_bad_lines(tmp_path):
    protocol, audio_dir = _asvspoof_tree(tmp_path, ["LA_0079 LA_T_1 - - bonafide"])
    protocol.write_text(protocol.read_text() + "LA_0079 LA_T_404 - A01 spoof\n")
    with pytest.raises(DatasetError, match="missing"):
        datasets.from_asvspoof(protocol, audio_dir)
    protocol.write_text("just garbage here\n")
    with pytest.raises(DatasetError, match="line 1"):
        datasets.from_asvspoof(protocol, audio_dir)


def test_feature_csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20, 3)), columns=["a", "b", "c"])
    frame["LABEL"] = ["REAL", "FAKE"] * 10
    frame.to_csv(tmp_path / "f.csv", index=False)
    table = datasets.from_feature_csv(tmp_path / "f.csv")
    assert datasets.feature_columns(table) == ["a", "b", "c"]
    assert table["label"].tolist()[:2] == ["bonafide", "spoof"]
    frame["LABEL"] = "maybe"
    frame.to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(DatasetError, match="maybe"):
        datasets.from_feature_csv(tmp_path / "g.csv")
    with pytest.raises(DatasetError, match="label column"):
        datasets.from_feature_csv(tmp_path / "g.csv", label_column="class")


def test_summary_counts(folder_dataset):
    table = datasets.from_folder(folder_dataset, speaker_pattern="{speaker}_")
    s = datasets.summary(table)
    assert s["per_class"] == {"bonafide": 24, "spoof": 24}
    assert s["speakers"] == 4 and s["has_audio"]
    assert "clips: 48" in datasets.format_summary(table)
