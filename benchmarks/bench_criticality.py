"""Speed of the criticality theory: is every change on the Criticality page interactive (< 1 s)?

Run: python benchmarks/bench_criticality.py

Each figure is printed as a ratio to the 1 s interactivity budget (< 1 is within budget), plus
the tanh kernel map's numba kernel against its NumPy reference measured in the same run.
Times are the best of a few repeats after one warm-up call (numba compilation and cache
loading are reported separately), single-threaded work on a shared machine.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET = 1.0  # seconds per user change


def best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    t0 = time.perf_counter()
    from engine import nngp, renormalisation, signal_propagation as sp

    sp.fixed_point("tanh", 1.5, 0.05)  # numba compile or cache load
    print(f"import + first call (numba compile/cache load): {time.perf_counter() - t0:.2f} s")

    w = np.linspace(0.5, 4.0, 100)
    b = np.linspace(0.0, 0.5, 100)
    rows = []
    for act in ("tanh", "erf", "sin", "relu", "sigmoid"):
        rows.append((f"phase diagram 100x100 {act}", best_of(lambda: sp.phase_diagram(act, w, b))))
    rows.append(("fixed point tanh (one setting)", best_of(lambda: sp.fixed_point("tanh", 1.76, 0.05))))
    rows.append(("critical σ_w² tanh (one σ_b²)", best_of(lambda: sp.critical_weight_variance("tanh", 0.05))))
    c0 = np.linspace(-1, 1, 21)
    rows.append(("depth flow tanh, 100 layers x 21 c0",
                 best_of(lambda: sp.depth_flow("tanh", 1.76, 0.05, 1.0, c0, 100))))
    rows.append(("depth flow tanh, 1000 layers x 1 c0",
                 best_of(lambda: sp.depth_flow("tanh", 1.76, 0.05, 1.0, 0.5, 1000))))
    rows.append(("kernel depth flow (renormalisation page), 64 layers",
                 best_of(lambda: renormalisation.kernel_depth_flow("tanh", 1.76, 0.05, 64))))
    q = np.linspace(-1, 1, 1001)
    cov = nngp.nngp_covariance("tanh", 5, 1.5, 0.1)
    rows.append(("NNGP ξ, ξ', ξ'' tanh depth 5 on 1001 q", best_of(lambda: cov.derivatives(q))))
    rows.append(("simulate_propagation width 1000, depth 20, 10 nets",
                 best_of(lambda: sp.simulate_propagation("tanh", 1.76, 0.05, 1000, 20, 1.0, 0.3, n_networks=10,
                                                         seed=0), repeats=1)))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'task'.ljust(width)}  seconds  ratio to {BUDGET:g} s budget")
    for name, sec in rows:
        print(f"{name.ljust(width)}  {sec:7.3f}  {sec / BUDGET:6.2f}")

    # the numba kernel against its NumPy reference, same inputs, same run
    k, wk = nngp.kolmogorov_rule()
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 5, 5000)
    c = rng.uniform(-1, 1, 5000) * a
    out = [np.empty(a.size) for _ in range(3)]
    t_kernel = best_of(lambda: nngp._tanh_pair_kernel(a, a, c, k * k, wk, 2, *out))
    t_ref = best_of(lambda: nngp._tanh_pair_reference(a, a, c, k * k, wk))
    print(f"\ntanh pair map on 5000 points: kernel {t_kernel * 1e3:.1f} ms, NumPy reference {t_ref * 1e3:.1f} ms "
          f"(reference / kernel = {t_ref / t_kernel:.1f})")


if __name__ == "__main__":
    main()
