"""Sweeps: the grid, resumable Parquet results, executors that agree, bad files and bad input."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from engine import sweep
from engine import thermal_machine as tm
from engine.errors import EngineError
from engine.sweep import Job, load_results, make_grid, run_sweep
from engine.thermal_machine import MachineConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = MachineConfig(M=24, N=4, L=3, t_w=150, t_run=150, n_times=5, n_replicas=2)


def _tiny_jobs():
    return make_grid(BASE, N=(3, 6), seeds=(0, 1))


def _numbers(frame):
    """The physics columns of a results frame in a stable order (timing dropped)."""
    return frame.drop(columns=["seconds", "cpu_seconds"]).sort_values(["job", "layer"], ignore_index=True)


# ---------------------------------------------------------------------------------- the grid

def test_grid_varies_alpha_through_N_or_M():
    by_n = make_grid(BASE, M=(24,), alpha=(2, 4, 8), seeds=(0,))
    assert [(j.config.M, j.config.N) for j in by_n] == [(24, 12), (24, 6), (24, 3)]
    by_m = make_grid(BASE, N=(4,), alpha=(2, 4), vary="M", seeds=(0, 1))
    assert [(j.config.M, j.config.N, j.seed) for j in by_m] == [(8, 4, 0), (8, 4, 1), (16, 4, 0), (16, 4, 1)]
    depth = make_grid(BASE, L=(2, 3, 4), seeds=(5,))
    assert [j.config.L for j in depth] == [2, 3, 4] and all(j.seed == 5 for j in depth)
    assert len(make_grid(BASE, N=(4, 4), seeds=(0, 0))) == 1  # duplicates dropped
    assert by_n[0].config.ln_alpha == pytest.approx(np.log(2))


def test_job_names_hash_config_seed_and_code_version(monkeypatch):
    key = Job(BASE, 0).key
    assert key == Job(replace(BASE), 0).key and len(key) == 16 and Job(BASE, 0).filename == f"job-{key}.parquet"
    assert key != Job(BASE, 1).key and key != Job(replace(BASE, eta=0.02), 0).key
    monkeypatch.setattr(sweep, "CODE_VERSION", "another")
    assert Job(BASE, 0).key != key


@pytest.mark.parametrize("kwargs, name", [
    (dict(alpha=(0,)), "alpha"), (dict(alpha=(-1.0,)), "alpha"), (dict(alpha=(100,)), "alpha"),
    (dict(L=(1,)), "L"), (dict(N=(0,)), "N"), (dict(M=(5000,)), "M"), (dict(seeds=(-1,)), "seed"),
    (dict(seeds=()), "seeds"), (dict(vary="L", alpha=(2,)), "vary"),
])
def test_bad_grids_are_engine_errors(kwargs, name):
    with pytest.raises(EngineError, match=f"`{name}` must be"):
        make_grid(BASE, **kwargs)


def test_bad_sweep_arguments_are_engine_errors(tmp_path):
    jobs = _tiny_jobs()[:1]
    with pytest.raises(EngineError, match="`executor` must be"):
        run_sweep(jobs, tmp_path, executor="threads")
    with pytest.raises(EngineError, match="`scheduler` must be"):
        run_sweep(jobs, tmp_path, executor="dask", scheduler="localhost:8786")
    with pytest.raises(EngineError, match="`workers` must be"):
        run_sweep(jobs, tmp_path, workers=0)
    with pytest.raises(EngineError, match="`folder` must be"):
        load_results(tmp_path / "missing")


# ---------------------------------------------------------------------------------- files and resume

def test_serial_sweep_writes_one_file_per_job_and_a_rerun_skips_them(tmp_path):
    jobs = _tiny_jobs()
    events = []
    rep = run_sweep(jobs, tmp_path, executor="serial", on_event=lambda k, m: events.append(k))
    assert rep.complete and rep.run == 4 and rep.skipped == 0 and events.count("done") == 4
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted([j.filename for j in jobs] + [j.curves_filename for j in jobs])
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    again = run_sweep(jobs, tmp_path, executor="serial")
    assert again.complete and again.run == 0 and again.skipped == 4
    assert stamps == {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.iterdir()}

    res = load_results(tmp_path)
    assert res.unreadable == []
    f = res.to_frame()
    assert set(sweep.REQUIRED_COLUMNS) <= set(f.columns) and len(f) == 4 * BASE.L
    assert sorted(set(f["N"])) == [3, 6] and sorted(set(f["seed"])) == [0, 1]
    # the file holds exactly what the job computes (a job is a pure function of config and seed)
    direct = tm.run(jobs[0].config, jobs[0].seed).to_frame()
    mine = f[f["job"] == jobs[0].key].sort_values("layer")
    np.testing.assert_allclose(mine["q_star_cosine"].to_numpy(), direct["q_star_cosine"].to_numpy(), equal_nan=True)
    curves = res.curves(jobs[0].key)
    assert set(curves["series"]) >= {"energy_ratio", "acc_sign", "c", "q", "Q"}
    assert len(res.jobs()) == 4
    summary = res.layer_summary()
    assert {"q_star", "q_star_err", "n_seeds"} <= set(summary.columns) and set(summary["n_seeds"]) == {2}
    assert len(res.solid_depths()) == 2


def test_a_sweep_killed_with_sigkill_resumes_and_loses_nothing(tmp_path):
    out = tmp_path / "killed"
    args = ["--M", "40", "--N", "2", "3", "4", "5", "6", "8", "--L", "3", "--t-w", "1500", "--t-run", "1500",
            "--n-times", "5", "--seeds", "0"]
    cmd = [sys.executable, "-m", "engine", "sweep", *args, "--out", str(out), "--executor", "serial", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            done = list(out.glob("job-*[0-9a-f].parquet")) if out.exists() else []
            if done or proc.poll() is not None:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    before = {p.name: p.stat().st_ino for p in out.glob("job-*[0-9a-f].parquet")}
    assert 1 <= len(before) < 6

    jobs = sweep.jobs_from_args(sweep._parser().parse_args([*args, "--out", str(out)]))
    rep = run_sweep(jobs, out, executor="serial")
    assert rep.complete and rep.skipped == len(before) and rep.run == 6 - len(before)
    after = {p.name: p.stat().st_ino for p in out.glob("job-*[0-9a-f].parquet")}
    assert len(after) == 6 and all(after[name] == ino for name, ino in before.items())  # not rewritten
    res = load_results(out)
    assert res.unreadable == [] and res.frame["job"].nunique() == 6
    for job in jobs:  # every file reads back, curves too
        assert len(res.curves(job.key)) > 0


def test_executors_agree_serial_processes_and_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    jobs = make_grid(BASE, N=(3, 6), seeds=(0,))
    run_sweep(jobs, tmp_path / "serial", executor="serial")
    run_sweep(jobs, tmp_path / "processes", executor="processes", workers=2)
    # a real LocalCluster, reached through its scheduler address like a remote cluster
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        rep = run_sweep(jobs, tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address)
    assert rep.complete and rep.run == 2
    ref = _numbers(load_results(tmp_path / "serial").frame)
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(_numbers(load_results(tmp_path / name).frame), ref)
        a = load_results(tmp_path / name).curves(jobs[1].key)
        pd.testing.assert_frame_equal(a, load_results(tmp_path / "serial").curves(jobs[1].key))


def test_unreadable_files_are_reported_not_fatal_and_never_overwritten(tmp_path):
    jobs = make_grid(BASE, N=(3, 6), seeds=(0,))
    run_sweep(jobs, tmp_path, executor="serial")
    bad = tmp_path / jobs[0].filename
    bad.write_bytes(b"this is not parquet")
    (tmp_path / "job-feedfacecafebeef.parquet").write_bytes(b"PAR1 truncated")
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "job-0000000000000000.parquet")  # wrong columns
    res = load_results(tmp_path)
    assert len(res.unreadable) == 3 and res.frame["job"].nunique() == 1
    assert any("missing columns" in why for _, why in res.unreadable)

    rep = run_sweep(jobs, tmp_path, executor="serial")
    assert rep.run == 1 and rep.skipped == 1 and len(rep.set_aside) == 1
    moved = rep.set_aside[0][1]
    assert open(moved, "rb").read() == b"this is not parquet"  # kept, renamed
    res = load_results(tmp_path)
    assert res.frame["job"].nunique() == 2
    assert moved in [p for p, _ in res.unreadable]  # still listed for the user


def test_callback_stops_a_sweep_and_failed_jobs_are_reported(tmp_path):
    jobs = _tiny_jobs()
    seen = []
    rep = run_sweep(jobs, tmp_path, executor="serial", callback=lambda p: seen.append(p.fraction) or True)
    assert rep.stopped and rep.run == 1 and seen == [0.25] and not rep.complete
    assert len(list(tmp_path.glob("job-*[0-9a-f].parquet"))) == 1
    # a job that cannot run (more examples than digits 0/1 have) fails alone
    too_many = Job(replace(BASE, M=5000), 0)
    rep = run_sweep([too_many, jobs[1]], tmp_path / "f", executor="serial")
    assert rep.run == 1 and len(rep.failed) == 1 and "`M` must be" in rep.failed[0][2]


def test_linear_fit_recovers_a_line():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    fit = sweep.linear_fit(x, 0.5 + 2.0 * x)
    assert fit["slope"] == pytest.approx(2.0) and fit["intercept"] == pytest.approx(0.5)
    assert fit["slope_err"] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(sweep.linear_fit([1.0], [2.0])["slope"])


# ---------------------------------------------------------------------------------- command line

def test_cli_runs_lists_and_rejects_bad_input(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert sweep.cli(["--preset", "tiny", "--out", out, "--executor", "serial", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "2 run, 0 already done" in text and "xi_s" in text
    assert sweep.cli(["--preset", "tiny", "--out", out, "--list"]) == 0
    assert "2 done, 0 to do" in capsys.readouterr().out
    assert sweep.cli(["--preset", "tiny", "--out", out, "--scheduler", "nowhere"]) == 2
    assert "`scheduler` must be" in capsys.readouterr().err
    assert sweep.cli(["--preset", "tiny", "--out", out, "--alpha", "0"]) == 2
    assert sweep.cli(["--preset", "tiny", "--out", out, "--eta", "5"]) == 2
    assert "`eta` must be" in capsys.readouterr().err
    from engine.__main__ import main

    assert main(["sweep", "--preset", "tiny", "--out", out, "--list"]) == 0


def test_process_workers_do_not_rerun_a_streamlit_script(tmp_path, monkeypatch):
    """Under `streamlit run` the parent's __main__ is the app script; spawned workers must not run it."""
    import sys
    import types

    script = tmp_path / "app_like.py"
    script.write_text("raise SystemExit('the app script ran inside a sweep worker')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    jobs = make_grid(BASE, N=(3,), seeds=(0,))
    rep = run_sweep(jobs, tmp_path / "out", executor="processes", workers=1)
    assert rep.complete and not rep.failed
    assert sys.modules["__main__"] is fake
