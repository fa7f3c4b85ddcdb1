"""Single-spin Monte Carlo kernels with cached local fields, each beside its NumPy reference.

The Ising model of a network (Stosic, Stosic & Stosic, arXiv:2209.08678; PHYSICS.md sections
1 and 3) is ``E(s) = -Σ_{i<j} J_ij s_i s_j - Σ_i b_i s_i``. Every chain keeps the local fields
``h_i = Σ_j J_ij s_j + b_i``, so flipping spin i costs ``ΔE = 2 s_i h_i`` and, when accepted,
updates only the fields of i's neighbours: ``h_j += 2 s_i' J_ji`` (``s_i'`` the new spin).

Graphs
------
* layered (:func:`layered_chains`): spins of layer k couple only to layers k-1 and k+1. A flip
  of spin a of layer k streams one row of ``W_{k-1}`` (the fields of layer k-1) and one row of
  ``W_kᵀ`` (the fields of layer k+1); both are contiguous (:func:`pack_layers`).
* any graph (:func:`csr_chains`): a symmetric CSR adjacency ``(indptr, indices, data)``.

Update rules (``rule``), each applied to spins i = 0, 1, ..., N-1 in order (a *sequential*
sweep: cheaper than random site choice and, like it, leaves the Boltzmann distribution
invariant; the composition of the single-site steps satisfies global, not detailed, balance):

* ``METROPOLIS``: flip if ΔE <= 0, else if β ΔE <= X with X ~ Exp(1) (probability exp(-β ΔE));
  a variate X (:func:`~engine.kernels.rng.exponential_bits`) is drawn only when ΔE > 0. No ``exp``,
  no bounds on it: one comparison. Against u < exp(-β ΔE) settled by bounds on exp, which this
  replaced, in one A/B on [128]*8 at T = 0.5: 7.4 vs 7.9 µs per sweep with float32 weights,
  8.9 vs 8.9 with float64 (the simpler code, not the speed, is the gain there).
* ``HEAT_BATH``: always draw u and flip if u (1 + exp(β ΔE)) < 1, i.e. with probability
  1/(1 + e^{β ΔE}); the new spin is then +1 with probability P(s_i=+1) = 1/(1 + e^{-2β h_i}).
  (The kernels settle most draws by cheap bounds on exp, with the same decisions.)
* ``GREEDY``: zero-temperature quench, flip only if ΔE < 0 (strictly lowers E); no random
  numbers; a chain stops after the first sweep without a flip (a local minimum).

Chains and tempering
--------------------
All kernels run ``C`` independent chains of ``P`` rows (replicas) each: spins ``(C, P, N)``.
Rows carry their own inverse temperature ``betas[c, p]`` and their own xoshiro256+ stream
``rng[c, p]`` (:mod:`engine.kernels.rng`). With ``do_swap`` the rows of a chain form a
parallel-tempering ladder: ``pos_of_temp[c, k]`` is the row currently at the k-th temperature,
and after every sweep t the neighbouring pairs (k, k+1) with k ≡ t (mod 2) try to exchange
temperatures with probability min(1, exp((β_k - β_{k+1})(E_k - E_{k+1}))) using the chain's
swap stream ``swap_rng[c]`` (the deterministic even-odd scheme: Okabe et al., Chem. Phys.
Lett. 335, 435 (2001); Syed et al., JRSS B 84, 321 (2022)). Rows keep their streams when
they swap temperatures. Chains are independent: the kernels release the GIL and take a range
of chains, so the caller may run disjoint ranges in parallel threads, and the result for a
seed does not depend on the number of threads. (Python threads rather than numba's
``parallel=True``: the work per chain is sequential anyway, and parfor compilation of these
kernels costs ~10 s each.)

References: Metropolis et al., J. Chem. Phys. 21, 1087 (1953); Glauber, J. Math. Phys. 4, 294
(1963); Hukushima & Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

from .gray import axpy, axpy4
from .mathfn import select
from .rng import ReferenceStream, draw_exponentials, draw_uniforms, next_exponential, next_uniform

METROPOLIS, HEAT_BATH, GREEDY = 0, 1, 2
RULES = {"metropolis": METROPOLIS, "heat_bath": HEAT_BATH, "greedy": GREEDY}


# ------------------------------------------------------------------------------ layout

def pack_layers(model, dtype=np.float64):
    """Flat, row-contiguous copies of a layered model's ``W_l`` and ``W_lᵀ`` for the kernels.

    Returns ``(w, wt, w_off, offsets)``: ``W_l`` (n_{l+1}, n_l) is
    ``w[w_off[l]:w_off[l+1]].reshape(n_{l+1}, n_l)`` and ``W_lᵀ`` the same slice of ``wt``
    reshaped (n_l, n_{l+1}); ``offsets`` (L+2,) are the first spin of each layer.
    """
    ws = model.layer_weights
    w = np.concatenate([x.ravel() for x in ws]).astype(dtype)
    wt = np.concatenate([x.ravel() for x in model.layer_weights_t]).astype(dtype)
    w_off = np.concatenate([[0], np.cumsum([x.size for x in ws])]).astype(np.int64)
    return w, wt, w_off, np.asarray(model.offsets, dtype=np.int64)


# ------------------------------------------------------------------------------ shared pieces

#: Below this |β ΔE| the cheap bounds on exp are not used (their margin, ~|x|³/12, must stay far
#: above rounding so that every decision equals the plain formula of the references).
_BOUND_MIN = 1e-3


@njit(cache=True, inline="always")
def below_logistic(u, x):
    """``u (1 + e^x) < 1``, i.e. u < 1/(1 + e^x): the heat-bath draw, mostly without ``exp``.

    Uses 1 + e^x >= 2 + x + x²/2 for x > 0 and 1 + e^x <= 1 + 1/(1 + y + y²/2), y = -x > 0;
    an infinite e^x (never true) is harmless: u * inf < 1 is False.
    """
    if x > _BOUND_MIN:
        if u * (2.0 + x * (1.0 + 0.5 * x)) >= 1.0:
            return False
    elif x < -_BOUND_MIN:
        p = 1.0 - x * (1.0 - 0.5 * x)
        if u * (1.0 + p) < p:
            return True
    return u * (1.0 + math.exp(x)) < 1.0


@njit(cache=True, inline="always")
def flip_cost(s_i, h_i):
    """``ΔE = 2 s_i h_i`` as ``±(h_i + h_i)``: the same bits, without converting the int8 spin."""
    hh = h_i + h_i
    return hh if s_i > 0 else -hh


@njit(cache=True, inline="always")
def _accept(rule, de, beta, st):
    """Whether to flip a spin whose flip costs ``de`` at inverse temperature ``beta``.

    Metropolis: x <= X, X ~ Exp(1); heat-bath: u (1 + e^x) < 1, most draws settled without
    ``exp`` by bounds on it (:func:`below_logistic`); x = β ΔE.
    """
    if rule == GREEDY:
        return de < 0.0
    x = beta * de
    if rule == METROPOLIS:
        if x <= 0.0:
            return True
        return x <= next_exponential(st)
    return below_logistic(next_uniform(st), x)


@njit(cache=True, inline="always")
def _swap_neighbours(e, betas, pos_of_temp, t, scale, st, acc, att):
    """One round of temperature swaps in one chain after sweep ``t`` (pairs k ≡ t mod 2).

    e, betas (P,) energies and inverse temperatures of the chain's rows (betas swapped in
    place); pos_of_temp (P,) row at each temperature (updated); acc, att (P-1,) counters.
    A uniform is drawn only when the swap is not accepted outright.
    """
    for k in range(t % 2, pos_of_temp.size - 1, 2):
        pa = pos_of_temp[k]
        pb = pos_of_temp[k + 1]
        delta = scale * (betas[pa] - betas[pb]) * (e[pa] - e[pb])
        att[k] += 1
        if delta >= 0.0 or next_uniform(st) < math.exp(delta):
            acc[k] += 1
            b = betas[pa]
            betas[pa] = betas[pb]
            betas[pb] = b
            pos_of_temp[k] = pb
            pos_of_temp[k + 1] = pa


@njit(cache=True, inline="always")
def _record(trace, t, c, e, pos_of_temp):
    """trace[t, c, k] = energy of the row at temperature k (rows sorted by temperature)."""
    if t < trace.shape[0]:
        for k in range(pos_of_temp.size):
            trace[t, c, k] = e[pos_of_temp[k]]


@njit(cache=True, inline="always")
def _sample(samples, slot, c, spins, pos_of_temp):
    """samples[slot, c, k] = spins (int8) of the row at temperature k."""
    for k in range(pos_of_temp.size):
        samples[slot, c, k, :] = spins[pos_of_temp[k]]


# ------------------------------------------------------------------------------ one sweep of one row

@njit(cache=True, inline="always")
def _decide(rule, de, beta, u, j):
    """The decision of :func:`_accept` with the draws made ahead: u[j] is the next unused one
    (Exp(1) variates for Metropolis, uniforms for heat-bath).

    Returns (flip, next j). Metropolis uses u[j] only when x = β ΔE > 0 (u[j] may be any value
    otherwise).
    """
    if rule == GREEDY:
        return de < 0.0, j
    x = beta * de
    if rule == METROPOLIS:
        up = x > 0.0
        return (not up) | (x <= u[j]), j + up  # no branch: the decision is a coin toss at high T
    return below_logistic(u[j], x), j + 1


@njit(cache=True, inline="always")
def _sweep_layered(s, h, w, wt, w_off, offsets, beta, rule, st, cost, u, flipped):
    """One sequential sweep of one row of a layered model; returns (ΔE total, flips).

    Layer by layer, in three passes that give the same numbers as spin-by-spin steps: the flip
    costs of the whole layer (a flip changes only the fields of the two adjacent layers, so
    they stay valid while the layer is swept), then the layer's uniforms in stream order (as
    many as the rule draws: Metropolis one per uphill spin, heat-bath one per spin), then the
    decisions and flips in spin order. The stream then runs in a tight loop of its own, out of
    the way of the decisions (~10% fewer ns per attempt at T = 0.5 on [128]*8). The fields of
    the adjacent layers are updated after the layer's decisions, four flipped spins at a time
    (:func:`~engine.kernels.gray.axpy4`: one load and store of each field per four rows, which
    limit a per-flip update on wide nets), the rest one at a time; the fields then differ from
    per-flip updates by rounding only. The decisions' loop has no branch on the decision
    (:func:`~engine.kernels.mathfn.select`; a coin toss at high T): on [128]*8 0.049-0.052 vs
    0.038-0.040 attempts/ns at T = 2, equal at T = 0.5 once ΔE is summed after it (a sum in
    the loop put an add on every spin's dependent chain). ``cost``, ``u`` and ``flipped`` (int64) are scratch arrays
    of the widest layer's size. Indices are unsigned (no wrap-around tests) and the updates
    inlined (a called function cost ~20% more per attempt at T = 2).
    """
    n_layers = offsets.size - 1
    de_sum = 0.0
    flips = 0
    for k in range(n_layers):
        lo = uint64(offsets[k])
        hi = uint64(offsets[k + 1])
        m = hi - lo
        n_below = lo - uint64(offsets[k - 1]) if k > 0 else uint64(0)  # fields of layer k-1: rows of W_{k-1}
        n_above = uint64(offsets[k + 2]) - hi if k < n_layers - 1 else uint64(0)  # layer k+1: rows of W_kᵀ
        below = uint64(offsets[k - 1]) if k > 0 else uint64(0)
        w_below = uint64(w_off[k - 1]) if k > 0 else uint64(0)
        w_above = uint64(w_off[k]) if k < n_layers - 1 else uint64(0)
        n_draw = 0
        for a in range(m):
            de = flip_cost(s[lo + a], h[lo + a])
            cost[a] = de
            if rule == METROPOLIS:
                n_draw += beta * de > 0.0  # the uphill spins
        if rule == HEAT_BATH:
            n_draw = int(m)
            draw_uniforms(st, u, n_draw)
        else:
            draw_exponentials(st, u, n_draw)
        j = 0
        n_flip = 0
        for a in range(m):
            de = cost[a]
            flip, j = _decide(rule, de, beta, u, j)
            i = lo + a
            si = s[i]
            s[i] = select(flip, np.int8(-si), si)  # no branch on the decision (mathfn.select)
            flipped[n_flip] = a
            n_flip += flip
        flips += n_flip
        for r in range(n_flip):  # ΔE of the flips in spin order, off the decisions' loop
            de_sum += cost[flipped[r]]
        # the fields of layers k-1 and k+1: h_j += 2 s_i' W_{k-1}[a, j] (row a of W_{k-1}) and
        # h_j += 2 s_i' W_kᵀ[a, j] (row a of W_kᵀ), four flipped spins at a time
        r = 0
        while r < n_flip:
            a1 = uint64(flipped[r])
            c1 = 2.0 * s[lo + a1]  # 2 s_i' after the flip
            if r + 4 <= n_flip:
                a2, a3, a4 = uint64(flipped[r + 1]), uint64(flipped[r + 2]), uint64(flipped[r + 3])
                c2, c3, c4 = 2.0 * s[lo + a2], 2.0 * s[lo + a3], 2.0 * s[lo + a4]
                if n_below > 0:
                    axpy4(h, below, w, w_below + a1 * n_below, w_below + a2 * n_below, w_below + a3 * n_below,
                          w_below + a4 * n_below, n_below, c1, c2, c3, c4)
                if n_above > 0:
                    axpy4(h, hi, wt, w_above + a1 * n_above, w_above + a2 * n_above, w_above + a3 * n_above,
                          w_above + a4 * n_above, n_above, c1, c2, c3, c4)
                r += 4
            else:
                if n_below > 0:
                    axpy(h, below, w, w_below + a1 * n_below, n_below, c1)
                if n_above > 0:
                    axpy(h, hi, wt, w_above + a1 * n_above, n_above, c1)
                r += 1
    return de_sum, flips


@njit(cache=True, inline="always")
def _sweep_csr(s, h, indptr, indices, data, beta, rule, st):
    """One sequential sweep of one row of a CSR graph; returns (ΔE total, flips)."""
    de_sum = 0.0
    flips = 0
    for i in range(uint64(s.size)):
        si = s[i]
        de = flip_cost(si, h[i])
        if _accept(rule, de, beta, st):
            s[i] = -si
            de_sum += de
            flips += 1
            two_s = -2.0 if si > 0 else 2.0
            for q in range(indptr[i], indptr[i + 1]):
                h[np.uint64(indices[q])] += two_s * data[q]  # unsigned: no wraparound check
    return de_sum, flips


# ------------------------------------------------------------------------------ kernels

@njit(cache=True, inline="always")
def _after_sweep(c, t, e, betas, spins, rule, moved, scale, pos_of_temp, swap_rng, swap_acc, swap_att,
                 do_swap, t0, trace, sample_at, samples):
    """Swaps, trace and samples after sweep ``t`` of chain ``c``; True when a greedy chain froze."""
    if do_swap:
        _swap_neighbours(e[c], betas[c], pos_of_temp[c], t0 + t, scale[t], swap_rng[c], swap_acc[c], swap_att[c])
    _record(trace, t, c, e[c], pos_of_temp[c])
    if sample_at[t] >= 0:
        _sample(samples, sample_at[t], c, spins[c], pos_of_temp[c])
    return rule == GREEDY and moved == 0


@njit(cache=True, nogil=True)
def layered_chains(c_start, c_stop, spins, h, e, betas, rng, flips, w, wt, w_off, offsets, rule, scale,
                   pos_of_temp, swap_rng, swap_acc, swap_att, do_swap, t0, trace, sample_at, samples, n_done):
    """``scale.size`` sweeps of chains ``c_start:c_stop`` of a layered model, in place.

    spins (C, P, N) int8; h (C, P, N) float64 cached local fields; e (C, P) energies; betas
    (C, P) inverse temperatures; rng (C, P, 4) uint64 streams; flips (C, P) int64 accepted
    flips (accumulated); w, wt, w_off, offsets from :func:`pack_layers`; rule METROPOLIS,
    HEAT_BATH or GREEDY; scale (n_sweeps,) multiplies every β in sweep t (an annealing
    schedule; ones otherwise); pos_of_temp (C, P) int64, swap_rng (C, 4), swap_acc and
    swap_att (C, P-1) int64 for tempering when ``do_swap``; t0 the global index of the first
    sweep (parity of the swap rounds); trace (n_trace, C, P) receives the energies after each
    sweep t < n_trace by temperature; sample_at (n_sweeps,) int64 is the sample slot of sweep
    t or -1, samples (S, C, P, N) int8; n_done (C,) receives the sweeps run (GREEDY stops
    early at a local minimum). Chains are independent, so disjoint chain ranges may run in
    parallel threads (the GIL is released).
    """
    width = np.max(offsets[1:] - offsets[:-1])
    cost = np.empty(width)
    u = np.empty(width)
    flipped = np.empty(width, dtype=np.int64)
    for c in range(c_start, c_stop):
        n_done[c] = scale.size
        for t in range(scale.size):
            moved = 0
            for p in range(e.shape[1]):
                de, nf = _sweep_layered(spins[c, p], h[c, p], w, wt, w_off, offsets, betas[c, p] * scale[t],
                                        rule, rng[c, p], cost, u, flipped)
                e[c, p] += de
                flips[c, p] += nf
                moved += nf
            if _after_sweep(c, t, e, betas, spins, rule, moved, scale, pos_of_temp, swap_rng, swap_acc,
                            swap_att, do_swap, t0, trace, sample_at, samples):
                n_done[c] = t + 1
                break


@njit(cache=True, nogil=True)
def csr_chains(c_start, c_stop, spins, h, e, betas, rng, flips, indptr, indices, data, rule, scale,
               pos_of_temp, swap_rng, swap_acc, swap_att, do_swap, t0, trace, sample_at, samples, n_done):
    """As :func:`layered_chains` for any graph given as a symmetric CSR ``(indptr, indices, data)``."""
    for c in range(c_start, c_stop):
        n_done[c] = scale.size
        for t in range(scale.size):
            moved = 0
            for p in range(e.shape[1]):
                de, nf = _sweep_csr(spins[c, p], h[c, p], indptr, indices, data, betas[c, p] * scale[t], rule,
                                    rng[c, p])
                e[c, p] += de
                flips[c, p] += nf
                moved += nf
            if _after_sweep(c, t, e, betas, spins, rule, moved, scale, pos_of_temp, swap_rng, swap_acc,
                            swap_att, do_swap, t0, trace, sample_at, samples):
                n_done[c] = t + 1
                break


# ------------------------------------------------------------------------------ NumPy references

def reference_swap(e, betas, pos_of_temp, t, scale, stream, acc, att):
    """NumPy reference for the temperature swaps of one chain (same draws as the kernel)."""
    for k in range(t % 2, len(pos_of_temp) - 1, 2):
        pa, pb = pos_of_temp[k], pos_of_temp[k + 1]
        delta = scale * (betas[pa] - betas[pb]) * (e[pa] - e[pb])
        att[k] += 1
        if delta >= 0.0 or stream.uniform() < math.exp(delta):
            acc[k] += 1
            betas[pa], betas[pb] = betas[pb], betas[pa]
            pos_of_temp[k], pos_of_temp[k + 1] = pb, pa


def chains_reference(J, b, spins, betas, seeds, rule, scale, *, swap_seeds=None, t0=0):
    """Slow, obviously correct single-spin sweeps: the reference for both chain kernels.

    J (N, N) dense symmetric couplings, b (N,) fields, spins (C, P, N) ±1, betas (C, P),
    seeds (C, P) the seeds of the rows' streams (``seeded_state(seed)`` in the kernel),
    rule as in the kernels, scale (n_sweeps,). The local field is recomputed from scratch
    at every step, ``h_i = J_i · s + b_i``; with ``swap_seeds`` (C,) the rows of each chain are
    a tempering ladder. Returns ``(spins, trace (n_sweeps, C, P), betas, pos_of_temp, flips,
    swap_acc, swap_att, n_done)``, the trace holding the energy ``-½ sᵀJs - b·s`` by temperature.
    """
    s = np.array(spins, dtype=np.int64)
    betas = np.array(betas, dtype=np.float64)
    C, P, N = s.shape
    T = len(scale)
    streams = [[ReferenceStream(seeds[c][p]) for p in range(P)] for c in range(C)]
    swaps = [ReferenceStream(swap_seeds[c]) for c in range(C)] if swap_seeds is not None else None
    pos = np.tile(np.arange(P), (C, 1))
    trace = np.full((T, C, P), np.nan)
    flips = np.zeros((C, P), dtype=np.int64)
    acc = np.zeros((C, max(P - 1, 0)), dtype=np.int64)
    att = np.zeros_like(acc)
    n_done = np.full(C, T)
    for c in range(C):
        for t in range(T):
            moved = 0
            for p in range(P):
                beta = betas[c, p] * scale[t]
                for i in range(N):
                    de = 2.0 * s[c, p, i] * (J[i] @ s[c, p] + b[i])
                    if rule == METROPOLIS:
                        flip = de <= 0.0 or beta * de <= streams[c][p].exponential()
                    elif rule == HEAT_BATH:
                        flip = streams[c][p].uniform() * (1.0 + math.exp(beta * de)) < 1.0
                    else:
                        flip = de < 0.0
                    if flip:
                        s[c, p, i] *= -1
                        flips[c, p] += 1
                        moved += 1
            e = np.array([-0.5 * x @ J @ x - b @ x for x in s[c]], dtype=np.float64)
            if swaps is not None:
                reference_swap(e, betas[c], pos[c], t0 + t, scale[t], swaps[c], acc[c], att[c])
            trace[t, c] = e[pos[c]]
            if rule == GREEDY and moved == 0:
                n_done[c] = t + 1
                break
    return s.astype(np.int8), trace, betas, pos, flips, acc, att, n_done
