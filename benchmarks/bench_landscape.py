"""Speed of the loss-landscape engine, as ratios against references run side by side.

1. A 51×51 random-direction surface (filter-normalised, 2601 grid points) of the 64-32-10 tanh
   digits model of the zoo on its 1347 training examples: the engine's evaluation
   (``landscape.loss_surface``: K parameter vectors per forward as (K, B, n) batched matmuls,
   and the first layer's pre-activation, linear in θ, combined from k+1 precomputed ones)
   against a plain Python loop over the grid points (one forward per point, the same torch
   code), against the batched forward alone (no first-layer reuse) and against
   ``torch.func.vmap`` of the single-vector loss. Repeated on a 128-example subset, where
   per-call overhead rather than arithmetic dominates the loop. Expect the gain to be modest
   on the full set: every variant pays the same elementwise work per point (torch's float64
   tanh, ~15 ns per element here), which batching cannot remove.
2. The Hessian of the same model (2410 parameters): the exact spectrum (torch.func Hessian,
   ``numpy.linalg.eigvalsh``, end vectors by Lanczos on the dense H) against Lanczos for the
   top 5 eigenvalues (``eigsh`` on Hessian-vector products by double backward), with their
   agreement; and Hutchinson's trace against the exact one.

Usage: python benchmarks/bench_landscape.py [--resolution 51] [--repeats 3] [--skip-hessian]
The machine is shared; numbers vary with the load (the script prints the load average).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import landscape as L  # noqa: E402
from engine.network import Network  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "sample_models" / "digits-64-32-10-tanh-s0-e30.safetensors"


def model() -> Network:
    if MODEL.exists():
        return Network.load(MODEL)
    from engine.data import load_dataset
    from engine.training import NetworkSpec, train

    print(f"{MODEL.name} not built; training the same architecture for 30 epochs")
    return train(NetworkSpec((32,), "tanh"), load_dataset("digits", seed=0), epochs=30, lr=1e-3,
                 batch_size=32, seed=0).network


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def best_of(fns: dict, repeats: int):
    """Best wall time of each function over ``repeats`` interleaved rounds (the least disturbed by load)."""
    best = {name: np.inf for name in fns}
    out = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            out[name], t = timed(fn)
            best[name] = min(best[name], t)
    return out, best


def surfaces(net, data, resolution, repeats):
    import torch
    from torch.func import vmap

    n = resolution * resolution
    print(f"\n1. {resolution}x{resolution} surface ({n} points), {net.describe()}, {data.describe()}, "
          f"best of {repeats}")
    obj = L._Objective(net, data)
    rng = np.random.default_rng(0)
    D = torch.from_numpy(np.stack([L.random_direction(net, seed=rng), L.random_direction(net, seed=rng)]))
    axis = np.linspace(-1, 1, resolution)
    A, B = np.meshgrid(axis, axis)
    C = torch.from_numpy(np.stack([A.ravel(), B.ravel()], axis=1))

    def engine():
        return L.loss_surface(net, data, seed=0, resolution=resolution).loss.ravel()

    def loop():
        out = np.empty(n)
        for k in range(n):
            out[k] = float(obj.losses((obj.theta0 + C[k] @ D)[None])[0][0])
        return out

    def plain_batches():
        return torch.cat([obj.losses(obj.theta0 + C[i:i + 64] @ D)[0] for i in range(0, n, 64)]).numpy()

    def vmapped():
        single = vmap(obj.loss)
        with torch.no_grad():
            return torch.cat([single(obj.theta0 + C[i:i + 64] @ D) for i in range(0, n, 64)]).numpy()

    out, best = best_of({"engine": engine, "loop": loop, "batched": plain_batches, "vmap": vmapped}, repeats)
    ref = best["loop"]
    labels = {"engine": "engine (batched + first-layer reuse)", "loop": "plain loop over points (reference)",
              "batched": "batched forward alone (64 per call)", "vmap": "torch.func.vmap (64 per call)"}
    for name, t in best.items():
        print(f"   {labels[name]:<38} {t:7.2f} s   {ref / t:5.1f}x the loop's speed")
    worst = max(np.max(np.abs(out[k] - out["engine"])) for k in out)
    print(f"   largest difference from the engine: {worst:.1e} nats")


def hessian(net, data):
    print(f"\n2. Hessian spectrum, {net.n_params} parameters, {data.describe()}")
    exact, t_exact = timed(lambda: L.hessian_spectrum(net, data, method="exact"))
    print(f"   exact (torch.func H + eigvalsh):{t_exact:7.2f} s   λ_max {exact.lambda_max:.6g}, "
          f"λ_min {exact.lambda_min:.4g}, tr H {exact.trace:.5g}")
    top5, t_top = timed(lambda: L.hessian_spectrum(net, data, method="lanczos", top=5, bottom=0))
    print(f"   Lanczos top-5:                   {t_top:7.2f} s   exact is {t_exact / t_top:5.1f}x slower")
    err = np.max(np.abs(top5.eigenvalues - exact.eigenvalues[-5:]) / np.abs(exact.eigenvalues[-5:]))
    print(f"   top-5 relative difference Lanczos vs exact: {err:.1e}")
    both, t_both = timed(lambda: L.hessian_spectrum(net, data, method="lanczos", top=5, bottom=1))
    print(f"   Lanczos top-5 + most negative:   {t_both:7.2f} s   λ_min {both.lambda_min:.4g} "
          f"(exact {exact.lambda_min:.4g})")
    tr, t_tr = timed(lambda: L.hutchinson_trace(net, data, n_probes=100, seed=0))
    print(f"   Hutchinson, 100 probes:          {t_tr:7.2f} s   tr H {tr.trace:.5g} ± {tr.stderr:.2g} "
          f"({(tr.trace - exact.trace) / tr.stderr:+.1f} σ from exact)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=51)
    parser.add_argument("--repeats", type=int, default=3, help="timings per variant; the best is kept")
    parser.add_argument("--skip-hessian", action="store_true")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as the engine runs (landscape._one_thread), so the references match it
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; torch on one thread")
    net = model()
    data = L.loss_data(net)
    surfaces(net, data, args.resolution, args.repeats)
    surfaces(net, L.loss_data(net, n_samples=128, seed=0), args.resolution, args.repeats)
    if not args.skip_hessian:
        hessian(net, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
