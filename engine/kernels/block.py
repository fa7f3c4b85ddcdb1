"""Block heat-bath for layered Ising models: whole layers sampled at once, beside its NumPy reference.

The layer graph of a network's Ising model (Stosic, Stosic & Stosic, arXiv:2209.08678;
PHYSICS.md section 3) is bipartite: even layers couple only to odd layers. Given the odd
layers, every even-layer spin is independent of the others, with local field
``h_k = W_{k-1} s_{k-1} + W_kᵀ s_{k+1} + b_k`` and heat-bath law
``P(s_i = +1) = 1 / (1 + exp(-2 h_i / T))``. A sweep samples all even layers, then all odd
layers: an exact Gibbs step for the whole graph. Over the P rows (replicas, or the
temperatures of a tempering ladder, each with its own T) of a chain the fields of a layer are
one matrix product ``H_k = S_{k-1} W_{k-1}ᵀ + S_{k+1} W_k`` of shapes (P, n_{k-1})(n_{k-1}, n_k):
a GEMM handed to BLAS (``np.dot`` inside numba calls the same BLAS as SciPy), followed by
the sampling step in numba: s_i = +1 iff 2u - 1 < tanh(h_i/T), since
P(s_i = +1) = (1 + tanh(h_i/T))/2. The uniforms of a row are drawn first and the draw itself
runs branch-free with the polynomial tanh of :mod:`engine.kernels.thermal_machine`, so that
it vectorises (a branchy draw with libm's exp cost ~4x more, more than the GEMMs).

Precision: spins and weights enter the GEMM as float32 (spins ±1 are exact; the fields
then carry a relative rounding error of ~1e-7, immaterial for a sampling probability, and
the single-precision GEMM runs about twice as fast as double). The fields are then promoted
to float64; the energy of each row is accumulated in float64 from the odd-layer fields
(every bond joins an odd and an even layer):
``E = -Σ_{k odd} s_k · (H_k - b_k) - Σ_k b_k · s_k``.

Layout: chain c keeps its spins as float32 ``x[c]``, layer by layer, each layer a (P, n_k)
block starting at ``P * offsets[k]`` (:func:`to_block_layout`). Rows (positions p) own their
random streams ``rng[c, p]``; a row draws one uniform per spin it samples, in the order
layer, row, spin. Tempering swaps between neighbouring temperatures are those of
:mod:`engine.kernels.spin_flip` (deterministic even-odd rounds after every sweep). Chains are
independent, each with its own GEMMs; the kernel releases the GIL so that the caller may run
disjoint ranges of chains in parallel threads, and results do not depend on the thread count.

References: Geman & Geman, IEEE PAMI 6, 721 (1984) (Gibbs sampling); Hinton, Neural Comput.
14, 1771 (2002) (blocked Gibbs on bipartite Boltzmann machines).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rng import next_uniform
from .rng import ReferenceStream
from .spin_flip import _record, _swap_neighbours, reference_swap
from .mathfn import FASTMATH, fast_tanh

DTYPE = np.float32


# ------------------------------------------------------------------------------ layout

def to_block_layout(spins, offsets, dtype=DTYPE) -> np.ndarray:
    """(C, P, N) ±1 spins -> (C, P*N) layer-major blocks: layer k of chain c is (P, n_k)."""
    spins = np.asarray(spins)
    C, P, N = spins.shape
    blocks = [spins[:, :, a:b].reshape(C, -1) for a, b in zip(offsets[:-1], offsets[1:])]
    return np.ascontiguousarray(np.concatenate(blocks, axis=1), dtype=dtype)


def from_block_layout(x, offsets, n_rows) -> np.ndarray:
    """Inverse of :func:`to_block_layout`: (C, P*N) -> (C, P, N) int8."""
    C = x.shape[0]
    layers = [x[:, n_rows * a:n_rows * b].reshape(C, n_rows, b - a) for a, b in zip(offsets[:-1], offsets[1:])]
    return np.concatenate(layers, axis=2).astype(np.int8)


# ------------------------------------------------------------------------------ kernel

@njit(cache=True, nogil=True)
def _uniforms(u, st):
    """Fill u with the next uniforms of stream st (kept apart so the sampling loop vectorises)."""
    for j in range(u.size):
        u[j] = next_uniform(st)


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def _sample_row(s, a, b, bias, beta, u):
    """Heat-bath draw of one row of a layer: s_j = +1 iff 2 u_j - 1 < tanh(β h_j).

    s (n,) float32 spins (overwritten); a, b (n,) float32 fields from the layers below and
    above; bias (n,); u (n,) uniforms. P(s=+1) = (1 + tanh βh)/2 = 1/(1 + e^{-2βh}); tanh is
    the branch-free polynomial of :mod:`engine.kernels.thermal_machine`, so the loop has no
    branch and vectorises (libm's exp would not). Returns (spins changed, Σ b_j s_j,
    Σ s_j (a_j + b_j)).
    """
    flips = 0
    field = 0.0
    coupling = 0.0
    for j in range(s.size):
        hc = np.float64(a[j]) + np.float64(b[j])
        t = fast_tanh(beta * (hc + bias[j]))
        sn = np.float32(1.0) if 2.0 * u[j] - 1.0 < t else np.float32(-1.0)
        flips += s[j] != sn
        s[j] = sn
        field += bias[j] * sn
        coupling += sn * hc
    return flips, field, coupling


@njit(cache=True, nogil=True)
def _block_sweep(xc, ac, bc, w, wt, w_off, offsets, bias, betas, scale, rng, e, flips, u):
    """One block heat-bath sweep (even layers, then odd layers) of one chain.

    Energies after the sweep -> e (P,); flips (P,) += spins that changed; u scratch (n_max,).
    """
    n_rows = betas.size
    top = offsets.size - 2  # index of the last layer
    e[:] = 0.0
    for parity in range(2):
        for k in range(parity, top + 1, 2):
            lo = offsets[k]
            n = offsets[k + 1] - lo
            S = xc[n_rows * lo:n_rows * (lo + n)].reshape(n_rows, n)
            A = ac[:n_rows * n].reshape(n_rows, n)
            B = bc[:n_rows * n].reshape(n_rows, n)
            if k > 0:  # from the layer below: S_{k-1} W_{k-1}ᵀ
                m = lo - offsets[k - 1]
                np.dot(xc[n_rows * offsets[k - 1]:n_rows * lo].reshape(n_rows, m),
                       wt[w_off[k - 1]:w_off[k]].reshape(m, n), A)
            else:
                A[:] = 0.0
            if k < top:  # from the layer above: S_{k+1} W_k
                m = offsets[k + 2] - offsets[k + 1]
                np.dot(xc[n_rows * offsets[k + 1]:n_rows * offsets[k + 2]].reshape(n_rows, m),
                       w[w_off[k]:w_off[k + 1]].reshape(m, n), B)
            else:
                B[:] = 0.0
            uk = u[:n]
            for p in range(n_rows):
                _uniforms(uk, rng[p])
                nf, field, coupling = _sample_row(S[p], A[p], B[p], bias[lo:lo + n], betas[p] * scale, uk)
                flips[p] += nf
                e[p] -= field
                if parity == 1:  # odd-layer fields see the final even layers: every bond once
                    e[p] -= coupling


@njit(cache=True, nogil=True)
def block_chains(c_start, c_stop, x, a, b, w, wt, w_off, offsets, bias, e, betas, rng, flips, scale,
                 pos_of_temp, swap_rng, swap_acc, swap_att, do_swap, t0, trace, sample_at, samples):
    """``scale.size`` block heat-bath sweeps of chains ``c_start:c_stop``, in place.

    x (C, P*N) float32 spins in block layout; a, b (C, P*n_max) float32 scratch; w, wt, w_off,
    offsets from :func:`engine.kernels.spin_flip.pack_layers` (float32); bias (N,) float64;
    e (C, P) energies after the last sweep; betas (C, P); rng (C, P, 4) uint64; flips (C, P)
    int64 spins that changed (accumulated); scale
    (n_sweeps,) multiplies β in sweep t; tempering arguments, trace, sample_at and samples
    (S, C, P, N) int8 as in :func:`engine.kernels.spin_flip.layered_chains`. The GIL is
    released: disjoint chain ranges may run in parallel threads.
    """
    n_rows = e.shape[1]
    u = np.empty(np.max(offsets[1:] - offsets[:-1]))
    for c in range(c_start, c_stop):
        for t in range(scale.size):
            _block_sweep(x[c], a[c], b[c], w, wt, w_off, offsets, bias, betas[c], scale[t], rng[c], e[c], flips[c], u)
            if do_swap:
                _swap_neighbours(e[c], betas[c], pos_of_temp[c], t0 + t, scale[t], swap_rng[c],
                                 swap_acc[c], swap_att[c])
            _record(trace, t, c, e[c], pos_of_temp[c])
            slot = sample_at[t]
            if slot >= 0:
                for k in range(pos_of_temp.shape[1]):
                    p = pos_of_temp[c, k]
                    for layer in range(offsets.size - 1):
                        lo = offsets[layer]
                        n = offsets[layer + 1] - lo
                        start = n_rows * lo + p * n
                        for j in range(n):
                            samples[slot, c, k, lo + j] = np.int8(x[c, start + j])


# ------------------------------------------------------------------------------ NumPy reference

def block_chains_reference(weights, bias, spins, betas, seeds, scale, *, swap_seeds=None, t0=0):
    """Slow, obviously correct block heat-bath: the reference for :func:`block_chains`.

    weights: the model's ``W_l`` (n_{l+1}, n_l); bias (N,); spins (C, P, N) ±1; betas (C, P);
    seeds (C, P) the rows' stream seeds; scale (n_sweeps,); swap_seeds (C,) makes each chain a
    tempering ladder. Fields are computed in float32 like the kernel's GEMM, one spin at a time
    with the same uniforms. Returns ``(spins, trace (n_sweeps, C, P), betas, pos_of_temp, flips,
    swap_acc, swap_att)``.
    """
    ws = [np.asarray(x, dtype=DTYPE) for x in weights]
    sizes = [ws[0].shape[1]] + [x.shape[0] for x in ws]
    off = np.concatenate([[0], np.cumsum(sizes)])
    top = len(sizes) - 1
    s = np.array(spins, dtype=np.float64)
    betas = np.array(betas, dtype=np.float64)
    C, P, N = s.shape
    T = len(scale)
    streams = [[ReferenceStream(seeds[c][p]) for p in range(P)] for c in range(C)]
    swaps = [ReferenceStream(swap_seeds[c]) for c in range(C)] if swap_seeds is not None else None
    pos = np.tile(np.arange(P), (C, 1))
    trace = np.full((T, C, P), np.nan)
    acc = np.zeros((C, max(P - 1, 0)), dtype=np.int64)
    att = np.zeros_like(acc)
    flips = np.zeros((C, P), dtype=np.int64)

    def layer(c, k):
        return s[c, :, off[k]:off[k + 1]].astype(DTYPE)

    for c in range(C):
        for t in range(T):
            e = np.zeros(P)
            for parity in (0, 1):
                for k in range(parity, top + 1, 2):
                    A = layer(c, k - 1) @ ws[k - 1].T if k > 0 else np.zeros((P, sizes[k]), DTYPE)
                    B = layer(c, k + 1) @ ws[k] if k < top else np.zeros((P, sizes[k]), DTYPE)
                    for p in range(P):
                        beta = betas[c, p] * scale[t]
                        for j in range(sizes[k]):
                            hc = float(A[p, j]) + float(B[p, j])
                            bj = bias[off[k] + j]
                            up = 2.0 * streams[c][p].uniform() - 1.0 < math.tanh(beta * (hc + bj))
                            new = 1.0 if up else -1.0
                            flips[c, p] += s[c, p, off[k] + j] != new
                            s[c, p, off[k] + j] = new
                    if parity == 1:  # odd-layer fields see the final even layers: all bonds once
                        e -= np.sum(s[c, :, off[k]:off[k + 1]] * (A.astype(np.float64) + B), axis=1)
            e -= s[c] @ bias
            if swaps is not None:
                reference_swap(e, betas[c], pos[c], t0 + t, scale[t], swaps[c], acc[c], att[c])
            trace[t, c] = e[pos[c]]
    return s.astype(np.int8), trace, betas, pos, flips, acc, att
