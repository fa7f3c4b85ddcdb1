"""Speed of the replica-overlap analysis, as ratios against references run side by side.

Single core (numba and BLAS pinned to one thread); the default model of the app (the zoo's
digits 64-32-10 tanh net, 106 spins), 20 temperatures over 0.05-3 x typical_field, 4 replicas.

1. Agreement counts (``engine.replicas._agreement_kernel``) against its NumPy reference
   ``agreement_counts_reference`` on 1000 samples x 6 pairs x 20 temperatures x 106 spins
   (4 groups). Target: the kernel at least as fast as the reference (it exists to avoid the
   reference's (S, P, T, N) temporaries, which grow with the model).
2. The analysis against the sampling it analyses: one run of ``replica_overlaps`` (2000 + 500
   sweeps, 1000 kept samples) split into parallel tempering and overlaps + statistics
   (``overlap_stats``, one P(q)). Target: the analysis under 10 % of the sampling, so that the
   page's live updates are spent sampling.
3. The page's live tick: pooling 10 runs (``merge``) and recomputing every statistic and one
   P(q), the work each live update repeats; reported in seconds (target < 0.5 s).

Timings: time.perf_counter, a warm-up call first (compiles or loads the cache), the median of
``--repeats``. Usage: python benchmarks/bench_replicas.py [--repeats 5]
"""
from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # single core: set before numpy / numba load their thread pools

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import replicas as rp  # noqa: E402
from engine.ising import IsingModel  # noqa: E402
from engine.montecarlo import geometric_ladder, parallel_tempering, typical_field  # noqa: E402
from engine.network import Network  # noqa: E402
from engine.zoo import DEFAULT_MODEL, ZOO_DIR  # noqa: E402


def timed(fn, repeats):
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    model = IsingModel.from_network(Network.load(Path(ZOO_DIR) / f"{DEFAULT_MODEL}.safetensors"))
    tf = typical_field(model)
    T = geometric_ladder(0.05 * tf, 3 * tf, 20)
    print(f"model {DEFAULT_MODEL}: N = {model.n_spins}, 20 temperatures, 4 replicas, one core\n")

    # 1. kernel vs reference
    pt = parallel_tempering(model, T, 2000, n_replicas=4, keep_samples=1000, seed=0, n_threads=1)
    S = pt.samples
    pairs = rp.replica_pairs(4)
    starts = np.array([0, 64, 96, 0])
    stops = np.array([64, 96, 106, 106])
    np.testing.assert_array_equal(rp.agreement_counts(S, pairs, starts, stops),
                                  rp.agreement_counts_reference(S, pairs, starts, stops))
    t_k = timed(lambda: rp.agreement_counts(S, pairs, starts, stops), args.repeats)
    t_r = timed(lambda: rp.agreement_counts_reference(S, pairs, starts, stops), args.repeats)
    print(f"1. agreement counts, {S.shape[0]} samples x 6 pairs x 20 T x 106 spins: kernel {t_k * 1e3:.1f} ms, "
          f"NumPy reference {t_r * 1e3:.1f} ms -> {t_r / t_k:.1f}x (target >= 1x)")

    # 2. analysis vs sampling
    t_pt = timed(lambda: parallel_tempering(model, T, 2000, n_replicas=4, keep_samples=1000, seed=0, n_threads=1),
                 max(1, args.repeats // 2))

    def analyse():
        ov = rp.overlaps_from_samples(S, model.layer_slices(), names=rp.layer_names(model), _check_values=False)
        rp.overlap_stats(ov)
        rp.overlap_histogram(ov, -1, 0)

    t_an = timed(analyse, args.repeats)
    print(f"2. one run: parallel tempering {t_pt:.2f} s, overlaps + statistics + P(q) {t_an * 1e3:.0f} ms -> "
          f"analysis = {100 * t_an / t_pt:.1f} % of sampling (target < 10 %)")

    # 3. live tick after 10 runs
    one = rp.replica_overlaps(model, T, 2000, n_replicas=4, seed=0, n_threads=1)
    runs = [one]
    for k in range(1, 10):  # the same samples relabelled: the cost depends only on the sizes
        runs.append(rp.ReplicaResult(**{**one.__dict__, "run_ids": [(0, k)]}))

    def tick():
        pooled = runs[0]
        for r in runs[1:]:
            pooled = pooled.merge(r)
        pooled.stats  # noqa: B018  (computes every estimator)
        pooled.pq(-1, 0)
        pooled.central_weight(-1, 0)
        pooled.to_frame()

    t_tick = timed(tick, args.repeats)
    print(f"3. live tick with 10 runs pooled (10,000 samples x 6 pairs): {t_tick:.3f} s (target < 0.5 s)")
    print("\nMeasured on a shared 2-core machine under load: ratios are more reliable than seconds.")


if __name__ == "__main__":
    main()
