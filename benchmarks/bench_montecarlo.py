"""Speed of the Monte Carlo engine, as ratios against targets and references run side by side.

Single core throughout (numba, BLAS and our chain threads pinned to one thread) except the
last section; random MLPs with W ~ N(0, 1/fan_in), no fields.

1. Single-spin Metropolis (``engine.kernels.spin_flip.layered_chains``, sequential sweeps,
   cached local fields) on [128]*8 (1024 spins): targets >= 0.025 attempts/ns at T = 2 and
   >= 0.09 at T = 0.5; on [784, 128, 64, 10] reported. Reference: ``chains_reference`` (the
   kernel's NumPy test oracle: fresh h_i = J_i·s + b_i at every step) in the same run.
2. Block heat-bath (``engine.kernels.block.block_chains``) over 32 replicas on [128]*8:
   target >= 0.08 spin updates/ns; against a vectorised NumPy block heat-bath (float32
   matmul, ``Generator.random`` uniforms) and the reference ``block_chains_reference``.
3. Against dwave-samplers' ``SimulatedAnnealingSampler`` (C++) at a fixed β on the same model
   (an Ising problem h = -b, J = -W; ``beta_range=(β, β)``, linear schedule, one read):
   per-sweep marginal cost (time at 2n sweeps minus time at n, divided by n). Target: >= 3x
   faster, our ``metropolis(...)`` through its public API.
4. The interactive budget: C(T) with error bars over 32 temperatures for a 64-32-10 net
   (106 spins) by ``parallel_tempering`` (block heat-bath, 2 chains) in under 3 s once
   compiled; reports the time (both cores and one), and the error bars reached.

Timings: time.perf_counter, a warm-up call first (compiles or loads the cache), the median of
``--repeats``; rates also by CPU time of this process (``process_time``), which is less
sensitive to other jobs on a shared machine. Usage: python benchmarks/bench_montecarlo.py
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

from engine import montecarlo as mc  # noqa: E402
from engine.ising import IsingModel  # noqa: E402
from engine.kernels import block as bk  # noqa: E402
from engine.kernels import spin_flip as sf  # noqa: E402
from engine.network import Network  # noqa: E402


#: Weights rounded to float32 (``--float32``), as PyTorch's default training leaves them, so that the
#: kernels read them as float32 (:attr:`IsingModel.kernel_data`: the same numbers, half the memory traffic).
#: Default: float64 weights (so are the zoo's).
FLOAT32 = False


def model_of(widths, seed=0, float32=None) -> IsingModel:
    """A random N(0, 1/fan_in) net, its weights rounded to float32 when ``float32`` (None: :data:`FLOAT32`)."""
    net = Network.random(widths, seed=seed)
    if FLOAT32 if float32 is None else float32:
        net.weights = [w.astype(np.float32).astype(np.float64) for w in net.weights]
    return IsingModel.from_network(net)


def timed(fn, repeats):
    """Median wall and CPU seconds of ``fn()`` over ``repeats`` calls (after one warm-up)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def timed_together(fns, repeats):
    """Median wall and CPU seconds of each of ``fns``, called in turn in every repeat (after one
    warm-up each), so that a change of load on the shared machine hits all of them alike."""
    for fn in fns:
        fn()
    wall, cpu = [[] for _ in fns], [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - w0)
            cpu[k].append(time.process_time() - c0)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu)]


def line(label, value, unit, target=None, ref=None, ref_label="reference", extra=""):
    parts = [f"{label:<48s} {value:10.4f} {unit}"]
    if target is not None:
        parts.append(f"= {value / target:5.2f}x target {target}")
    if ref is not None:
        parts.append(f"= {value / ref:8.1f}x {ref_label}")
    print("  ".join(parts) + (f"  {extra}" if extra else ""))


def chains_for(model, T, n_rows, kind, rule=sf.METROPOLIS, seed=0):
    rng = np.random.default_rng(seed)
    spins = model.random_spins(n_rows, seed=rng)
    if kind == "block":
        return mc._Chains(model, spins[None], np.full((1, n_rows), 1.0 / T), rng, "block", n_threads=1)
    return mc._Chains(model, spins[:, None], np.full((n_rows, 1), 1.0 / T), rng, kind, rule, n_threads=1)


# ------------------------------------------------------------------------------ 1. single spin

def single_spin(args):
    print("\n1. single-spin Metropolis, one replica, sequential sweeps (attempts/ns; CPU-time rate in brackets)")
    for widths in ([128] * 8, [784, 128, 64, 10]):
        model = model_of(widths)
        N = model.n_spins
        J = model.dense_couplings()
        for T, target in ((2.0, 0.025), (0.5, 0.09)):
            chains = chains_for(model, T, 1, "layered")
            chains.run(200)  # equilibrate: the acceptance (and the cost) depends on the state
            f0 = chains.flips.sum()
            wall, cpu = timed(lambda: chains.run(args.sweeps), args.repeats)
            acc = (chains.flips.sum() - f0) / ((args.repeats + 1) * args.sweeps * N)
            rate, rate_cpu = args.sweeps * N / wall / 1e9, args.sweeps * N / cpu / 1e9
            s = chains.row_spins()
            seeds = np.array([[12345]], dtype=np.uint64)
            ref_wall, _ = timed(lambda: sf.chains_reference(J, model.fields, s, np.array([[1 / T]]), seeds,
                                                            sf.METROPOLIS, np.ones(1)), 1)
            ref_rate = N / ref_wall / 1e9
            line(f"{widths if len(widths) < 5 else '[128]*8'} T={T}", rate, "att/ns",
                 target if widths == [128] * 8 else None, ref_rate,
                 extra=f"[cpu {rate_cpu:.4f}]  acceptance {acc:.3f}")


# ------------------------------------------------------------------------------ 2. block heat-bath

def numpy_block(model, R, T, seed=0):
    """A vectorised NumPy block heat-bath over R replicas (what one would write without numba)."""
    rng = np.random.default_rng(seed)
    ws = [w.astype(np.float32) for w in model.layer_weights]
    layers = [np.where(rng.random((R, n)) < 0.5, 1.0, -1.0).astype(np.float32) for n in model.layer_sizes]
    top = len(layers) - 1
    beta = 1.0 / T

    def sweep():
        for parity in (0, 1):
            for k in range(parity, top + 1, 2):
                h = np.zeros((R, model.layer_sizes[k]), np.float32)
                if k > 0:
                    h += layers[k - 1] @ ws[k - 1].T
                if k < top:
                    h += layers[k + 1] @ ws[k]
                up = rng.random(h.shape) * (1.0 + np.exp(-2.0 * beta * h)) < 1.0
                layers[k] = np.where(up, np.float32(1), np.float32(-1))

    return sweep


def block(args):
    print("\n2. block heat-bath, 32 replicas, [128]*8 (spin updates/ns)")
    model = model_of([128] * 8)
    R, N, T = 32, model.n_spins, 1.0
    chains = chains_for(model, T, R, "block")
    wall, cpu = timed(lambda: chains.run(args.block_sweeps), args.repeats)
    rate, rate_cpu = args.block_sweeps * R * N / wall / 1e9, args.block_sweeps * R * N / cpu / 1e9
    sweep = numpy_block(model, R, T)

    def numpy_run():
        for _ in range(args.block_sweeps // 10):
            sweep()

    np_wall, _ = timed(numpy_run, args.repeats)
    np_rate = (args.block_sweeps // 10) * R * N / np_wall / 1e9
    s = chains.row_spins()
    seeds = np.arange(1, R + 1, dtype=np.uint64)[None]
    ref_wall, _ = timed(lambda: bk.block_chains_reference(model.layer_weights, model.fields, s,
                                                          np.full((1, R), 1 / T), seeds, np.ones(1)), 1)
    ref_rate = R * N / ref_wall / 1e9
    line("block heat-bath, numba sampling + float32 GEMM", rate, "upd/ns", 0.08, np_rate, "vectorised NumPy",
         extra=f"[cpu {rate_cpu:.4f}]  = {rate / ref_rate:.0f}x reference")


# ------------------------------------------------------------------------------ 3. dwave-samplers

def dwave(args):
    print("\n3. against dwave-samplers SimulatedAnnealingSampler at fixed beta, [128]*8 "
          "(marginal us per sweep, one replica)")
    try:
        import dimod
        from dwave.samplers import SimulatedAnnealingSampler
    except ImportError:
        print("  dwave-samplers is not installed (pip install -r benchmarks/requirements.txt): skipped")
        return
    model = model_of([128] * 8)
    J = model.couplings().tocoo()
    upper = J.row < J.col
    bqm = dimod.BinaryQuadraticModel.from_ising(
        {i: -float(b) for i, b in enumerate(model.fields)},
        {(int(i), int(j)): -float(v) for i, j, v in zip(J.row[upper], J.col[upper], J.data[upper])})
    sampler = SimulatedAnnealingSampler()
    n = args.dwave_sweeps
    for T in (2.0, 0.5):
        beta = 1.0 / T

        def theirs(k):
            return lambda: sampler.sample(bqm, beta_range=(beta, beta), beta_schedule_type="linear", num_reads=1,
                                          num_sweeps=k, seed=1)

        def ours(k):
            return lambda: mc.metropolis(model, T, k, seed=1, n_threads=1)

        (t1, c1), (t2, c2), (o1, d1), (o2, d2) = timed_together([theirs(n), theirs(2 * n), ours(n), ours(2 * n)],
                                                                 args.repeats)
        d, o = (t2 - t1) / n * 1e6, (o2 - o1) / n * 1e6
        dc, oc = (c2 - c1) / n * 1e6, (d2 - d1) / n * 1e6
        print(f"  T={T}: wall: dwave {d:7.2f} us/sweep, ours {o:7.2f} us/sweep = {d / o:5.2f}x faster"
              f" (= {d / o / 3:4.2f}x target 3x);  CPU time: dwave {dc:7.2f}, ours {oc:7.2f} = {dc / oc:5.2f}x")
    # sanity: both samplers sample the same law (mean energy over 16 reads after 400 sweeps at T = 2)
    reads = sampler.sample(bqm, beta_range=(0.5, 0.5), beta_schedule_type="linear", num_reads=16,
                           num_sweeps=400, seed=2).record.energy
    ours = mc.metropolis(model, 2.0, 400, spins=model.random_spins(16, seed=2), seed=2).energy
    print(f"  same physics at T=2 after 400 sweeps, 16 reads: dwave E = {reads.mean():.1f} +- "
          f"{reads.std(ddof=1) / 4:.1f}, ours {ours.mean():.1f} +- {ours.std(ddof=1) / 4:.1f}")


# ------------------------------------------------------------------------------ 4. interactive budget

def budget(args):
    print("\n4. interactive budget: C(T) over 32 temperatures, 64-32-10 net (106 spins), block heat-bath PT")
    model = model_of([64, 32, 10])
    ladder = mc.geometric_ladder(0.1, 3.0, 32)
    mc.parallel_tempering(model, ladder, 50, seed=0)  # warm-up
    for n_threads in (2, 1):
        t0 = time.perf_counter()
        run = mc.parallel_tempering(model, ladder, args.pt_sweeps, n_replicas=2, seed=1, n_threads=n_threads)
        wall = time.perf_counter() - t0
        rel = run.C_err / run.C
        k = int(np.argmax(run.C))
        print(f"  {n_threads} thread(s): {args.pt_sweeps} + {run.n_burn} burn-in sweeps x 2 chains x 32 T: "
              f"{wall:.2f} s (= {3.0 / wall:.2f}x faster than the 3 s budget)")
    print(f"  C/N peak {run.c_per_spin[k]:.4f} +- {run.c_err_per_spin[k]:.4f} at T = {run.T[k]:.3f}; "
          f"relative error of C: median {np.median(rel):.3f}, max {np.max(rel):.3f}; "
          f"U/N error max {np.max(run.u_err_per_spin):.2e}; swap acceptance min {np.min(run.swap_acceptance):.2f}, "
          f"max tau_int {np.max(run.tau_int):.1f} sweeps")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sweeps", type=int, default=400, help="single-spin sweeps per timing")
    p.add_argument("--block-sweeps", type=int, default=100, help="block sweeps per timing")
    p.add_argument("--dwave-sweeps", type=int, default=2000, help="n for the marginal cost (n vs 2n sweeps)")
    p.add_argument("--pt-sweeps", type=int, default=20000, help="measured sweeps of the interactive PT run")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--only", choices=["single", "block", "dwave", "budget"], default=None)
    p.add_argument("--float32", action="store_true",
                   help="weights rounded to float32, as PyTorch trains them (default: float64, as the zoo's)")
    args = p.parse_args(argv)
    global FLOAT32
    FLOAT32 = args.float32
    load = os.getloadavg()
    print(f"Monte Carlo benchmarks; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores "
          f"(numbers fall with load); weights {'rounded to float32' if FLOAT32 else 'float64'}")
    mc._warm()
    for name, fn in (("single", single_spin), ("block", block), ("dwave", dwave), ("budget", budget)):
        if args.only in (None, name):
            fn(args)


if __name__ == "__main__":
    main()
