"""Datasets in their published layouts, all read into one table shape.

Every reader returns a :class:`pandas.DataFrame` with the columns
``path, label, speaker, attack, duration``: ``label`` is ``"bonafide"`` or
``"spoof"``; unknown speakers, attacks and durations are missing values.
A feature table (:func:`from_feature_csv`) has no audio: ``path`` is missing
and the feature columns follow the standard ones.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .errors import DatasetError

COLUMNS = ["path", "label", "speaker", "attack", "duration"]
LABELS = ("bonafide", "spoof")
AUDIO_EXTENSIONS = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au", ".opus"}

BONAFIDE_NAMES = {"bonafide", "bona-fide", "bona_fide", "bona fide", "real", "live", "genuine", "human"}
SPOOF_NAMES = {"spoof", "spoofed", "fake", "synthetic", "converted", "replay", "tts", "deepfake"}


def canonical_label(value) -> str | None:
    """``"bonafide"`` or ``"spoof"`` for any common spelling, else ``None``."""
    text = str(value).strip().lower()
    if text in BONAFIDE_NAMES or text in {"1", "true"}:
        return "bonafide"
    if text in SPOOF_NAMES or text in {"0", "false"}:
        return "spoof"
    return None


def _table(rows: list[dict], extra_columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS + (extra_columns or []))
    frame["duration"] = pd.to_numeric(frame["duration"], errors="coerce")
    for column in ("speaker", "attack"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def audio_duration(path) -> float:
    """Duration from the file header (no decoding); NaN when unreadable."""
    import soundfile as sf

    try:
        return float(sf.info(str(path)).duration)
    except Exception:
        return float("nan")


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)


def feature_columns(table: pd.DataFrame) -> list[str]:
    """The precomputed feature columns of a table (empty for an audio dataset)."""
    return [c for c in table.columns if c not in COLUMNS]


def from_folder(root, *, speaker_pattern: str | None = None) -> pd.DataFrame:
    """A folder with one sub-folder per class.

    Class folders may be named in any common way, case-insensitively
    (``bonafide``, ``real``, ``genuine``, ``human``, ... / ``spoof``, ``fake``,
    ``tts``, ``replay``, ...). Audio may sit in deeper sub-folders.

    Speakers come from ``speakers.csv`` in the root (columns ``file,speaker``,
    ``file`` relative to the root or a bare file name) or, when
    ``speaker_pattern`` is given, from the file name: a regular expression
    with a group named ``speaker`` (e.g. ``r"^(?P<speaker>[^_]+)_"``) or the
    shorthand ``"{speaker}_"`` for "the name up to the first underscore".

    A ``protocol.txt`` in ASVspoof format in the root (as written by
    ``voiceclf spoof``) supplies speakers and attacks for the clips it lists.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    class_dirs: dict[str, list[Path]] = {"bonafide": [], "spoof": []}
    others = []
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        label = canonical_label(child.name)
        if label:
            class_dirs[label].append(child)
        else:
            others.append(child.name)
    if not class_dirs["bonafide"] and not class_dirs["spoof"]:
        found = ", ".join(others[:8]) or "no sub-folders"
        raise DatasetError(
            f"{root}: expected one sub-folder per class, e.g. 'bonafide/' (or real, genuine, human, live) "
            f"and 'spoof/' (or fake, tts, converted, replay); found: {found}"
        )
    speakers = _speaker_lookup(root, speaker_pattern)
    protocol = _protocol_lookup(root / "protocol.txt")
    rows = []
    for label, dirs in class_dirs.items():
        for folder in dirs:
            for path in _audio_files(folder):
                relative = path.relative_to(root).as_posix()
                listed = protocol.get(path.stem, {})
                rows.append({
                    "path": str(path),
                    "label": label,
                    "speaker": listed.get("speaker") or speakers(path, relative),
                    "attack": listed.get("attack") if label == "spoof" else None,
                    "duration": audio_duration(path),
                })
    if not rows:
        raise DatasetError(f"{root}: the class folders hold no audio files ({', '.join(sorted(AUDIO_EXTENSIONS))})")
    return _table(rows)


def from_bonafide_folder(root, *, speaker_pattern: str | None = None) -> pd.DataFrame:
    """Every audio file under ``root`` as a bona fide clip — genuine recordings with no spoofs yet.

    The starting point for making spoofed counterparts (:func:`voiceclf.spoof.make_spoofs`).
    Speakers come from ``speakers.csv`` or ``speaker_pattern`` as in :func:`from_folder`,
    else from the first sub-folder a clip sits in (LibriSpeech's ``SPEAKER/...`` layout).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    files = _audio_files(root)
    if not files:
        raise DatasetError(f"{root}: no audio files found ({', '.join(sorted(AUDIO_EXTENSIONS))})")
    lookup = _speaker_lookup(root, speaker_pattern)
    rows = []
    for path in files:
        relative = path.relative_to(root)
        speaker = lookup(path, relative.as_posix()) or (relative.parts[0] if len(relative.parts) > 1 else None)
        rows.append({"path": str(path), "label": "bonafide", "speaker": speaker, "attack": None,
                     "duration": audio_duration(path)})
    return _table(rows)


def _speaker_lookup(root: Path, pattern: str | None):
    mapping: dict[str, str] = {}
    csv_path = root / "speakers.csv"
    if csv_path.exists():
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"file", "speaker"} <= set(reader.fieldnames):
                raise DatasetError(f"{csv_path}: needs the columns 'file' and 'speaker'")
            for row in reader:
                mapping[row["file"].strip()] = row["speaker"].strip()
    regex = None
    if pattern:
        if pattern == "{speaker}_":
            pattern = r"^(?P<speaker>[^_]+)_"
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise DatasetError(f"speaker pattern {pattern!r} is not a valid regular expression: {exc}") from None
        if "speaker" not in regex.groupindex:
            raise DatasetError(f"speaker pattern {pattern!r} needs a group named 'speaker', e.g. (?P<speaker>...)")

    def lookup(path: Path, relative: str):
        if relative in mapping:
            return mapping[relative]
        if path.name in mapping:
            return mapping[path.name]
        if regex is not None:
            match = regex.search(path.name)
            if match:
                return match.group("speaker")
        return None

    return lookup


def _protocol_lookup(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return {row["utt"]: row for row in _parse_protocol(path)}


def _parse_protocol(path: Path) -> list[dict]:
    """Rows of an ASVspoof CM protocol: ``SPEAKER UTT ... ATTACK KEY ...``.

    2019 LA/PA lines are ``SPEAKER UTT - ATTACK KEY``; 2021 lines carry extra
    columns (codec, transmission, ...), with the attack and key in the same
    places relative to one another: the key is the first ``bonafide``/``spoof``
    token, the attack the token before it.
    """
    rows = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            key_at = next((i for i, p in enumerate(parts) if p in LABELS), None)
            if key_at is None or key_at < 2:
                raise DatasetError(
                    f"{path.name} line {number}: expected 'SPEAKER UTT - ATTACK bonafide|spoof', got {line.strip()!r}"
                )
            attack = parts[key_at - 1]
            rows.append({
                "speaker": parts[0],
                "utt": parts[1],
                "attack": None if attack in {"-", "bonafide"} else attack,
                "label": parts[key_at],
            })
    if not rows:
        raise DatasetError(f"{path}: the protocol file lists no clips")
    return rows


def from_asvspoof(protocol_file, audio_dir, *, extension: str = ".flac") -> pd.DataFrame:
    """An ASVspoof 2019 LA/PA or 2021 CM protocol file with its audio folder.

    Audio is ``UTT.flac`` directly under ``audio_dir`` (or in a ``flac/``
    sub-folder, as the official archives unpack). Listed clips whose file is
    missing are reported in one error, since a half-present corpus is almost
    always the wrong folder.
    """
    protocol_file, audio_dir = Path(protocol_file), Path(audio_dir)
    if not protocol_file.is_file():
        raise DatasetError(f"{protocol_file}: protocol file not found")
    if not audio_dir.is_dir():
        raise DatasetError(f"{audio_dir}: audio folder not found")
    if (audio_dir / "flac").is_dir():
        audio_dir = audio_dir / "flac"
    rows, missing = [], []
    for row in _parse_protocol(protocol_file):
        path = audio_dir / f"{row['utt']}{extension}"
        if not path.exists():
            missing.append(path.name)
            continue
        rows.append({
            "path": str(path),
            "label": row["label"],
            "speaker": row["speaker"],
            "attack": row["attack"],
            "duration": audio_duration(path),
        })
    if missing:
        raise DatasetError(
            f"{len(missing)} clip(s) listed in {protocol_file.name} are missing from {audio_dir}, "
            f"e.g. {', '.join(missing[:3])}"
        )
    return _table(rows)


def from_feature_csv(path, *, label_column: str = "LABEL", speaker_column: str | None = None) -> pd.DataFrame:
    """A table of precomputed features with a label column (e.g. DEEP-VOICE).

    Labels may use any common spelling (``REAL``/``FAKE``, ``bonafide``/
    ``spoof``, ``1``/``0`` with 1 = bona fide). Every other numeric column is
    a feature. Training works on it without audio.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path.name}: not a readable CSV table ({exc})") from None
    if label_column not in raw.columns:
        raise DatasetError(f"{path.name}: no label column {label_column!r}; columns are {', '.join(map(str, raw.columns[:12]))}")
    labels = raw[label_column].map(canonical_label)
    if labels.isna().any():
        bad = raw.loc[labels.isna(), label_column].astype(str).unique()[:5]
        raise DatasetError(f"{path.name}: unknown label value(s) {', '.join(bad)}; expected e.g. REAL/FAKE or bonafide/spoof")
    features = raw.drop(columns=[c for c in (label_column, speaker_column) if c]).select_dtypes("number")
    if features.shape[1] == 0:
        raise DatasetError(f"{path.name}: no numeric feature columns")
    table = pd.DataFrame({
        "path": None,
        "label": labels,
        "speaker": raw[speaker_column].astype(str) if speaker_column else None,
        "attack": None,
        "duration": np.nan,
    })
    table = _table(table.to_dict("records"))
    return pd.concat([table, features.astype(np.float64).reset_index(drop=True)], axis=1)


def from_files(paths, labels, *, speakers=None, attacks=None) -> pd.DataFrame:
    """A table from explicit lists (e.g. clips uploaded in the app, each with a chosen class)."""
    paths = [str(p) for p in paths]
    speakers = speakers if speakers is not None else [None] * len(paths)
    attacks = attacks if attacks is not None else [None] * len(paths)
    rows = []
    for path, label, speaker, attack in zip(paths, labels, speakers, attacks):
        canonical = canonical_label(label)
        if canonical is None:
            raise DatasetError(f"{Path(path).name}: unknown class {label!r}; use bonafide or spoof")
        rows.append({"path": path, "label": canonical, "speaker": speaker, "attack": attack,
                     "duration": audio_duration(path)})
    return _table(rows)


def load(source, *, protocol=None, label_column: str = "LABEL", speaker_pattern: str | None = None) -> pd.DataFrame:
    """Open any dataset: a class-folder tree, a feature CSV, or (with ``protocol``) an ASVspoof folder."""
    if protocol:
        return from_asvspoof(protocol, source)
    source = Path(source)
    if source.is_dir():
        return from_folder(source, speaker_pattern=speaker_pattern)
    if source.suffix.lower() == ".csv":
        return from_feature_csv(source, label_column=label_column)
    if not source.exists():
        raise DatasetError(f"{source}: no such file or folder")
    raise DatasetError(f"{source}: expected a folder of class sub-folders, a .csv feature table, or --protocol")


def summary(dataset: pd.DataFrame) -> dict:
    """Counts per class, attack and speaker, and duration statistics per class."""
    per_class = dataset["label"].value_counts().reindex(list(LABELS), fill_value=0)
    attacks = dataset.loc[dataset["label"] == "spoof", "attack"].fillna("(unknown)").value_counts()
    speakers = dataset["speaker"].dropna()
    durations = dataset.groupby("label")["duration"].describe() if dataset["duration"].notna().any() else None
    return {
        "clips": int(len(dataset)),
        "per_class": {k: int(v) for k, v in per_class.items()},
        "per_attack": {k: int(v) for k, v in attacks.items()},
        "speakers": int(speakers.nunique()),
        "per_speaker": {k: int(v) for k, v in speakers.value_counts().items()},
        "duration": durations,
        "total_duration_s": float(dataset["duration"].sum(skipna=True)),
        "has_audio": bool(dataset["path"].notna().any()),
        "features": len(feature_columns(dataset)),
    }


def format_summary(dataset: pd.DataFrame) -> str:
    """:func:`summary` as a few readable lines."""
    s = summary(dataset)
    lines = [
        f"clips: {s['clips']}  (bonafide {s['per_class']['bonafide']}, spoof {s['per_class']['spoof']})",
        f"speakers: {s['speakers'] or 'unknown'}",
    ]
    if s["per_attack"]:
        lines.append("attacks: " + ", ".join(f"{k} {v}" for k, v in s["per_attack"].items()))
    if s["has_audio"]:
        lines.append(f"audio: {s['total_duration_s'] / 60:.1f} min in total")
    if s["features"]:
        lines.append(f"precomputed features: {s['features']} columns")
    return "\n".join(lines)


# --------------------------------------------------------------------------- zip archives

ARCHIVE_EXTENSIONS = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst"}
SIDECAR_EXTENSIONS = {".csv", ".txt"}


@dataclass(frozen=True)
class ZipLimits:
    """What an uploaded archive may hold before it is refused as unsafe."""

    max_entries: int = 20000
    max_total_bytes: int = 2 * 2**30
    max_entry_bytes: int = 200 * 2**20
    max_ratio: float = 100.0  # uncompressed / compressed, per entry


def _zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return f"entry {name!r} points outside the archive folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"entry {name!r} is a symbolic link"
    return None


def extract_zip(source, dest, *, limits: ZipLimits = ZipLimits()) -> Path:
    """Safely extract the audio (and speakers.csv / protocol.txt) of a zip archive into ``dest``.

    Refused with a :class:`DatasetError`, before anything is written: entries
    with ``..`` or absolute paths, symbolic links, nested archives, too many
    entries, a total or per-entry size over the limits, a compression ratio
    typical of zip bombs, and archives with no audio. Sizes are enforced on
    the bytes actually decompressed, not only on what the headers claim.
    """
    dest = Path(dest)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DatasetError(f"not a readable zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise DatasetError(f"the archive has {len(infos)} entries, over the {limits.max_entries} limit")
        total, wanted = 0, []
        for info in infos:
            problem = _zip_member_problem(info)
            if problem:
                raise DatasetError(f"refused: {problem}")
            if info.is_dir():
                continue
            suffix = PurePosixPath(info.filename).suffix.lower()
            if suffix in ARCHIVE_EXTENSIONS:
                raise DatasetError(f"refused: nested archive {info.filename!r}; upload one flat zip")
            if info.file_size > limits.max_entry_bytes:
                raise DatasetError(f"refused: {info.filename!r} is {info.file_size / 2**20:.0f} MB uncompressed")
            if info.file_size > 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise DatasetError(f"refused: {info.filename!r} compresses {info.file_size / max(info.compress_size, 1):.0f}:1"
                                   " — the signature of a zip bomb")
            total += info.file_size
            hidden = any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(info.filename).parts)
            if not hidden and suffix in AUDIO_EXTENSIONS | SIDECAR_EXTENSIONS:
                wanted.append(info)
        if total > limits.max_total_bytes:
            raise DatasetError(f"refused: {total / 2**30:.1f} GB uncompressed, over the {limits.max_total_bytes / 2**30:.0f} GB limit")
        if not any(PurePosixPath(i.filename).suffix.lower() in AUDIO_EXTENSIONS for i in wanted):
            raise DatasetError("the archive holds no audio files (" + ", ".join(sorted(AUDIO_EXTENSIONS)) + ")")
        dest.mkdir(parents=True, exist_ok=True)
        written = 0
        for info in wanted:
            target = dest.joinpath(*PurePosixPath(info.filename).parts)
            if dest.resolve() not in target.resolve().parents:
                raise DatasetError(f"refused: entry {info.filename!r} points outside the archive folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    size = 0
                    for block in iter(lambda: src.read(1 << 20), b""):
                        size += len(block)
                        written += len(block)
                        if size > max(info.file_size, 0) or written > limits.max_total_bytes:
                            raise DatasetError(f"refused: {info.filename!r} decompresses to more than its header says")
                        dst.write(block)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise DatasetError(f"damaged archive: cannot extract {info.filename!r} ({exc})") from None
    return dest


def from_zip(source, dest, *, limits: ZipLimits = ZipLimits(), speaker_pattern: str | None = None) -> pd.DataFrame:
    """A zip of a folder-per-class dataset (class folders at the top or inside one folder)."""
    root = extract_zip(source, dest, limits=limits)
    while True:
        children = [p for p in root.iterdir() if p.is_dir()]
        if any(canonical_label(c.name) for c in children) or len(children) != 1:
            break
        root = children[0]
    return from_folder(root, speaker_pattern=speaker_pattern)
