"""Sweeps of the thermal deep learning machine: resumable grids of independent jobs.

A sweep is a list of :class:`Job` (a :class:`~engine.thermal_machine.MachineConfig` and a
seed); each job is a pure function of its config and seed (:func:`run_job`), so it can run
anywhere -- in this process (``executor="serial"``), in local processes (``"processes"``,
the default) or on Dask (``"dask"``: an embedded ``distributed.LocalCluster``, or an existing
cluster given by its scheduler address ``tcp://HOST:PORT``; its workers need this repo
importable) -- and gives the same numbers everywhere.

Every finished job is written at once by the driver as its own Parquet files in the results
folder, named by a hash of its config, seed and code version
(``job-<hash>.parquet``: one row per layer; ``job-<hash>.curves.parquet``: its time series),
each written to a temporary file and moved into place with ``os.replace``; the per-layer file
is written last and marks the job as done. Rerunning a sweep skips the finished jobs, so a
killed sweep resumes and loses nothing. An existing file that cannot be read is never
overwritten silently: it is renamed ``*.unreadable-<time>`` (kept, and reported) and its job
is run again. :func:`load_results` reads a folder back, listing unreadable files instead of
failing.

Command line: ``python -m engine sweep --preset phase_diagram --out DIR`` (see :func:`cli`).
Physics and references: :mod:`engine.thermal_machine` (Huang et al., arXiv:2506.06789).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import sys
import time
import types
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import EngineError, expected
from .progress import Callback, report
from .thermal_machine import CODE_VERSION, MachineConfig, machine_data, run
from .validation import choice, integer, real

EXECUTORS = ("serial", "processes", "dask")
#: Columns every per-layer results file has (the Phase-diagram page relies on them).
REQUIRED_COLUMNS = ("ln_alpha", "N", "M", "L", "layer", "q_star", "q_star_cosine", "seed")

#: Named grids. Values are MachineConfig fields plus the grid axes N, M, L, alpha, vary, seeds.
PRESETS = {
    # a few seconds: tests and smoke runs
    "tiny": dict(dataset="digits", M=(40,), N=(4, 8), L=(3,), t_w=200, t_run=200, n_times=6, seeds=(0,)),
    # the page's live sweep: three α at a small depth, about a minute on one core
    "quick": dict(dataset="digits", M=(120,), N=(4, 8, 16), L=(6,), t_w=20_000, t_run=20_000, n_times=15,
                  seeds=(0,)),
    # the benchmark preset of the issue: M = 200, N = 10, L = 10, 2 replicas
    "standard": dict(dataset="digits", M=(200,), N=(10,), L=(10,), t_w=100_000, t_run=100_000, seeds=(0,)),
    # the shipped diagram: five α through N at the largest M digits 0/1 allow (270), L = 10
    "phase_diagram": dict(dataset="digits", M=(270,), N=(3, 5, 8, 12, 20), L=(10,), t_w=100_000,
                          t_run=100_000, n_replicas=3, seeds=(0, 1, 2)),
    # the (ln α, L) map on four of those α values, one seed
    "depth": dict(dataset="digits", M=(270,), N=(3, 5, 8, 12), L=(4, 6, 8, 10), t_w=100_000,
                  t_run=100_000, n_replicas=3, seeds=(0,)),
    # the three-point diagram of the speed target (one seed, L = 10)
    "three_point": dict(dataset="digits", M=(270,), N=(5, 10, 20), L=(10,), t_w=100_000, t_run=100_000,
                        seeds=(0,)),
}


# ====================================================================================== jobs

@dataclass(frozen=True)
class Job:
    """One point of a sweep: a machine config and a seed."""

    config: MachineConfig
    seed: int = 0

    @property
    def key(self) -> str:
        """16 hex digits of SHA-256 over (config, seed, code version): the file name stem."""
        text = json.dumps({"config": self.config.to_dict(), "seed": int(self.seed), "code": CODE_VERSION},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def filename(self) -> str:
        return f"job-{self.key}.parquet"

    @property
    def curves_filename(self) -> str:
        return f"job-{self.key}.curves.parquet"

    def describe(self) -> str:
        c = self.config
        return f"{c.dataset} M={c.M} N={c.N} L={c.L} (ln α = {c.ln_alpha:.2f}) seed {self.seed}"


def make_grid(base: MachineConfig = MachineConfig(), *, N=None, M=None, L=None, alpha=None, vary: str = "N",
              seeds=(0,)) -> list[Job]:
    """The jobs of a grid: every combination of M, N (or α), L and seed.

    Parameters
    ----------
    base : the config every job starts from (dataset, η, t_w, t_run, replicas, ...).
    N, M, L : lists of hidden widths, training-set sizes and depths (default: base's).
    alpha : list of storage ratios α = M/N. With ``vary="N"`` each α sets N = round(M/α)
        at every M (α via N at fixed M); with ``vary="M"`` it sets M = round(α N) at every N.
        The job's actual α is M/N after rounding.
    seeds : list of seeds (ints >= 0).

    Duplicates are dropped; the order is M, N, L, seed. Every config is validated, and M is
    checked against the training examples the data set has.
    """
    choice("vary", vary, ("N", "M"))
    as_list = lambda name, v, d: [integer(name, x, low=1) for x in (d if v is None else _listify(v))]  # noqa
    Ms = as_list("M", M, [base.M])
    Ns = as_list("N", N, [base.N])
    Ls = as_list("L", L, [base.L])
    seeds = [integer("seed", s, low=0) for s in _listify(seeds)]
    if not seeds:
        raise expected("seeds", "at least one seed", seeds)
    pairs = []
    if alpha is None:
        pairs = [(m, n) for m in Ms for n in Ns]
    else:
        alphas = [real("alpha", a, low=0.0, low_open=True) for a in _listify(alpha)]
        for a in alphas:
            if vary == "N":
                for m in Ms:
                    n = int(round(m / a))
                    if n < 1:
                        raise expected("alpha", f"<= M = {m} (so that N = M/α >= 1)", a)
                    pairs.append((m, n))
            else:
                for n in Ns:
                    pairs.append((max(2, int(round(a * n))), n))
    jobs, seen = [], set()
    for m, n in pairs:
        for l in Ls:
            for s in seeds:
                job = Job(replace(base, M=m, N=n, L=l).validated(), s)
                if job.key not in seen:
                    seen.add(job.key)
                    jobs.append(job)
    _check_data_sizes(jobs)
    return jobs


def _listify(v):
    if isinstance(v, (str, bytes)):
        return [v]
    try:
        return list(v)
    except TypeError:
        return [v]


def _check_data_sizes(jobs):
    """Fail early (EngineError) if a job asks for more examples than its data set has."""
    largest = {}
    for job in jobs:
        c = job.config
        k = (c.dataset, c.classes, c.data_seed, c.n_features)
        if c.M > largest.get(k, (0, None))[0]:
            largest[k] = (c.M, job)
    for _, job in largest.values():
        machine_data(job.config)  # raises "`M` must be <= ..." if the data are too few


def run_job(job: Job | dict):
    """Run one job (pure in its config and seed): ``{"key", "layers", "curves"}``.

    ``layers`` is :meth:`MachineResult.to_frame` plus the column ``job`` (the key);
    ``curves`` is :meth:`MachineResult.series_frame` (values as float32) plus ``job``.
    One thread per job: a sweep keeps the cores busy with whole jobs, not replicas.
    """
    if isinstance(job, dict):
        job = Job(MachineConfig.from_dict(job["config"]), int(job["seed"]))
    result = run(job.config, job.seed, threads=1)
    layers = result.to_frame()
    layers.insert(0, "job", job.key)
    curves = result.series_frame()
    curves["value"] = curves["value"].astype(np.float32)
    curves["err"] = curves["err"].astype(np.float32)
    curves.insert(0, "job", job.key)
    return {"key": job.key, "layers": layers, "curves": curves}


def _payload(job: Job) -> dict:
    return {"config": job.config.to_dict(), "seed": int(job.seed)}


# ====================================================================================== files

def _write_atomic(frame, path: Path) -> None:
    """Write ``frame`` as Parquet to a temporary file beside ``path``, then os.replace it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        frame.to_parquet(tmp, index=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _readable(path: Path) -> str | None:
    """None if ``path`` is a readable results file with the required columns, else why not."""
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
    except Exception as e:  # any parse failure means: not a results file we can use
        return f"{type(e).__name__}: {e}"
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    return f"missing columns {missing}" if missing else None


def _set_aside(path: Path) -> Path:
    """Rename an unreadable file out of the way (never delete it): ``name.unreadable-<time>``."""
    target = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    k = 1
    while target.exists():
        target = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}-{k}")
        k += 1
    os.replace(path, target)
    return target


@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did.

    total jobs; skipped (already done); run (finished now); failed [(job key, description,
    error)]; set_aside [(unreadable file, where it was moved)]; stopped by the callback;
    seconds of wall time; folder.
    """

    total: int
    skipped: int = 0
    run: int = 0
    failed: list = field(default_factory=list)
    set_aside: list = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    folder: str = ""

    @property
    def complete(self) -> bool:
        return not self.stopped and not self.failed and self.skipped + self.run == self.total


def pending_jobs(jobs, out) -> tuple[list[Job], list[Job], list[tuple[str, str]]]:
    """Split ``jobs`` into (done, to do) by the files in ``out``; set aside unreadable files."""
    out = Path(out)
    done, todo, aside = [], [], []
    for job in jobs:
        path = out / job.filename
        if path.exists():
            why = _readable(path)
            if why is None:
                done.append(job)
                continue
            aside.append((str(path), str(_set_aside(path))))
        todo.append(job)
    return done, todo, aside


# ====================================================================================== executors

def run_sweep(jobs, out, *, executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
              callback: Callback = None, on_event=None) -> SweepReport:
    """Run the jobs not yet in ``out``, writing each job's files as soon as it finishes.

    Parameters
    ----------
    jobs : list of :class:`Job` (e.g. from :func:`make_grid`).
    out : results folder (created if needed).
    executor : "serial", "processes" (local processes, default) or "dask".
    workers : processes or Dask workers (default: the number of CPUs).
    scheduler : with "dask": the address ``tcp://HOST:PORT`` of a running scheduler; without
        it an embedded ``distributed.LocalCluster`` with ``workers`` single-thread workers.
    callback : called with :class:`engine.progress.Progress` (jobs done of the total; ``data``
        = the finished job's per-layer frame) after every job; True stops the sweep (jobs
        already running on other workers are abandoned; their results are not written).
    on_event : optional ``f(kind, message)`` for log lines ("skip", "set_aside", "done",
        "failed"), used by the command line.
    """
    choice("executor", executor, EXECUTORS)
    jobs = list(jobs)
    if not all(isinstance(j, Job) for j in jobs):
        raise expected("jobs", "a list of Job", [type(j).__name__ for j in jobs][:3])
    if workers is not None:
        workers = integer("workers", workers, low=1, high=1024)
    if scheduler is not None:
        _check_scheduler(scheduler)
        if executor != "dask":
            raise expected("executor", '"dask" when a scheduler address is given', executor)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done, todo, aside = pending_jobs(jobs, out)
    rep = SweepReport(total=len(jobs), skipped=len(done), set_aside=aside, folder=str(out))
    emit = on_event or (lambda kind, msg: None)
    for bad, moved in aside:
        emit("set_aside", f"unreadable {bad} moved to {moved}; its job runs again")
    if done:
        emit("skip", f"{len(done)} of {len(jobs)} jobs already done in {out}")

    def finished(job, outcome) -> bool:
        """Write a finished job; return True when the callback asks to stop."""
        if isinstance(outcome, BaseException):
            rep.failed.append((job.key, job.describe(), f"{type(outcome).__name__}: {outcome}"))
            emit("failed", f"{job.describe()}: {outcome}")
            data = None
        else:
            _write_atomic(outcome["curves"], out / job.curves_filename)
            _write_atomic(outcome["layers"], out / job.filename)
            rep.run += 1
            emit("done", job.describe())
            data = outcome["layers"]
        n = rep.skipped + rep.run + len(rep.failed)
        if report(callback, n, rep.total, job.describe(), data):
            rep.stopped = True
        return rep.stopped

    if todo:
        # longest first: the last job to start is a short one, so parallel workers finish together
        todo.sort(key=job_cost, reverse=True)
        runner = {"serial": _run_serial, "processes": _run_processes, "dask": _run_dask}[executor]
        runner(todo, finished, workers=workers, scheduler=scheduler)
    rep.seconds = time.perf_counter() - started
    return rep


def job_cost(job: Job, threads: int = 1) -> float:
    """Relative wall cost of a job: multiply-adds per force evaluation × replica-steps in a row
    (after the split the replicas share ``threads`` threads)."""
    c = job.config
    n_in = 64 if c.dataset == "digits" else c.n_features
    per_step = c.M * (n_in * c.N + (c.L - 2) * c.N * c.N + 2 * c.N) + c.M * c.N * (c.L - 1)
    return float(per_step) * (c.t_w + math.ceil(c.n_replicas / max(1, threads)) * c.t_run)


def _run_serial(todo, finished, **_):
    for job in todo:
        try:
            outcome = run_job(job)
        except Exception as e:  # a failing job is reported; the others still run
            outcome = e
        if finished(job, outcome):
            return


@contextlib.contextmanager
def _bare_main():
    """Hide the parent's ``__main__`` while worker processes are spawned.

    A spawned worker first re-imports the file of the parent's ``__main__`` module. Under
    ``streamlit run`` (and AppTest) ``__main__`` is the app script itself, so every worker would
    run the whole app (and its start-up threads) before its job. The jobs need nothing from
    ``__main__``, so the workers get an empty one.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__file__", None) is None:
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _run_processes(todo, finished, *, workers=None, **_):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or os.cpu_count() or 1
    # spawn: a forked child would inherit numba/BLAS thread state; the kernels load from cache
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx)
    try:
        with _bare_main():  # workers start as jobs are submitted
            futures = {pool.submit(run_job, _payload(job)): job for job in todo}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as e:
                outcome = e
            if finished(futures[fut], outcome):
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _run_dask(todo, finished, *, workers=None, scheduler=None):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:  # pragma: no cover - dask is in requirements.txt
        raise EngineError("the dask executor needs dask[distributed] (pip install -r requirements.txt)") from e
    cluster = None
    if scheduler is None:
        n = min(workers or os.cpu_count() or 1, len(todo))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=20)
        except (OSError, TimeoutError) as e:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
    try:
        futures = [client.submit(run_job, _payload(job), pure=False) for job in todo]
        by_key = {f.key: job for f, job in zip(futures, todo)}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as e:
                outcome = e
            if finished(by_key[fut.key], outcome):
                client.cancel([f for f in futures if not f.done()])
                break
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _check_scheduler(address: str) -> str:
    import re

    if not isinstance(address, str) or not re.fullmatch(r"(tcp|tls)://[^\s:/]+:\d{1,5}", address):
        raise expected("scheduler", "an address tcp://HOST:PORT", address)
    return address


# ====================================================================================== reading back

@dataclass
class SweepResults:
    """A results folder read back.

    frame : one row per (job, layer) with at least ``ln_alpha, N, M, L, layer, q_star,
        q_star_cosine, seed`` (see :meth:`MachineResult.to_frame`) and ``job`` (the key).
    unreadable : [(file, reason)] -- files that could not be read (skipped, left in place).
    folder : the folder.
    """

    frame: object
    unreadable: list
    folder: str

    def to_frame(self):
        return self.frame

    def jobs(self):
        """One row per job: config, ξ_s (raw and cosine), final accuracies and energy ratio."""
        cols = ["job", "ln_alpha", "alpha", "N", "M", "L", "seed", "xi_s", "xi_s_cosine", "acc_sign", "acc_tanh",
                "acc_train", "energy_ratio", "seconds", "cpu_seconds"]
        f = self.frame
        return f[[c for c in cols if c in f.columns]].drop_duplicates("job").reset_index(drop=True)

    def layer_summary(self):
        """q*, Q* per (ln α, N, M, L, layer): mean and standard error over seeds (NaN if one seed)."""
        keys = ["ln_alpha", "N", "M", "L", "layer"]
        values = [c for c in ("q_star", "q_star_cosine", "Q_star", "Q_star_cosine", "tau", "mean_abs_s")
                  if c in self.frame.columns]
        return _mean_sem(self.frame, keys, values)

    def solid_depths(self):
        """ξ_s (raw and cosine) per (ln α, N, M, L): mean and standard error over seeds."""
        return _mean_sem(self.jobs(), ["ln_alpha", "N", "M", "L"], ["xi_s", "xi_s_cosine", "acc_sign", "acc_tanh"])

    def curves(self, job: str):
        """The time series of one job (its ``job`` key) from its ``.curves.parquet`` file."""
        import pandas as pd

        if not isinstance(job, str) or not job.isalnum():
            raise expected("job", "a job key (hex digits)", job)
        path = Path(self.folder) / f"job-{job}.curves.parquet"
        if not path.exists():
            raise EngineError(f"no curves for job {job} in {self.folder}")
        try:
            return pd.read_parquet(path)
        except Exception as e:
            raise EngineError(f"cannot read {path}: {type(e).__name__}: {e}") from e


def _mean_sem(frame, keys, values):
    g = frame.groupby(keys, sort=True)[values]
    mean = g.mean()
    n = g.count()
    sem = g.std(ddof=1) / np.sqrt(n)
    out = mean.copy()
    for v in values:
        out[v + "_err"] = sem[v]
    out["n_seeds"] = frame.groupby(keys, sort=True).size()
    return out.reset_index()


def load_results(folder) -> SweepResults:
    """Read every ``job-*.parquet`` in ``folder`` into one frame; list, skip unreadable files.

    Never raises for a bad file (it goes to ``unreadable`` with the reason, as do files set
    aside by an earlier sweep); raises EngineError only if ``folder`` is not a folder.
    """
    import pandas as pd

    folder = Path(folder)
    if not folder.is_dir():
        raise expected("folder", "an existing results folder", str(folder))
    frames, unreadable = [], []
    for path in sorted(folder.glob("job-*")):
        name = path.name
        if ".unreadable-" in name:
            unreadable.append((str(path), "set aside by an earlier sweep (could not be read)"))
            continue
        if not name.endswith(".parquet") or name.endswith(".curves.parquet"):
            continue
        why = _readable(path)
        if why is None:
            try:
                frames.append(pd.read_parquet(path))
                continue
            except Exception as e:
                why = f"{type(e).__name__}: {e}"
        unreadable.append((str(path), why))
    if frames:
        frame = pd.concat(frames, ignore_index=True).sort_values(["L", "ln_alpha", "seed", "layer"],
                                                                 ignore_index=True)
    else:
        frame = pd.DataFrame(columns=list(REQUIRED_COLUMNS))
    return SweepResults(frame, unreadable, str(folder))


def linear_fit(x, y) -> dict:
    """Least-squares line y = a + b x with standard errors: {slope, slope_err, intercept,
    intercept_err, n} (errors NaN with fewer than 3 points). Used for ξ_s against ln α."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 2 or np.ptp(x) == 0:
        return {"slope": np.nan, "slope_err": np.nan, "intercept": np.nan, "intercept_err": np.nan, "n": n}
    from scipy.stats import linregress

    r = linregress(x, y)
    bad = n < 3
    return {"slope": float(r.slope), "slope_err": np.nan if bad else float(r.stderr),
            "intercept": float(r.intercept), "intercept_err": np.nan if bad else float(r.intercept_stderr), "n": n}


# ====================================================================================== command line

def _parser():
    p = argparse.ArgumentParser(
        prog="python -m engine sweep",
        description="Run a resumable sweep of the thermal deep learning machine (one Parquet file per job).")
    p.add_argument("--preset", choices=sorted(PRESETS), help="a named grid (options below override it)")
    p.add_argument("--out", required=True, help="results folder (created; finished jobs in it are skipped)")
    g = p.add_argument_group("grid")
    g.add_argument("--dataset", choices=("digits", "teacher_student"))
    g.add_argument("--M", type=int, nargs="+", help="training examples")
    g.add_argument("--N", type=int, nargs="+", help="hidden widths")
    g.add_argument("--alpha", type=float, nargs="+", help="storage ratios α = M/N (instead of --N or --M)")
    g.add_argument("--vary", choices=("N", "M"), default="N", help="what --alpha changes (default N)")
    g.add_argument("--L", type=int, nargs="+", help="depths")
    g.add_argument("--seeds", type=int, nargs="+", help="seeds")
    d = p.add_argument_group("dynamics")
    d.add_argument("--t-w", type=int, dest="t_w", help="steps before the replicas split")
    d.add_argument("--t-run", type=int, dest="t_run", help="steps after the split")
    d.add_argument("--eta", type=float, help="friction η")
    d.add_argument("--dt", type=float, help="time step Δt")
    d.add_argument("--kT", type=float, help="temperature k_BT")
    d.add_argument("--replicas", type=int, dest="n_replicas", help="replicas after t_w")
    d.add_argument("--energy", choices=("sqrt", "squared"))
    d.add_argument("--n-times", type=int, dest="n_times", help="log-spaced measurements per phase")
    d.add_argument("--data-seed", type=int, dest="data_seed")
    e = p.add_argument_group("execution")
    e.add_argument("--executor", choices=EXECUTORS, help="default: processes")
    e.add_argument("--dask", action="store_true", help="run on an embedded Dask LocalCluster")
    e.add_argument("--scheduler", help="run on an existing Dask cluster at tcp://HOST:PORT")
    e.add_argument("--workers", type=int, help="processes / Dask workers (default: number of CPUs)")
    e.add_argument("--list", action="store_true", help="list the jobs and whether they are done; run nothing")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def jobs_from_args(args) -> list[Job]:
    """The job list of parsed CLI arguments (preset, then explicit options)."""
    spec = dict(PRESETS.get(args.preset, {}))
    for name in ("dataset", "t_w", "t_run", "eta", "dt", "kT", "n_replicas", "energy", "n_times", "data_seed"):
        if getattr(args, name, None) is not None:
            spec[name] = getattr(args, name)
    for name in ("M", "N", "L", "seeds"):
        if getattr(args, name, None) is not None:
            spec[name] = tuple(getattr(args, name))
    alpha = args.alpha
    if alpha is not None and args.vary == "N":
        spec.pop("N", None)
    axes = {k: spec.pop(k, None) for k in ("M", "N", "L", "seeds")}
    base = replace(MachineConfig(), **spec)
    return make_grid(base, N=axes["N"], M=axes["M"], L=axes["L"], alpha=alpha, vary=args.vary,
                     seeds=axes["seeds"] if axes["seeds"] is not None else (0,))


def cli(argv=None) -> int:
    """``python -m engine sweep ...``: run (or resume) a sweep; print ξ_s per job at the end."""
    args = _parser().parse_args(argv)
    executor = args.executor or ("dask" if (args.dask or args.scheduler) else "processes")
    try:
        if (args.dask or args.scheduler) and executor != "dask":
            raise expected("executor", '"dask" with --dask or --scheduler', executor)
        jobs = jobs_from_args(args)
        if args.list:
            done, todo, _ = _peek(jobs, args.out)
            for job in jobs:
                print(f"{'done' if job in done else 'todo'}  {job.key}  {job.describe()}")
            print(f"{len(done)} done, {len(todo)} to do")
            return 0
        bar = None
        if not args.quiet:
            from tqdm import tqdm

            bar = tqdm(total=len(jobs), unit="job", desc="sweep", file=sys.stderr)

        def on_event(kind, msg):
            if kind == "skip" and bar is not None:
                bar.update(int(msg.split()[0]))
            if kind == "done" and bar is not None:
                bar.update(1)
                bar.set_postfix_str(msg[:40])
            elif kind in ("set_aside", "failed"):
                (bar.write if bar is not None else print)(f"{kind}: {msg}")

        rep = run_sweep(jobs, args.out, executor=executor, workers=args.workers, scheduler=args.scheduler,
                        on_event=on_event)
        if bar is not None:
            bar.close()
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{rep.run} run, {rep.skipped} already done, {len(rep.failed)} failed, of {rep.total} jobs "
          f"in {rep.seconds:.1f} s -> {rep.folder}")
    res = load_results(args.out)
    for path, why in res.unreadable:
        print(f"unreadable: {path}: {why}")
    if len(res.frame):
        print(res.jobs()[["ln_alpha", "N", "M", "L", "seed", "xi_s", "xi_s_cosine", "acc_sign", "acc_tanh"]]
              .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 1 if rep.failed else 0


def _peek(jobs, out):
    """(done, todo) without touching the folder (for --list)."""
    out = Path(out)
    done = [j for j in jobs if (out / j.filename).exists() and _readable(out / j.filename) is None]
    return done, [j for j in jobs if j not in done], []
