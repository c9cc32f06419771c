"""Command-line interface: ``python -m voiceclf COMMAND ...``.

Every command reports bad input as one line on stderr and exit status 1;
long work (feature extraction, leave-one-attack-out) shows progress on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


from .errors import VoiceclfError


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, every 10 % in a log."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_decile = -1
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        elapsed = time.perf_counter() - self.start
        line = f"{self.label}: {done}/{total} ({done / total:.0%}, {elapsed:.1f} s)"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        else:
            decile = int(10 * done / total)
            if decile != self.last_decile:
                self.last_decile = decile
                print(line, file=self.stream, flush=True)


def _float_or_scale(text: str):
    if text == "scale":
        return "scale"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'scale' or a number, got {text!r}") from None


def _add_dataset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", nargs="?", help="class-folder tree, feature CSV, or the audio folder with --protocol")
    parser.add_argument("--protocol", help="ASVspoof protocol file (with --audio-dir)")
    parser.add_argument("--audio-dir", help="folder of UTT.flac files for --protocol")
    parser.add_argument("--label-column", default="LABEL", help="label column of a feature CSV (default LABEL)")
    parser.add_argument("--speaker-pattern", help="regex with (?P<speaker>...) on file names, or '{speaker}_'")
    parser.add_argument("--n-jobs", type=int, default=1, help="worker processes for feature extraction")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    parser.add_argument("--cache-dir", help="feature cache folder (default $VOICECLF_CACHE or ~/.cache/voiceclf)")


def _load_dataset(args):
    from . import datasets

    if args.protocol:
        audio_dir = args.audio_dir or args.dataset
        if not audio_dir:
            raise VoiceclfError("--protocol needs --audio-dir DIR (the folder with the .flac files)")
        return datasets.from_asvspoof(args.protocol, audio_dir)
    if not args.dataset:
        raise VoiceclfError("name a dataset: a folder, a feature CSV, or --protocol FILE --audio-dir DIR")
    return datasets.load(args.dataset, label_column=args.label_column, speaker_pattern=args.speaker_pattern)


def _features(args, table, config):
    from .features import extract_dataset

    result = extract_dataset(
        table, config, n_jobs=args.n_jobs, progress=Progress("features"),
        cache_dir=args.cache_dir, use_cache=not args.no_cache,
        backend="dask" if getattr(args, "dask", None) else "loky", scheduler=getattr(args, "dask", None),
    )
    for path, reason in result.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    return result


def _print_evaluation(name: str, ev, out) -> None:
    print(f"{name} accuracy: {ev.accuracy:.4f}", file=out)
    print(f"{name} balanced accuracy: {ev.balanced_accuracy:.4f}", file=out)
    print(f"{name} EER: {ev.eer:.4f} (threshold {ev.eer_threshold:.4f})", file=out)


def _print_confusion(ev, out) -> None:
    print("confusion matrix (rows true, columns predicted):", file=out)
    print(f"{'':>10} {'bonafide':>9} {'spoof':>9}", file=out)
    for label, row in zip(ev.labels, ev.confusion):
        print(f"{label:>10} {row[0]:>9d} {row[1]:>9d}", file=out)
    if ev.eer_per_attack:
        print("EER per attack: " + ", ".join(f"{k} {v:.4f}" for k, v in ev.eer_per_attack.items()), file=out)


# --------------------------------------------------------------------------- commands

def cmd_info(args, out) -> int:
    from .audio import load_audio

    failed = 0
    for path in args.files:
        try:
            clip = load_audio(path, sr=None)
        except VoiceclfError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: {clip.original_rate} Hz, {clip.channels} channel(s), {clip.duration:.3f} s", file=out)
    return 1 if failed else 0


def cmd_train(args, out) -> int:
    from . import model
    from .features import preset

    table = _load_dataset(args)
    features = _features(args, table, preset(args.preset))
    config = model.TrainConfig(C=args.C, gamma=args.gamma, class_weight=args.class_weight,
                               test_size=args.test_size, split=args.split, random_state=args.seed,
                               mode="large" if args.large else "exact")
    if args.leave_attack_out:
        table = model.leave_attack_out(features, config, progress=Progress("leave-one-attack-out"))
        for row in table.itertuples():
            print(f"held-out {row.held_out_attack}: EER {row.eer:.4f}, accuracy {row.accuracy:.4f} "
                  f"({row.n_train} train, {row.n_test} test clips)", file=out)
        print(f"mean EER over unseen attacks: {table['eer'].mean():.4f}", file=out)
        if not args.output:
            return 0
    result = model.fit_evaluate(features, config)
    print(f"clips: {len(features)} ({len(result.train_idx)} train, {len(result.test_idx)} test, split {args.split})",
          file=out)
    print(f"train accuracy: {result.train_eval.accuracy:.4f}", file=out)
    _print_evaluation("test", result.test_eval, out)
    print(f"test ROC AUC: {result.test_eval.auc:.4f}", file=out)
    _print_confusion(result.test_eval, out)
    if args.output:
        path = model.save(result.model, args.output)
        print(f"model written to {path}", file=out)
    return 0


def cmd_evaluate(args, out) -> int:
    from . import model as model_module

    trained = model_module.load(args.model)
    table = _load_dataset(args)
    features = _features(args, table, trained.feature_config)
    if features.names != trained.feature_names:
        raise VoiceclfError("the dataset's features do not match the model's (different preset or columns)")
    ev = model_module.evaluate(trained.pipeline, features.X, features.y, features.attacks)
    print(f"clips: {len(features)}", file=out)
    _print_evaluation("", ev, out)
    print(f"ROC AUC: {ev.auc:.4f}", file=out)
    _print_confusion(ev, out)
    if args.scores:
        write_score_file(args.scores, features, ev.scores)
        print(f"scores written to {args.scores}", file=out)
    return 0


def write_score_file(path, features, scores) -> Path:
    """An ASVspoof-style score file: ``speaker utt score key`` per clip."""
    from .report import score_lines

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = score_lines(features.table, features.speakers, features.y, scores)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cmd_predict(args, out) -> int:
    from . import model as model_module
    from .audio import load_audio
    from .features import extract

    trained = model_module.load(args.model)
    if trained.feature_config is None:
        raise VoiceclfError("this model was trained on a feature table, not audio; it cannot score audio files")
    failed = 0
    for path in args.files:
        try:
            vector = extract(load_audio(path, sr=trained.feature_config.rate), trained.feature_config)
        except VoiceclfError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        score = float(trained.score(vector)[0])
        verdict = "bonafide" if score >= trained.threshold else "spoof"
        print(f"{path}\t{score:+.4f}\t{verdict}", file=out)
    return 1 if failed else 0


def cmd_features(args, out) -> int:
    import pandas as pd

    from .features import preset

    table = _load_dataset(args)
    features = _features(args, table, preset(args.preset))
    frame = pd.DataFrame(features.X, columns=features.names)
    frame.insert(0, "label", features.y)
    frame.insert(0, "path", features.table["path"].to_numpy())
    if args.output:
        frame.to_csv(args.output, index=False)
        print(f"{len(frame)} rows x {len(features.names)} features written to {args.output}", file=out)
    else:
        print(f"{len(frame)} clips, {len(features.names)} features, {len(features.skipped)} skipped", file=out)
    return 0


def cmd_demo_data(args, out) -> int:
    from . import demo

    root = demo.build(args.out, n_speakers=args.speakers, clips_per_speaker=args.clips, seed=args.seed,
                      progress=Progress("demo corpus"))
    print(f"demo corpus written to {root}", file=out)
    return 0


def cmd_spoof(args, out) -> int:
    from . import spoof

    attacks = [a.strip() for a in args.attacks.split(",") if a.strip()]
    root = spoof.spoof_folder(args.bonafide_dir, args.out, attacks=attacks, seed=args.seed,
                              speaker_pattern=args.speaker_pattern, progress=Progress("spoofing"))
    print(f"dataset written to {root} (bonafide/, spoof/, protocol.txt)", file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voiceclf", description="Tell live human voice from spoofed speech.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("info", help="rate, channels and duration of audio files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_info)

    p = commands.add_parser("train", help="extract features, train the SVM, print metrics, write the model")
    _add_dataset_args(p)
    p.add_argument("-o", "--output", help="model file to write (.skops)")
    p.add_argument("--preset", default="default", choices=["default", "notebook"])
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--gamma", type=_float_or_scale, default="scale")
    p.add_argument("--class-weight", choices=["balanced"], default=None)
    p.add_argument("--split", default="random", choices=["random", "speaker", "attack", "block"])
    p.add_argument("--test-size", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--large", action="store_true",
                   help="large-data mode: fit the SVM on a stratified subsample of 8,000 training clips")
    p.add_argument("--leave-attack-out", action="store_true",
                   help="train on all attacks but one, test on the unseen one, for every attack")
    p.set_defaults(func=cmd_train)

    p = commands.add_parser("evaluate", help="metrics of a model on a dataset")
    p.add_argument("model")
    _add_dataset_args(p)
    p.add_argument("--scores", help="write an ASVspoof-style score file: speaker utt score key")
    p.set_defaults(func=cmd_evaluate)

    p = commands.add_parser("predict", help="score audio files with a model")
    p.add_argument("model")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_predict)

    p = commands.add_parser("features", help="extract (and cache) the features of a dataset")
    _add_dataset_args(p)
    p.add_argument("--preset", default="default", choices=["default", "notebook"])
    p.add_argument("-o", "--output", help="CSV to write")
    p.add_argument("--dask", metavar="SCHEDULER", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.set_defaults(func=cmd_features)

    p = commands.add_parser("demo-data", help="build the offline demo corpus")
    p.add_argument("out")
    p.add_argument("--speakers", type=int, default=6)
    p.add_argument("--clips", type=int, default=40, help="utterances per speaker (each bona fide + one spoof)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo_data)

    p = commands.add_parser("spoof", help="make a spoof dataset from a folder of bona fide clips")
    p.add_argument("bonafide_dir")
    p.add_argument("out")
    p.add_argument("--attacks", default="GL,MEL,LPC,VC,RP")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speaker-pattern", help="regex with (?P<speaker>...) on file names, or '{speaker}_'")
    p.set_defaults(func=cmd_spoof)
    return parser


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, out)
    except VoiceclfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}".replace(": :", ":"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
