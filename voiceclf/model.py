"""The countermeasure: an RBF-kernel SVM on standardised clip features.

The recipe is the notebook's — ``StandardScaler`` then ``SVC(kernel="rbf")`` —
done the way the field evaluates countermeasures:

* honest splits: by speaker (no voice in both train and test), by attack
  (some spoofing attacks never seen in training), or by contiguous blocks for
  tables whose rows are overlapping windows of the same recordings;
* continuous scores from ``decision_function`` (higher = more bona fide),
  so the EER and DET curves are available, not only accuracy;
* per-attack EER, because a countermeasure is only as good as its worst attack.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import metrics
from .errors import ModelError, VoiceclfError
from .features import FeatureConfig, FeatureSet

LABEL_ORDER = ("bonafide", "spoof")
SPLITS = ("random", "speaker", "attack", "block")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of the SVM and of the train/test split.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the SVM.
    gamma : "scale" or float
        RBF kernel width; ``"scale"`` is ``1 / (n_features * X.var())``.
    class_weight : None or "balanced"
    test_size : float
        Fraction of clips (or of speakers, attacks, blocks) held out.
    split : {"random", "speaker", "attack", "block"}
        ``speaker``: no speaker in both parts. ``attack``: the test part holds
        attacks never seen in training (and, when speakers are known, unseen
        speakers too). ``block``: contiguous runs of ``block_size`` rows are
        kept together — for feature tables of consecutive windows.
    random_state : int
        Seeds every random choice, so the same inputs give the same numbers.
    mode : {"exact", "large"}
        ``exact``: ``SVC(kernel="rbf")`` on every training clip; its fit grows
        quadratically or worse with their number. ``large``: the same SVM fitted
        on a class-stratified random subsample of at most ``max_train_clips``
        training clips — for corpora too large to fit an exact kernel SVM
        interactively (ASVspoof-sized and up). Evaluation still uses every clip.
    """

    C: float = 1.0
    gamma: str | float = "scale"
    class_weight: str | None = None
    test_size: float = 0.3
    split: str = "random"
    random_state: int = 0
    block_size: int = 50
    mode: str = "exact"
    max_train_clips: int = 8000

    def __post_init__(self):
        if not (self.C > 0 and math.isfinite(self.C)):
            raise ModelError(f"C must be a positive number, got {self.C}")
        if self.gamma != "scale" and not (isinstance(self.gamma, (int, float)) and self.gamma > 0):
            raise ModelError(f"gamma must be 'scale' or a positive number, got {self.gamma!r}")
        if self.class_weight not in (None, "balanced"):
            raise ModelError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")
        if not 0.05 <= self.test_size <= 0.9:
            raise ModelError(f"test_size must be between 0.05 and 0.9, got {self.test_size}")
        if self.split not in SPLITS:
            raise ModelError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.mode not in ("exact", "large"):
            raise ModelError(f"mode must be 'exact' or 'large', got {self.mode!r}")
        if self.max_train_clips < 10:
            raise ModelError(f"max_train_clips must be at least 10, got {self.max_train_clips}")


# --------------------------------------------------------------------------- splits

def _require_both_classes(y, where: str):
    present = set(np.unique(y))
    missing = [c for c in LABEL_ORDER if c not in present]
    if missing:
        raise ModelError(f"the {where} has no {missing[0]} clips; the countermeasure needs both classes")


def _known(values) -> np.ndarray:
    return np.array([v is not None and not (isinstance(v, float) and np.isnan(v)) for v in values], dtype=bool)


def _group_split(y, groups, test_size, random_state, what):
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ModelError(f"a {what}-disjoint split needs at least 2 {what}s; this dataset has {n_groups}")
    n_splits = int(min(n_groups, max(2, round(1.0 / test_size))))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y, groups):
        if len(np.unique(y[train_idx])) == 2 and len(np.unique(y[test_idx])) == 2:
            return np.sort(train_idx), np.sort(test_idx)
    raise ModelError(
        f"no {what}-disjoint split puts both classes on both sides; each {what} seems to hold only one class"
    )


def split(y, speakers=None, attacks=None, config: TrainConfig = TrainConfig()):
    """Indices of the training and test clips.

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Sorted. For the attack split some clips may be in neither part (a
        known speaker's spoofs of a training attack, when that speaker is held
        out), so that the test part is both speaker- and attack-disjoint.

    Raises
    ------
    ModelError
        When the data cannot support the split asked for (no speaker ids, a
        single attack, a class missing on one side).
    """
    y = np.asarray(y)
    n = len(y)
    _require_both_classes(y, "dataset")
    counts = pd.Series(y).value_counts()
    if counts.min() < 2:
        raise ModelError(f"only {counts.min()} {counts.idxmin()} clip(s): too few to split into train and test")
    speakers = np.asarray(speakers if speakers is not None else [None] * n, dtype=object)
    attacks = np.asarray(attacks if attacks is not None else [None] * n, dtype=object)
    rs = config.random_state

    if config.split == "random":
        from sklearn.model_selection import train_test_split

        train_idx, test_idx = train_test_split(
            np.arange(n), test_size=config.test_size, stratify=y, random_state=rs
        )
        return np.sort(train_idx), np.sort(test_idx)

    if config.split == "block":
        groups = np.arange(n) // max(1, config.block_size)
        return _group_split(y, groups, config.test_size, rs, "block")

    if config.split == "speaker":
        if not _known(speakers).all():
            raise ModelError(
                "a speaker-disjoint split needs a speaker id for every clip "
                f"({(~_known(speakers)).sum()} of {n} have none); use a protocol file, speakers.csv, a "
                "speaker pattern, or the random split"
            )
        return _group_split(y, speakers.astype(str), config.test_size, rs, "speaker")

    # attack split
    spoof = y == "spoof"
    if not _known(attacks[spoof]).all():
        raise ModelError("an attack-disjoint split needs an attack id for every spoofed clip; this dataset lacks them")
    names = np.unique(attacks[spoof].astype(str))
    if len(names) < 2:
        raise ModelError(f"an attack-disjoint split needs at least 2 attacks; this dataset has {len(names)}")
    rng = np.random.default_rng(rs)
    n_test = int(min(len(names) - 1, max(1, round(config.test_size * len(names)))))
    test_attacks = set(rng.choice(names, size=n_test, replace=False))
    return _attack_split(y, speakers, attacks, test_attacks, config)


def _attack_split(y, speakers, attacks, test_attacks: set, config: TrainConfig):
    n = len(y)
    spoof = y == "spoof"
    is_test_attack = np.array([a in test_attacks for a in attacks.astype(str)]) & spoof
    bona = np.flatnonzero(~spoof)
    if _known(speakers).all() and len(np.unique(speakers.astype(str))) >= 2:
        # Hold out whole speakers too, so the test part shares neither voices nor attacks with training.
        bona_train, bona_test = _group_split(
            np.where(is_test_attack, "spoof", y), speakers.astype(str), config.test_size, config.random_state, "speaker"
        )
        test_speakers = set(speakers[bona_test].astype(str))
        in_test_speaker = np.array([s in test_speakers for s in speakers.astype(str)])
        train_mask = ~in_test_speaker & ~is_test_attack
        test_mask = in_test_speaker & (~spoof | is_test_attack)
    else:
        from sklearn.model_selection import train_test_split

        bona_train, bona_test = train_test_split(bona, test_size=config.test_size, random_state=config.random_state)
        train_mask = np.zeros(n, bool)
        test_mask = np.zeros(n, bool)
        train_mask[bona_train] = True
        test_mask[bona_test] = True
        train_mask |= spoof & ~is_test_attack
        test_mask |= is_test_attack
    train_idx, test_idx = np.flatnonzero(train_mask), np.flatnonzero(test_mask)
    _require_both_classes(y[train_idx], "training part of the attack split")
    _require_both_classes(y[test_idx], "test part of the attack split")
    return train_idx, test_idx


# --------------------------------------------------------------------------- fit and score

def build_pipeline(config: TrainConfig):
    """``StandardScaler`` then ``SVC(kernel="rbf")`` — the notebook's model."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return Pipeline([
        ("scale", StandardScaler()),
        ("svm", SVC(kernel="rbf", C=config.C, gamma=config.gamma, class_weight=config.class_weight,
                    cache_size=500)),
    ])


def training_subsample(y, config: TrainConfig) -> np.ndarray:
    """Indices of the clips the SVM is fitted on: all of them, or in ``large`` mode a stratified subsample."""
    y = np.asarray(y)
    if config.mode != "large" or len(y) <= config.max_train_clips:
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=config.max_train_clips, stratify=y,
                               random_state=config.random_state)
    return np.sort(keep)


def train(X, y, config: TrainConfig = TrainConfig()):
    """Fit the pipeline on training features ``X`` and labels ``y``."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    _require_both_classes(y, "training data")
    if not np.isfinite(X).all():
        raise ModelError("the training features contain NaN or infinite values")
    keep = training_subsample(y, config)
    pipeline = build_pipeline(config)
    pipeline.fit(X[keep], y[keep])
    return pipeline


def scores(pipeline, X) -> np.ndarray:
    """Continuous bona fide scores: the SVM's signed distance, higher = more bona fide."""
    raw = pipeline.decision_function(np.asarray(X, dtype=np.float64))
    classes = list(pipeline.classes_)
    return raw if classes[1] == "bonafide" else -raw


@dataclass
class Evaluation:
    """Everything the results page and the CLI report about one set of clips."""

    accuracy: float
    balanced_accuracy: float
    confusion: np.ndarray
    report: dict
    report_text: str
    eer: float
    eer_threshold: float
    auc: float
    eer_per_attack: dict[str, float]
    scores: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    attacks: np.ndarray
    labels: tuple[str, ...] = LABEL_ORDER

    @property
    def confusion_normalised(self) -> np.ndarray:
        rows = self.confusion.sum(axis=1, keepdims=True)
        return np.divide(self.confusion, rows, out=np.zeros_like(self.confusion, dtype=float), where=rows > 0)

    def summary(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "balanced_accuracy": self.balanced_accuracy,
                "eer": self.eer, "auc": self.auc}


def evaluate(pipeline, X, y, attacks=None) -> Evaluation:
    """Accuracy, confusion matrix, report, EER, ROC AUC and per-attack EER on ``X, y``."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix

    y = np.asarray(y)
    _require_both_classes(y, "evaluation data")
    s = scores(pipeline, X)
    y_pred = np.where(s >= 0, "bonafide", "spoof")
    attacks = np.asarray(attacks if attacks is not None else [None] * len(y), dtype=object)
    bona_scores = s[y == "bonafide"]
    value, threshold = metrics.eer(bona_scores, s[y == "spoof"])
    per_attack = {}
    for attack in sorted({str(a) for a, label in zip(attacks, y) if label == "spoof" and a is not None}):
        mask = (y == "spoof") & (attacks.astype(str) == attack)
        per_attack[attack] = metrics.eer(bona_scores, s[mask])[0]
    labels = list(LABEL_ORDER)
    return Evaluation(
        accuracy=float(accuracy_score(y, y_pred)),
        balanced_accuracy=float(balanced_accuracy_score(y, y_pred)),
        confusion=confusion_matrix(y, y_pred, labels=labels),
        report=classification_report(y, y_pred, labels=labels, output_dict=True, zero_division=0),
        report_text=classification_report(y, y_pred, labels=labels, digits=4, zero_division=0),
        eer=value,
        eer_threshold=threshold,
        auc=metrics.roc_auc(bona_scores, s[y == "spoof"]),
        eer_per_attack=per_attack,
        scores=s,
        y_true=y,
        y_pred=y_pred,
        attacks=attacks,
    )


@dataclass
class TrainedModel:
    """A fitted pipeline with what is needed to use and describe it."""

    pipeline: object
    feature_config: FeatureConfig | None
    feature_names: list[str]
    train_config: TrainConfig
    threshold: float = 0.0
    metadata: dict = field(default_factory=dict)

    def score(self, X) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != len(self.feature_names):
            raise ModelError(
                f"the model expects {len(self.feature_names)} features, got {X.shape[1]}; "
                "extract them with the model's own feature settings"
            )
        return scores(self.pipeline, X)


@dataclass
class TrainResult:
    """The outcome of :func:`fit_evaluate`: the model, the split and both evaluations."""

    model: TrainedModel
    train_idx: np.ndarray
    test_idx: np.ndarray
    train_eval: Evaluation
    test_eval: Evaluation


def fit_evaluate(features: FeatureSet, config: TrainConfig = TrainConfig(), *,
                 progress: Callable[[str], None] | None = None) -> TrainResult:
    """Split, train, and evaluate on both parts — the whole "Train" button."""
    say = progress or (lambda message: None)
    say("splitting")
    train_idx, test_idx = split(features.y, features.speakers, features.attacks, config)
    say(f"training on {len(train_idx)} clips")
    pipeline = train(features.X[train_idx], features.y[train_idx], config)
    say(f"evaluating on {len(test_idx)} clips")
    train_eval = evaluate(pipeline, features.X[train_idx], features.y[train_idx], features.attacks[train_idx])
    test_eval = evaluate(pipeline, features.X[test_idx], features.y[test_idx], features.attacks[test_idx])
    model = TrainedModel(
        pipeline=pipeline,
        feature_config=features.config,
        feature_names=list(features.names),
        train_config=config,
        threshold=test_eval.eer_threshold,
        metadata=_metadata(len(train_idx), len(test_idx)),
    )
    return TrainResult(model, train_idx, test_idx, train_eval, test_eval)


def leave_attack_out(features: FeatureSet, config: TrainConfig = TrainConfig(), *,
                     progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Train on every attack but one and test on the unseen one, for each attack in turn.

    Returns a table with one row per held-out attack: its EER, accuracy and
    the numbers of clips in each part.
    """
    y, attacks = features.y, features.attacks
    spoof = y == "spoof"
    if not _known(attacks[spoof]).all():
        raise ModelError("leave-one-attack-out needs an attack id for every spoofed clip")
    names = sorted(set(attacks[spoof].astype(str)))
    if len(names) < 2:
        raise ModelError(f"leave-one-attack-out needs at least 2 attacks; this dataset has {len(names)}")
    rows = []
    for i, attack in enumerate(names):
        train_idx, test_idx = _attack_split(y, features.speakers, attacks, {attack}, config)
        pipeline = train(features.X[train_idx], y[train_idx], config)
        result = evaluate(pipeline, features.X[test_idx], y[test_idx], attacks[test_idx])
        rows.append({"held_out_attack": attack, "eer": result.eer, "accuracy": result.accuracy,
                     "n_train": len(train_idx), "n_test": len(test_idx)})
        if progress:
            progress(i + 1, len(names))
    return pd.DataFrame(rows)


def grid_search(X, y, Cs, gammas, *, cv: int = 3, groups=None, class_weight=None, random_state: int = 0,
                progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Cross-validated EER and accuracy for every (C, gamma), for a heatmap.

    Folds are grouped by speaker when ``groups`` is given (no speaker in both
    the fitting and the scoring part of a fold), stratified by class always.

    Returns
    -------
    DataFrame with columns ``C, gamma, eer, eer_std, accuracy``, one row per cell.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    _require_both_classes(y, "grid-search data")
    if groups is not None and _known(groups).all() and len(np.unique(np.asarray(groups).astype(str))) >= cv:
        folds = list(StratifiedGroupKFold(cv, shuffle=True, random_state=random_state)
                     .split(X, y, np.asarray(groups).astype(str)))
    else:
        folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    folds = [(a, b) for a, b in folds if len(np.unique(y[a])) == 2 and len(np.unique(y[b])) == 2]
    if not folds:
        raise ModelError("no cross-validation fold holds both classes; use fewer folds or more data")
    total, done, rows = len(Cs) * len(gammas) * len(folds), 0, []
    for C in Cs:
        for gamma in gammas:
            config = TrainConfig(C=float(C), gamma=gamma, class_weight=class_weight)
            eers, accs = [], []
            for fit_idx, score_idx in folds:
                pipeline = train(X[fit_idx], y[fit_idx], config)
                s = scores(pipeline, X[score_idx])
                truth = y[score_idx]
                eers.append(metrics.eer(s[truth == "bonafide"], s[truth == "spoof"])[0])
                accs.append(float(np.mean(np.where(s >= 0, "bonafide", "spoof") == truth)))
                done += 1
                if progress:
                    progress(done, total)
            rows.append({"C": float(C), "gamma": gamma, "eer": float(np.mean(eers)),
                         "eer_std": float(np.std(eers)), "accuracy": float(np.mean(accs))})
    return pd.DataFrame(rows)


def best_cell(grid: pd.DataFrame) -> dict:
    """The (C, gamma) with the lowest cross-validated EER (ties: higher accuracy, then smaller C)."""
    ordered = grid.sort_values(["eer", "accuracy", "C"], ascending=[True, False, True], kind="mergesort")
    row = ordered.iloc[0]
    return {"C": float(row["C"]), "gamma": row["gamma"], "eer": float(row["eer"])}


# --------------------------------------------------------------------------- persistence

def _versions() -> dict[str, str]:
    import librosa
    import sklearn

    from . import __version__

    return {"voiceclf": __version__, "scikit-learn": sklearn.__version__, "librosa": librosa.__version__,
            "numpy": np.__version__}


def _metadata(n_train: int, n_test: int) -> dict:
    return {"n_train": int(n_train), "n_test": int(n_test), "versions": _versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}


# Types a voiceclf model file may contain beyond skops' own defaults. Anything
# else makes load() refuse the file without constructing a single object.
TRUSTED_TYPES: list[str] = []


def save(model: TrainedModel, path) -> Path:
    """Write a model file (skops format: loading it never runs code from the file)."""
    import skops.io as sio

    header = {
        "format": "voiceclf-model",
        "format_version": 1,
        "feature_config": asdict(model.feature_config) if model.feature_config else None,
        "feature_names": list(model.feature_names),
        "train_config": asdict(model.train_config),
        "threshold": float(model.threshold),
        "metadata": model.metadata,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"pipeline": model.pipeline, "header": json.dumps(header)}, path)
    return path


def dumps(model: TrainedModel) -> bytes:
    """The model file's bytes (for a download button)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return save(model, Path(tmp) / "model.skops").read_bytes()


def load(source) -> TrainedModel:
    """Read a model file written by :func:`save`, from a path or bytes.

    Only scikit-learn and numpy types that skops trusts by default (plus
    :data:`TRUSTED_TYPES`) are accepted: a file carrying anything else — such
    as a crafted object that would run code under plain pickle — is refused
    with a :class:`ModelError` before any of it is built.
    """
    import skops.io as sio

    try:
        data = Path(source).read_bytes() if not isinstance(source, (bytes, bytearray)) else bytes(source)
    except OSError as exc:
        raise ModelError(f"cannot read the model file: {exc.strerror or exc}") from None
    name = Path(source).name if not isinstance(source, (bytes, bytearray)) else "model file"
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception:
        raise ModelError(f"{name}: not a voiceclf model file (expected the .skops format)") from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ModelError(f"{name}: refused — the file contains types that are not allowed: {', '.join(refused[:5])}")
    try:
        content = sio.loads(data, trusted=TRUSTED_TYPES or None)
        header = json.loads(content["header"])
        pipeline = content["pipeline"]
        if header.get("format") != "voiceclf-model":
            raise ValueError("wrong format tag")
        feature_config = header["feature_config"]
        if feature_config is not None:
            for key in ("groups", "stats"):
                feature_config[key] = tuple(feature_config[key])
            feature_config = FeatureConfig(**feature_config)
        train_config = TrainConfig(**header["train_config"])
        model = TrainedModel(pipeline=pipeline, feature_config=feature_config,
                             feature_names=list(header["feature_names"]), train_config=train_config,
                             threshold=float(header["threshold"]), metadata=dict(header.get("metadata", {})))
        if not hasattr(pipeline, "decision_function"):
            raise ValueError("no decision function")
    except VoiceclfError:
        raise
    except Exception:
        raise ModelError(f"{name}: not a valid voiceclf model file (damaged or from another program)") from None
    return model

