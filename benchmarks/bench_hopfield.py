"""Speed of Hopfield recall and of the experiments a page runs, with references run side by side.

1. Zero-temperature recall sweeps per second at N = 1000 (α = 0.05, random start, the same random
   stream for both): the numba kernel against its NumPy reference
   (``engine.hopfield.recall_zero_t_reference``, fields recomputed at every update), as a ratio;
   also single-spin updates per ns for the kernel on a long run (α = 0.25, which keeps flipping).
2. The wall time of a capacity curve: 12 α values in [0.02, 0.30], N = 500, 5 pattern draws,
   10 probes per draw (``capacity_curve`` defaults). Target: < 30 s so that a page can run it.
3. The wall time of the AGS phase diagram (``ags_phase_diagram(30)``) and, when the Ising
   engine's samplers exist, of the simulated points (``phase_diagram_points`` defaults).

Usage: python benchmarks/bench_hopfield.py [--repeats 3]
The machine is shared; numbers vary with the load (the script prints the load average).
Medians of ``--repeats`` timings.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import hopfield as hf  # noqa: E402


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_recall(repeats):
    N = 1000
    net = hf.store(hf.random_patterns(50, N, seed=0))
    xi_t = np.ascontiguousarray(net.patterns.T)
    s0 = hf.random_patterns(1, N, seed=1)[0]
    seed = 123456789
    big = N * 10**6  # record only the start and the end
    out = hf._recall_zero_t(net.couplings, xi_t, s0.copy(), seed, 50, big)  # compile / load the cache
    sweeps = len(out[4])
    t_kernel = median_time(lambda: hf._recall_zero_t(net.couplings, xi_t, s0.copy(), seed, 50, big), repeats)
    t_ref = median_time(lambda: hf.recall_zero_t_reference(net.couplings, xi_t, s0.copy(), seed, 50, big), 1)
    ref = hf.recall_zero_t_reference(net.couplings, xi_t, s0.copy(), seed, 50, big)
    assert np.array_equal(ref[1], out[1]), "kernel and reference disagree"
    print(f"1. zero-T recall, N = {N}, alpha = 0.05, random start ({sweeps} sweeps to the fixed point):")
    print(f"   kernel    {sweeps / t_kernel:10.1f} sweeps/s")
    print(f"   reference {sweeps / t_ref:10.2f} sweeps/s   -> kernel / reference = {t_ref / t_kernel:.0f}x")
    # a run that keeps flipping: α = 0.25 from a random state, 20 sweeps
    net2 = hf.store(hf.random_patterns(250, N, seed=2))
    xi2 = np.ascontiguousarray(net2.patterns.T)
    run = lambda: hf._recall_zero_t(net2.couplings, xi2, s0.copy(), seed, 20, big)  # noqa: E731
    res = run()
    t = median_time(run, repeats)
    updates = len(res[4]) * N
    print(f"   alpha = 0.25: {len(res[4])} sweeps, {res[4].sum()} flips, {updates / t / 1e9:.3f} updates/ns "
          f"({len(res[4]) / t:.0f} sweeps/s)")


def bench_capacity(repeats):
    hf.capacity_curve(50, [0.1], n_draws=1, n_probes=1, seed=0)  # warm
    t = median_time(lambda: hf.capacity_curve(500, seed=0), repeats)
    res = hf.capacity_curve(500, seed=0)
    print("2. capacity curve, N = 500, 12 alphas in [0.02, 0.30], 5 draws x 10 probes:")
    print(f"   {t:.2f} s  (target < 30 s: {t / 30:.2f} of the budget)")
    for a, m, e, th in zip(res.alphas, res.m_mean, res.m_err, res.theory_m):
        print(f"   alpha = {a:.3f}  m = {m:.3f} ± {e:.3f}   AGS m = {th:.3f}")


def bench_phase(repeats):
    t = median_time(lambda: hf.ags_phase_diagram(30), repeats)
    d = hf.ags_phase_diagram(30)
    print(f"3. AGS phase diagram (30 temperatures): {t:.2f} s; alpha_c(T=0) = {d.alpha_c:.4f}, "
          f"retrieval global minimum below alpha = {d.alpha_global[0]:.4f} at T = 0")
    try:
        import engine.montecarlo  # noqa: F401
    except ImportError:
        print("   simulated points: engine.montecarlo is not available, skipped")
        return
    hf.phase_diagram_points(50, [0.05], [0.5], n_draws=1, n_probes=1, n_sweeps=4, seed=0)  # warm
    t0 = time.perf_counter()
    pts = hf.phase_diagram_points(seed=0)
    t = time.perf_counter() - t0
    print(f"   simulated points (N = {pts.n_neurons}, {pts.alphas.size} x {pts.temperatures.size} grid, "
          f"{pts.n_sweeps} sweeps, 2 draws x 4 probes): {t:.2f} s")
    for ia, a in enumerate(pts.alphas):
        cells = "  ".join(f"{m:5.2f}" for m in pts.m_mean[ia])
        print(f"   alpha = {a:.3f}: m = {cells}   (T = {', '.join(f'{x:g}' for x in pts.temperatures)})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    bench_recall(args.repeats)
    bench_capacity(args.repeats)
    bench_phase(max(1, args.repeats // 3))


if __name__ == "__main__":
    main()
