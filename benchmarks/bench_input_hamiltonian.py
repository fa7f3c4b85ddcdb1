"""Benchmark: a deep network as a Hamiltonian over its inputs (engine.input_hamiltonian).

Prints, without asserting (timings on a shared machine are noisy):

1. theory time per change of parameters (kernel tabulation + thermodynamics on 60 β + ground
   state + AT point), as a ratio to the 1 s interactivity target and to the kernel tabulation
   measured in the same run;
2. the gradient backends: torch autograd time / explicit NumPy back-propagation time per
   Langevin step, at a few sizes;
3. the finite-width check of the issue: tanh, C_W = 1, one hidden layer (replica symmetric at
   every β): the simulated energy density ⟨H⟩/N0 against the theory's -u(β) for width ratios
   N1/N0 = 1, 4, 16, 64, with the gap in units of its standard error. The theory is N0 -> ∞ at
   infinite width; at fixed N0 an O(1/N0) gap remains even at infinite width ratio.

    python benchmarks/bench_input_hamiltonian.py            # full (~10 minutes on 1 core)
    python benchmarks/bench_input_hamiltonian.py --quick    # smaller, ~1 minute
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import input_hamiltonian as ih  # noqa: E402
from engine.network import Network  # noqa: E402


def theory_timing():
    print("== theory per change of parameters (target < 1 s) ==")
    print(f"{'activation':>11} {'L':>2} {'C_W':>4} {'verdict':>14} {'GS':>8} {'kernel s':>9} {'theory s':>9} "
          f"{'/target':>8} {'/kernel':>8}")
    betas = np.geomspace(0.1, 20, 60)
    for act, depth, c_w in [("tanh", 1, 1.0), ("tanh", 3, 2.0), ("relu", 2, 2.0), ("sin", 1, 4.0),
                            ("erf", 5, 1.0), ("shaped_relu", 5, 1.0)]:
        t0 = time.perf_counter()
        tab = ih.TabulatedCovariance(ih.nngp_kernel(act, depth, c_w, 0.0))
        t1 = time.perf_counter()
        ih.thermodynamics(tab, betas)
        g = ih.ground_state(tab)
        ih.at_point(tab)
        t2 = time.perf_counter()
        total = t2 - t0
        print(f"{act:>11} {depth:>2} {c_w:>4.1f} {g.verdict:>14} {g.energy:8.5f} {t1 - t0:9.3f} {total:9.3f} "
              f"{total / 1.0:8.2f} {total / max(t1 - t0, 1e-9):8.1f}")


def backend_timing():
    print("\n== gradient backends, one thread each: time per step (batch = B·C rows) ==")
    print(f"{'N0':>4} {'N1':>5} {'rows':>5} {'numpy ms':>9} {'torch ms':>9} {'torch/numpy':>12}")
    for n0, n1, rows in [(32, 32, 24), (32, 512, 24), (64, 1024, 48), (32, 2048, 24)]:
        net = Network.random([n0, n1, 1], "tanh", seed=0)
        x = np.random.default_rng(0).standard_normal((rows, n0))
        times = {}
        for backend in ih.BACKENDS:
            with ih._single_thread():  # as the sampler runs them
                ih.energy_and_gradient(net, x, backend=backend)
                reps = 50
                t = time.perf_counter()
                for _ in range(reps):
                    ih.energy_and_gradient(net, x, backend=backend)
                times[backend] = (time.perf_counter() - t) / reps
        print(f"{n0:>4} {n1:>5} {rows:>5} {1e3 * times['numpy']:9.3f} {1e3 * times['torch']:9.3f} "
              f"{times['torch'] / times['numpy']:12.2f}")


def width_convergence(n0: int, n_draws: int, n_steps: int, ratios):
    betas = np.array([0.5, 1.0, 2.0, 4.0])
    xi = ih.nngp_kernel("tanh", 1, 1.0, 0.0)
    theory = ih.thermodynamics(xi, betas)
    gs = ih.ground_state(xi)
    print(f"\n== tanh, C_W = 1, C_b = 0, one hidden layer, N0 = {n0}, {n_draws} weight draws, "
          f"4 chains per β with tempering, {n_steps} Langevin steps (η = 0.01, half burn-in) ==")
    print("theory phases:", [str(p) for p in theory.phase], " theory <H>/N0 = -u:", np.round(theory.energy, 4),
          f" GS: min H/N0 -> {-gs.energy:.4f}")
    print("cells: simulated <H>/N0 ± standard error over weight draws (gap to theory in σ)")
    print(f"{'N1/N0':>6} " + " ".join(f"{'β=' + format(b, 'g'):>22}" for b in betas)
          + f" {'mean |gap|':>10} {'descent min H/N0':>17} {'sec':>6}")
    for r in ratios:
        t = time.perf_counter()
        res = ih.simulate("tanh", 1, n0=n0, width_ratio=r, betas=betas, n_chains=4, n_draws=n_draws,
                          n_steps=n_steps, step_size=0.01, n_descents=4, descent_steps=200, seed=2024)
        dt = time.perf_counter() - t
        gap = np.abs(res.energy - theory.energy)
        cells = " ".join(f"{e:+.4f}±{s:.4f} ({g / s:4.1f}σ)" for e, s, g in zip(res.energy, res.energy_err, gap))
        ge = res.ground_energy
        print(f"{r:>6} {cells} {gap.mean():10.4f} {ge[0]:+9.4f}±{ge[1]:.4f} {dt:6.1f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N0 = 32, 8 draws, ratios 1, 4, 16")
    ap.add_argument("--skip-timing", action="store_true")
    args = ap.parse_args(argv)
    print("(measured on a shared 2-core machine: timings are indicative only)\n")
    if not args.skip_timing:
        theory_timing()
        backend_timing()
    if args.quick:
        width_convergence(32, 8, 1000, [1, 4, 16])
    else:
        width_convergence(64, 32, 1000, [1, 4, 16, 64])


if __name__ == "__main__":
    main()
