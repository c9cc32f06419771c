"""voiceclf benchmark: prints one `name: value` line per figure and writes bench/RESULTS.md.

Every figure is measured in this run against its own baseline, on clips the
script generates (speech-like synthetic voices from voiceclf.demo). Run with
`make bench`; `--quick` shrinks the workloads for a smoke test.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voiceclf import audio, datasets, demo, features, model  # noqa: E402
from voiceclf.features import FeatureSet, extract_dataset, preset  # noqa: E402

TARGETS = {
    "notebook_pipeline_speedup": (">=", 5.0),
    "notebook_equal_features_speedup": (">=", 1.5),
    "parallel_speedup_2_workers": (">=", 1.7),
    "warm_cache_speedup": (">=", 50.0),
    "refit_2000_median_s": ("<=", 1.0),
    "large_mode_fit_25000_s": ("<=", 10.0),
    "large_mode_eer_gap_points": ("<=", 1.0),
}


def make_clips(folder: Path, n: int, seconds: float, seed: int = 0, unique: int = 200) -> list[Path]:
    """Speech-like clips of ``seconds`` each from the demo synthesiser (``unique`` utterances, then varied copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    speakers = demo.make_speakers(6, seed)
    target = int(seconds * demo.RATE)
    voices = []
    for i in range(min(n, unique)):
        y = demo.synthesise_utterance(speakers[i % 6], np.random.default_rng(seed * 100_000 + i))
        voices.append(np.tile(y, target // len(y) + 1)[:target])
    paths = []
    for i in range(n):
        gain = 1.0 - 0.3 * (i // len(voices)) / max(1, n // len(voices))  # copies differ in level
        paths.append(audio.write_audio(folder / f"clip{i:05d}.wav", gain * voices[i % len(voices)], demo.RATE))
    return paths


def per_clip(func, paths, repeat=1) -> float:
    """Median seconds per clip of ``func(path)`` over the paths (after one warm-up call)."""
    func(paths[0])
    times = []
    for _ in range(repeat):
        for path in paths:
            start = time.perf_counter()
            func(path)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def notebook_way(path) -> np.ndarray:
    """The original notebook, as it ran: librosa.load at 22,050 Hz, HPSS, one librosa call per feature."""
    import librosa

    y, sr = librosa.load(path)
    y = librosa.effects.harmonic(y)
    return notebook_features(y, sr)


def notebook_features(y, sr) -> np.ndarray:
    import librosa

    parts = []
    for frames in (librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20), librosa.feature.spectral_centroid(y=y, sr=sr),
                   librosa.feature.spectral_bandwidth(y=y, sr=sr), librosa.feature.spectral_rolloff(y=y, sr=sr),
                   librosa.feature.zero_crossing_rate(y), librosa.feature.rms(y=y),
                   librosa.feature.chroma_stft(y=y, sr=sr)):
        parts.append(np.stack([frames.mean(axis=1), frames.var(axis=1)], axis=1).ravel())
    return np.concatenate(parts)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_control_speedup(n: int = 5_000_000) -> float:
    """Two processes vs one on pure-Python arithmetic: the most this machine's two vCPUs give right now."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    _spin(n), _spin(n)
    one = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [10, 10]))
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - start
    return one / two


def table_of(paths) -> "datasets.pd.DataFrame":
    return datasets.from_files(paths, ["bonafide" if i % 2 else "spoof" for i in range(len(paths))])


def peak_rss_mb(n_clips: int, folder: Path) -> float:
    """Peak resident memory of a fresh process extracting ``n_clips`` clips (one worker, no cache)."""
    code = (
        "import sys, resource; sys.path.insert(0, %r)\n"
        "from pathlib import Path\n"
        "from voiceclf import datasets, features\n"
        "paths = sorted(Path(%r).glob('*.wav'))[:%d]\n"
        "t = datasets.from_files(paths, ['bonafide'] * len(paths))\n"
        "features.extract_dataset(t, use_cache=False)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    ) % (str(ROOT), str(folder), n_clips)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def synthetic_features(base: FeatureSet, n: int, seed: int = 0, noise: float = 1.0) -> FeatureSet:
    """``n`` feature vectors drawn around real ones (the demo corpus's): resampled, plus Gaussian noise of
    ``noise`` times each feature's spread, so the classes overlap about as much as on real data."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), n)
    spread = base.X.std(axis=0) * noise
    X = base.X[idx] + rng.standard_normal((n, base.X.shape[1])) * spread
    speakers = np.array([f"{base.speakers[i]}-{j % 50}" for j, i in enumerate(idx)], dtype=object)
    return FeatureSet(X, base.y[idx], speakers, base.attacks[idx], base.names, None, [], base.config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small workloads (smoke test, not for the record)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()
    quick = args.quick
    figures: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="voiceclf-bench-"))
    os.environ["VOICECLF_CACHE"] = str(work / "cache")

    def report(name, value):
        figures[name] = value
        print(f"{name}: {value:.4g}", flush=True)

    try:
        n_speed = 10 if quick else 30
        n_dataset = 40 if quick else 200
        n_memory = 200 if quick else 2000
        four = make_clips(work / "four", max(n_speed, n_dataset), 4.0)
        default = preset("default")
        notebook = preset("notebook")

        # 1. What a user waits for per clip: the notebook's recipe vs voiceclf's default preset, load included.
        ours = per_clip(lambda p: features.extract(audio.load_audio(p, sr=default.rate), default), four[:n_speed])
        theirs = per_clip(notebook_way, four[:n_speed])
        report("notebook_pipeline_ms_per_clip", theirs * 1000)
        report("default_preset_ms_per_clip", ours * 1000)
        report("default_preset_x_realtime", 4.0 / ours)
        report("notebook_pipeline_speedup", theirs / ours)

        # 2. The same features, computed the notebook's way vs voiceclf's (HPSS included), checked equal.
        import librosa

        samples = [librosa.load(p)[0] for p in four[:n_speed]]
        for y in samples[:3]:
            np.testing.assert_allclose(features.extract_samples(y, 22050, notebook),
                                       notebook_features(librosa.effects.harmonic(y), 22050), rtol=1e-4, atol=1e-7)
        theirs = per_clip(lambda y: notebook_features(librosa.effects.harmonic(y), 22050), samples)
        ours = per_clip(lambda y: features.extract_samples(y, 22050, notebook), samples)
        report("notebook_equal_features_speedup", theirs / ours)

        # 3. Parallel extraction over a dataset, worker start-up included, no cache. The control says how
        # much two processes can gain at all on this (virtual, shared) machine at this moment.
        report("cpu_control_speedup_2_processes", cpu_control_speedup())
        table = table_of(four[:n_dataset])
        from joblib.externals.loky import get_reusable_executor

        serial_times, cold_times, warm_times = [], [], []
        for _ in range(1 if quick else 3):  # medians: this virtual machine's speed drifts from minute to minute
            start = time.perf_counter()
            serial = extract_dataset(table, use_cache=False, n_jobs=1)
            serial_times.append(time.perf_counter() - start)
            get_reusable_executor().shutdown(wait=True)  # a cold pool: start-up counts
            start = time.perf_counter()
            parallel = extract_dataset(table, use_cache=False, n_jobs=2)
            cold_times.append(time.perf_counter() - start)
            assert np.array_equal(serial.X, parallel.X)
            features.warm_workers(2)  # what the app does at start-up: workers already running
            start = time.perf_counter()
            extract_dataset(table, use_cache=False, n_jobs=2)
            warm_times.append(time.perf_counter() - start)
        t1 = float(np.median(serial_times))
        report("parallel_speedup_2_workers", t1 / float(np.median(cold_times)))
        report("parallel_speedup_2_workers_warm_pool", t1 / float(np.median(warm_times)))

        # 4. Warm cache: the second extraction of the same files does no audio work.
        cache = work / "feature-cache"
        start = time.perf_counter()
        extract_dataset(table, cache_dir=cache, n_jobs=1)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        warm_set = extract_dataset(table, cache_dir=cache, n_jobs=1)
        warm = time.perf_counter() - start
        assert np.array_equal(warm_set.X, serial.X)
        report("warm_cache_speedup", cold / warm)

        # 5. Interactive re-training on cached features of 2,000 clips: fit + scores + metrics.
        corpus = extract_dataset(datasets.from_folder(demo.build()), default, n_jobs=2)
        two_thousand = synthetic_features(corpus, 400 if quick else 2000)
        times = []
        for C in (0.3, 1.0, 3.0, 10.0, 30.0):
            start = time.perf_counter()
            model.fit_evaluate(two_thousand, model.TrainConfig(C=C, split="speaker"))
            times.append(time.perf_counter() - start)
        report("refit_2000_median_s", float(np.median(times)))

        # 6. 25,000 clips: exact kernel SVM vs large mode, fitted on the same training part.
        big = synthetic_features(corpus, 2500 if quick else 25000, seed=1)
        train_idx, test_idx = model.split(big.y, big.speakers, big.attacks, model.TrainConfig(split="speaker"))
        eers = {}
        for mode, name in (("exact", "fit_25000_s"), ("large", "large_mode_fit_25000_s")):
            config = model.TrainConfig(split="speaker", mode=mode)
            start = time.perf_counter()
            pipeline = model.train(big.X[train_idx], big.y[train_idx], config)
            report(name, time.perf_counter() - start)
            eers[mode] = model.evaluate(pipeline, big.X[test_idx], big.y[test_idx]).eer * 100
        report("exact_eer_25000_percent", eers["exact"])
        report("large_mode_eer_25000_percent", eers["large"])
        report("large_mode_eer_gap_points", abs(eers["large"] - eers["exact"]))

        # 7. Memory stays flat as the dataset grows: clips are streamed, never all held.
        short = make_clips(work / "short", n_memory, 1.0, seed=7)
        small_rss = peak_rss_mb(n_memory // 10, short[0].parent)
        report(f"extract_peak_rss_mb_{n_memory // 10}", small_rss)
        report("extract_peak_rss_mb", peak_rss_mb(n_memory, short[0].parent))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    failed = []
    for name, (op, bound) in TARGETS.items():
        value = figures.get(name)
        if value is not None and not (value >= bound if op == ">=" else value <= bound):
            failed.append(f"{name} = {value:.4g} (target {op} {bound:g})")
    print("targets missed: " + ("; ".join(failed) if failed else "none"))
    if not args.no_write and not quick:
        write_results(figures, failed)
    return 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import librosa
    import sklearn

    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
            f"numpy {np.__version__}, librosa {librosa.__version__}, scikit-learn {sklearn.__version__}")


def write_results(figures: dict, failed: list) -> None:
    lines = ["# Benchmark results", "", f"`make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.", "",
             "| figure | value | target |", "|---|---|---|"]
    for name, value in figures.items():
        op, bound = TARGETS.get(name, ("", None))
        lines.append(f"| `{name}` | {value:.4g} | {f'{op} {bound:g}' if bound is not None else ''} |")
    lines += ["", "Targets missed: " + ("; ".join(failed) if failed else "none") + ".", ""]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
