"""Speed of the thermal deep learning machine, as ratios against references run side by side.

1. MD steps per second for the standard preset (digits 0/1, M = 200, N = 10, L = 10,
   2 replicas): the numba kernel (``engine.kernels.thermal_machine.md_steps``, one thread,
   noise drawn inside) against the plain NumPy implementation of the same step
   (``md_step_reference`` with ``Generator.standard_normal`` noise, NumPy's default threads) and
   against the same step written for torch-CPU (batched matmuls over replicas, ``torch.randn``
   noise). Target: the kernel >= 3x NumPy. Also ``thermal_machine.step`` as the pages call it:
   the two replicas on two threads (one per core; the numbers are the same as on one thread).
2. The wall time of a three-point phase diagram (``python -m engine sweep --preset
   three_point``: digits 0/1, M = 270, N = 5, 10, 20, L = 10, t_w = t_run = 1e5 steps, one seed)
   on 2 local processes. Target: < 10 minutes. ``--skip-diagram`` leaves it out.

Usage: python benchmarks/bench_thermal_machine.py [--steps 400] [--skip-diagram]
The machine is shared; numbers vary with the load (the script prints the load average).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import thermal_machine as tm  # noqa: E402
from engine.kernels import thermal_machine as K  # noqa: E402


def standard_state(replicas=2):
    cfg = tm.MachineConfig(M=200, N=10, L=10)
    state = tm.init(tm.machine_data(cfg), cfg.N, cfg.L, seed=0)
    return tm.split_replicas(state, replicas, kT=cfg.kT, seed=1), tm.Dynamics()


def best_rate(fn, n_steps, repeats=3):
    """Steps per second: the best of ``repeats`` timings of ``fn(n_steps)`` (least disturbed by load)."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(n_steps)
        best = min(best, time.perf_counter() - t0)
    return n_steps / best


def numba_runner(state, dyn):
    args = state._kernel_args()
    energies = np.empty((state.n_replicas, state.layout.L))

    def go(n):
        K.md_steps(state.x, state.v, state.rng, *args, n, dyn.dt, dyn.eta, dyn.kT, False, energies)

    go(2)  # compile / load from cache
    return go


def threaded_runner(state, dyn):
    def go(n):
        tm.step(state, n, dyn, threads=2)

    go(2)
    return go


def numpy_runner(state, dyn):
    args = state._kernel_args()
    rng = np.random.default_rng(0)
    x, v = state.x.copy(), state.v.copy()

    def go(n):
        nonlocal x, v
        for _ in range(n):
            x, v = K.md_step_reference(x, v, rng.standard_normal(x.shape), *args, dyn.dt, dyn.eta, dyn.kT)

    return go


def torch_runner(state, dyn):
    """The same step in torch (CPU, float64, no autograd: the chain rule by hand, batched)."""
    import torch

    torch.set_num_threads(1)
    lay = state.layout
    R, L, M = state.n_replicas, lay.L, lay.M
    x = torch.tensor(state.x)
    v = torch.tensor(state.v)
    s0 = torch.tensor(state.s0t).expand(R, -1, -1)
    sl = torch.tensor(state.slt).expand(R, -1, -1)
    S = [s0] + [x[:, lay.spin_slice(l)].view(R, lay.widths[l], M) for l in range(1, L)] + [sl]
    J = [None] + [x[:, lay.weight_slice(l)].view(R, lay.widths[l], lay.widths[l - 1]) for l in range(1, L + 1)]
    g = torch.zeros_like(x)
    gS = [None] + [g[:, lay.spin_slice(l)].view(R, lay.widths[l], M) for l in range(1, L)] + [None]
    gJ = [None] + [g[:, lay.weight_slice(l)].view(R, lay.widths[l], lay.widths[l - 1]) for l in range(1, L + 1)]
    c = math.sqrt(dyn.eta * (2 - dyn.eta) * dyn.kT)
    gen = torch.Generator().manual_seed(0)

    def go(n):
        with torch.no_grad():
            for _ in range(n):
                g.zero_()
                for l in range(1, L + 1):
                    T = torch.tanh(torch.bmm(J[l], S[l - 1]))
                    D = S[l] - T
                    w = 1.0 / torch.sqrt((D * D).sum(dim=(1, 2))).clamp_min(1e-300)
                    G = D * w[:, None, None]
                    B = -G * (1 - T * T)
                    if l < L:
                        gS[l].add_(G)
                    gJ[l].add_(torch.bmm(B, S[l - 1].transpose(1, 2)))
                    if l > 1:
                        gS[l - 1].add_(torch.bmm(J[l].transpose(1, 2), B))
                xi = torch.randn(x.shape, generator=gen, dtype=x.dtype)
                v.add_((c * xi - g - dyn.eta * v) * dyn.dt)
                x.add_(v * dyn.dt)
                hit = x.abs() >= 1
                if bool(hit.any()):
                    r, vv = K.reflect_reference(x[hit].numpy(), v[hit].numpy())
                    x[hit], v[hit] = torch.from_numpy(r), torch.from_numpy(vv)

    go(2)
    return go


def bench_steps(n_steps):
    print(f"1. MD steps per second, standard preset (M = 200, N = 10, L = 10, 2 replicas), {n_steps} steps, "
          f"best of 3 (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    rates = {}
    runners = (("numpy", numpy_runner), ("numba", numba_runner), ("numba 2 threads", threaded_runner),
               ("torch", torch_runner))
    for name, make in runners:
        state, dyn = standard_state()
        try:
            runner = make(state, dyn)
        except ImportError as e:
            print(f"   {name:6s} skipped ({e})")
            continue
        n = n_steps if name.startswith("numba") else max(n_steps // 4, 20)
        rates[name] = best_rate(runner, n)
    ref = rates["numpy"]
    for name, rate in rates.items():
        print(f"   {name:16s} {rate:9.0f} steps/s  {1e3 / rate:7.3f} ms/step  {rate / ref:5.2f}x NumPy")
    ratio = rates["numba"] / ref
    print(f"   numba kernel, one thread, vs plain NumPy: {ratio:.2f}x (target >= 3x: {'met' if ratio >= 3 else 'NOT met'})")
    if "numba 2 threads" in rates:
        ratio2 = rates["numba 2 threads"] / ref
        print(f"   the pages' step, replicas on both cores, vs plain NumPy: {ratio2:.2f}x "
              f"(target >= 3x: {'met' if ratio2 >= 3 else 'NOT met'})")
    return rates


def bench_diagram(workers=2):
    from engine.sweep import PRESETS, load_results, make_grid, run_sweep

    spec = dict(PRESETS["three_point"])
    axes = {k: spec.pop(k) for k in ("M", "N", "L", "seeds")}
    jobs = make_grid(tm.MachineConfig(**spec), **axes)
    print(f"2. three-point phase diagram: {len(jobs)} jobs (digits M = 270, N = 5, 10, 20, L = 10, "
          f"t_w = t_run = 1e5 steps), {workers} processes (load average {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        rep = run_sweep(jobs, out, executor="processes", workers=workers)
        wall = time.perf_counter() - t0
        res = load_results(out)
        jobs_frame = res.jobs()
    print(jobs_frame[["ln_alpha", "N", "xi_s", "acc_tanh", "seconds", "cpu_seconds"]].to_string(index=False))
    # what the same schedule takes on 2 idle cores: longest job first, each next job to the
    # first free worker, every job taking its CPU time (the wall time above includes the load)
    free = [0.0] * workers
    for t in sorted(jobs_frame["cpu_seconds"], reverse=True):
        free[free.index(min(free))] += t
    idle = max(free)
    print(f"   wall {wall:.0f} s = {wall / 60:.1f} min under load; on {workers} idle cores (from CPU times) "
          f"{idle:.0f} s = {idle / 60:.1f} min = {idle / 600:.2f}x the 10-minute target "
          f"({'met' if idle < 600 and rep.complete else 'NOT met'})")
    return wall, idle


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--skip-diagram", action="store_true")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    bench_steps(args.steps)
    if not args.skip_diagram:
        bench_diagram(args.workers)


if __name__ == "__main__":
    main()
