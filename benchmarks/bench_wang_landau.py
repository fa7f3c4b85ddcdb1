"""Wang-Landau speed: ns per step against the NumPy reference, and the interactive budget.

    python benchmarks/bench_wang_landau.py [--seconds 15] [--quick]

1. ns per step (one proposed single-spin flip, cached fields, neighbour update on acceptance) of
   the numba kernel, as CPU time (``time.process_time``, robust to other processes sharing the
   cores) and wall time, on random N(0, 1/fan_in) networks (float64 weights, and beside them the
   same weights rounded to float32, which the kernel then reads as float32); the NumPy reference
   (:func:`engine.kernels.wang_landau.walk_reference`) measured in the same run gives the ratio.
   Target: <= 20 ns per step. Beside it, measured in the same run: the same walk with every field
   update applied at once ('imm ns'; the driver defers them to the end of each layer run, see
   :mod:`engine.kernels.wang_landau`), and the cost of those immediate updates alone: the same
   number of accepted flips of random spins (the walk's acceptance), each adding 2 s_i' J_i to
   the fields of i's neighbours with the kernel's own update
   (:func:`engine.kernels.gray.flip_update`), the floor of a walk that updates at once.
2. The interactive budget: a DOS for a zoo-like 64-32-10 network (106 spins) to the pages'
   default log_f_final = 1e-6 and to 1e-8, or whatever ``--seconds`` allows; time, bins, ln f reached, symmetry
   error (max and rms over mirror pairs); 1 window against 2 windows on the two cores.
3. Exact enumeration: ns per state of the Gray-code kernel against the brute-force NumPy sum.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numba import njit  # noqa: E402

from engine.exact import exact_energies  # noqa: E402
from engine.ising import IsingModel  # noqa: E402
from engine.kernels import wang_landau as K  # noqa: E402
from engine.kernels.gray import energies_reference, flip_update  # noqa: E402
from engine.network import Network  # noqa: E402
from engine.wang_landau import _segments, energy_grid, resolve_bins, site_schedule, wang_landau  # noqa: E402


def random_net(widths, float32=False):
    """A random N(0, 1/fan_in) network; ``float32``: weights rounded to float32, as PyTorch's default training
    leaves them, so that the kernels read them as float32 (:attr:`IsingModel.kernel_data`; the same numbers,
    half the memory traffic of a field update). Default float64, as the zoo's networks."""
    net = Network.random(widths, seed=0)
    if float32:
        net.weights = [w.astype(np.float32).astype(np.float64) for w in net.weights]
    return net


def immediate(model):
    """The driver's site schedule with every field update applied at once."""
    return site_schedule(model)._replace(deferred=False)


def _state(model, grid, ext):
    s = ext.s_min.copy()
    e = model.energy(s)
    B = grid.n_bins
    return [s, model.local_fields(s), np.zeros(B), np.zeros(B, dtype=np.int64), np.zeros(B, dtype=np.bool_),
            np.array([e, 1e-3, e, e]), np.zeros(K.N_COUNTERS, dtype=np.int64)]


@njit(cache=True)
def _updates_only(h, flipped, two_s, seg_ptr, seg_target, seg_start, seg_len, data):
    """The field updates of the flips ``flipped`` (spin indices) with signs ``two_s``: the floor of a walk."""
    for q in range(flipped.size):
        flip_update(flipped[q], two_s[q], h, seg_ptr, seg_target, seg_start, seg_len, data)


def update_floor(model, segs, n_steps, acceptance, seed=0):
    """CPU ns per step of the field updates alone, for ``acceptance * n_steps`` flips of random spins."""
    rng = np.random.default_rng(seed)
    n_flips = int(acceptance * n_steps)
    flipped = rng.integers(0, model.n_spins, n_flips)
    two_s = np.where(rng.random(n_flips) < 0.5, -2.0, 2.0)
    h = np.zeros(model.n_spins)
    _updates_only(h, flipped[:10], two_s[:10], *segs, model.kernel_data)  # compile / load
    c0 = time.process_time()
    _updates_only(h, flipped, two_s, *segs, model.kernel_data)
    return (time.process_time() - c0) / n_steps * 1e9


def ns_per_step(widths, n_kernel, n_ref, schedule=None, float32=False, repeats=1):
    """(kernel CPU ns, kernel wall ns, reference ns, acceptance, bins, update floor ns) per step on a random net.

    schedule: the site schedule (None = the driver's, :func:`engine.wang_landau.site_schedule`);
    float32: see :func:`random_net`; repeats: kernel timings of ``n_kernel`` steps each, the median
    reported (CPU ns then a list: median, min, max).
    """
    model = IsingModel.from_network(random_net(widths, float32))
    schedule = site_schedule(model) if schedule is None else schedule(model)
    width, _, ext = resolve_bins(model)
    bound = model.energy_bound()
    grid = energy_grid(model, width, -bound - width, bound + width)
    segs = _segments(model)
    st = _state(model, grid, ext)
    args = (0, grid.n_bins)
    tail = (grid.origin, 1.0 / grid.width, 0.8, 1e-300, True, 10 ** 15)  # never flat: a pure 1st-stage walk

    def run(n):
        K.walk(n, *st, *args, K.walker_streams(1, 2), *segs, model.kernel_data, *schedule, *tail)

    run(10_000)  # compile / warm caches; the walk has opened its bins
    cpus, walls, a0 = [], [], st[6][K.N_ACCEPTED]
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        run(n_kernel)
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - t0)
    cpu, wall = float(np.median(cpus)), float(np.median(walls))
    acc = (st[6][K.N_ACCEPTED] - a0) / (repeats * n_kernel)
    t0 = time.perf_counter()
    K.walk_reference(n_ref, *st, *args, (1, 2), model.indptr, model.indices, model.data, *schedule, grid.origin,
                     grid.width, 0.8, 1e-300, True, 10 ** 15)
    ref = time.perf_counter() - t0
    floor = update_floor(model, segs, n_kernel, acc)
    ns = [x / n_kernel * 1e9 for x in (cpu, min(cpus), max(cpus))]
    return (ns if repeats > 1 else ns[0]), wall / n_kernel * 1e9, ref / n_ref * 1e9, acc, grid.n_bins, floor


def budget(seconds, n_windows, log_f_final):
    model = IsingModel.from_network(random_net([64, 32, 10]))
    t0, c0 = time.perf_counter(), time.process_time()
    dos = wang_landau(model, log_f_final=log_f_final, seed=0, max_seconds=seconds, n_windows=n_windows)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    i, j = dos._mirror_pairs()
    rms = float(np.sqrt(np.mean((dos.log_g[i] - dos.log_g[j]) ** 2)))
    return dos, wall, cpu, rms


def enumeration(n):
    rng = np.random.default_rng(0)
    J = np.triu(rng.normal(size=(n, n)), 1)
    J = J + J.T
    model = IsingModel.from_couplings(J)
    exact_energies(IsingModel.from_couplings(J[:4, :4]))  # compile
    t0 = time.perf_counter()
    exact_energies(model)
    gray = (time.perf_counter() - t0) / 2 ** n * 1e9
    t0 = time.perf_counter()
    energies_reference(J, np.zeros(n))
    brute = (time.perf_counter() - t0) / 2 ** n * 1e9
    return gray, brute


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15.0, help="time budget of the interactive DOS")
    p.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    a = p.parse_args(argv)
    n_kernel, n_ref = (2_000_000, 5_000) if a.quick else (20_000_000, 20_000)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings are noisy under load)\n")

    print("1. Wang-Landau step (target <= 20 ns): numba kernel vs NumPy reference, same run; float64 weights (as"
          " the zoo's); 'f32 ns': the weights rounded to float32 (as PyTorch trains them), which the kernel then"
          " reads as float32; CPU ns is the median of 3 timings (min-max); 'imm ns': the same walk updating the"
          " fields at every flip instead of at the end of each layer run; 'upd ns': those immediate updates alone"
          " (the floor of 'imm ns')")
    print(f"{'network':<16}{'bins':>6}{'accept':>7}{'CPU ns (min-max)':>19}{'wall ns':>8}{'f32 ns':>8}{'imm ns':>8}"
          f"{'ref ns':>8}{'speed-up':>9}{'upd ns':>7}")
    for widths in ([64, 32, 10], [128] * 8, [784, 128, 64, 10]):
        (cpu, lo, hi), wall, ref, acc, bins, floor = ns_per_step(widths, n_kernel, n_ref, repeats=3)
        f32 = ns_per_step(widths, n_kernel, 10, float32=True)[0]
        imm = ns_per_step(widths, n_kernel, 10, schedule=immediate)[0]
        name = "-".join(map(str, widths)) if len(set(widths)) > 1 else f"[{widths[0]}]x{len(widths)}"
        print(f"{name:<16}{bins:>6}{acc:>7.2f}{cpu:>8.1f} ({lo:4.1f}-{hi:4.1f}){wall:>8.1f}{f32:>8.1f}{imm:>8.1f}"
              f"{ref:>8.0f}{ref / cpu:>8.0f}x{floor:>7.1f}   {'meets' if cpu <= 20 else 'misses'} 20 ns ({cpu / 20:.2f}x the"
              f" target; the walk with immediate updates takes {imm / cpu:.2f}x as long)")

    print(f"\n2. Interactive budget (15 s): 64-32-10 random net (106 spins), max_seconds={a.seconds}")
    print(f"{'target':<8}{'windows':<9}{'wall s':>7}{'CPU s':>7}{'bins':>6}{'ln f':>10}{'conv':>6}{'steps':>10}"
          f"{'sym max':>9}{'sym rms':>9}{'W/N':>7}{'E_min/N':>9}")
    for log_f_final, n_windows in ((1e-6, 1), (1e-6, 2), (1e-8, 1), (1e-8, 2)):
        dos, wall, cpu, rms = budget(a.seconds, n_windows, log_f_final)
        print(f"{log_f_final:<8.0e}{n_windows:<9}{wall:>7.1f}{cpu:>7.1f}{dos.n_bins:>6}{dos.log_f:>10.2e}{str(dos.converged):>6}"
              f"{dos.n_steps:>10.3g}{dos.symmetry_error():>9.3f}{rms:>9.3f}{dos.width / dos.n_spins:>7.3f}"
              f"{dos.e_min / dos.n_spins:>9.3f}")

    n = 16 if a.quick else 20
    gray, brute = enumeration(n)
    print(f"\n3. Exact enumeration, dense {n} spins: Gray code {gray:.1f} ns/state, NumPy brute force "
          f"{brute:.1f} ns/state ({brute / gray:.0f}x)")


if __name__ == "__main__":
    main()
