"""Exact enumeration of all 2^N spin states in Gray-code order, beside its brute-force reference.

The energy ``E(s) = -Σ_{i<j} J_ij s_i s_j - Σ_i b_i s_i`` of every configuration, visited in the
binary-reflected Gray code: state t differs from state t-1 in one spin only, the bit
``k = ctz(t)`` (number of trailing zeros), so each new energy costs one cached local field,
``E' = E + 2 s_k h_k``, plus the update of k's neighbours' fields (O(2^N · degree) in all).
Configuration ``c`` (an integer) has ``s_i = -1`` where bit i of c is set; the walk starts at
``c = 0`` (all spins +1) and the t-th state is ``c = t ^ (t >> 1)``.

The neighbour lists are stored as *segments* (:func:`neighbour_segments`): runs of consecutive
spin indices in each CSR row. A dense layered model (PHYSICS.md section 3) has one or two runs
per spin (a row of ``W_{l-1}`` and a row of ``W_lᵀ``), so the field update streams contiguous
memory and vectorises; an arbitrary sparse graph degenerates to one-element runs. The same
layout and update (:func:`flip_update`) serve the Wang-Landau walk (:mod:`.wang_landau`).

Reference: Gray, US patent 2,632,058 (1953); Knuth, TAOCP 4A §7.2.1.1.
"""
from __future__ import annotations

import numpy as np
from numba import njit, uint64


# ------------------------------------------------------------------------------ layout

def neighbour_segments(indptr, indices):
    """Runs of consecutive neighbour indices in each row of a CSR adjacency.

    Returns ``(seg_ptr (N+1,), seg_target, seg_start, seg_len)`` (int64): the neighbours of spin
    i are, for q in ``seg_ptr[i]:seg_ptr[i+1]``, spins ``seg_target[q] + p`` coupled by
    ``data[seg_start[q] + p]`` for ``p < seg_len[q]``.
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    n = indptr.size - 1
    nnz = indices.size
    row_of = np.repeat(np.arange(n), np.diff(indptr))
    brk = np.ones(nnz, dtype=bool)
    if nnz > 1:
        # a run continues while the column grows by one inside the same row
        brk[1:] = (indices[1:] != indices[:-1] + 1) | (row_of[1:] != row_of[:-1])
    starts = np.flatnonzero(brk).astype(np.int64)
    ends = np.append(starts[1:], nnz)
    seg_ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(seg_ptr, row_of[starts] + 1, 1)
    return (np.cumsum(seg_ptr).astype(np.int64), indices[starts].copy(), starts, (ends - starts).astype(np.int64))


@njit(cache=True, inline="always")
def axpy(y, y0, x, x0, n, a):
    """``y[y0 + p] += a * x[x0 + p]`` for p < n; offsets and n non-negative.

    Unsigned indices: numba then emits no negative-index wrap-around test, so the loop
    vectorises even when inlined (LLVM tests y and x for overlap once per call). Inlined, it
    costs no call and builds no slice objects: the field updates of the single-spin sweeps
    (:mod:`.spin_flip`; a called function cost them ~20% more per attempt at T = 2) and of the
    Wang-Landau walk (slices cost ~5% more there) use it.
    """
    y0 = uint64(y0)
    x0 = uint64(x0)
    for p in range(uint64(n)):
        y[y0 + p] += a * x[x0 + p]


@njit(cache=True, inline="always")
def axpy4(y, y0, x, o1, o2, o3, o4, n, a1, a2, a3, a4):
    """``y[y0 + p] += ((a1 x[o1 + p] + a2 x[o2 + p]) + a3 x[o3 + p]) + a4 x[o4 + p]`` for p < n: four
    :func:`axpy` calls in one pass, one load and store of y per four rows (offsets and n non-negative;
    unsigned, as in :func:`axpy`)."""
    y0 = uint64(y0)
    o1, o2, o3, o4 = uint64(o1), uint64(o2), uint64(o3), uint64(o4)
    for p in range(uint64(n)):
        y[y0 + p] += ((a1 * x[o1 + p] + a2 * x[o2 + p]) + a3 * x[o3 + p]) + a4 * x[o4 + p]


@njit(cache=True, inline="always")
def flip_update(i, two_s_new, h, seg_ptr, seg_target, seg_start, seg_len, data):
    """After spin i flipped to ``s_i'``: ``h_j += 2 s_i' J_ji`` for every neighbour j."""
    for q in range(uint64(seg_ptr[i]), uint64(seg_ptr[i + 1])):  # unsigned: no wrap-around tests
        axpy(h, seg_target[q], data, seg_start[q], seg_len[q], two_s_new)


@njit(cache=True)
def neighbour_runs(seg_ptr, seg_target, seg_len):
    """``first[i]``: the first spin of the run of consecutive spins ending at i that all have i's
    neighbours, in the same order (the same segments' targets and lengths; their couplings may
    differ). A dense layered model has one run per layer; a dense graph a run per spin."""
    n = seg_ptr.size - 1
    first = np.empty(n, dtype=np.int64)
    for i in range(n):
        same = i > 0 and seg_ptr[i + 1] - seg_ptr[i] == seg_ptr[i] - seg_ptr[i - 1]
        if same:
            a = seg_ptr[i - 1]
            b = seg_ptr[i]
            for g in range(seg_ptr[i + 1] - b):
                if seg_target[a + g] != seg_target[b + g] or seg_len[a + g] != seg_len[b + g]:
                    same = False
                    break
        first[i] = first[i - 1] if same else i
    return first


@njit(cache=True)
def apply_flips(flipped, n, s, h, first, seg_ptr, seg_target, seg_start, seg_len, data):
    """The field change of the spins ``flipped[:n]`` (increasing), each flipped once (to ``s_i``):
    ``h_j += 2 s_i J_ji`` for every neighbour j of each.

    The list is taken four at a time, in order. Four spins of one run of :func:`neighbour_runs`
    (``first``; the spins of one layer of a dense layered model) update each neighbour's field
    once, by the sum of their four terms: ``h_j += ((t_1 + t_2) + t_3) + t_4``, ``t_k = 2 s_k J_jk``
    (:func:`axpy4`). Four times fewer loads and stores of h than four :func:`flip_update` calls,
    which on wide nets are limited by those stores (a row of 128 doubles took ~14 ns in the
    per-flip update, alone or streamed from L3). Any other group, and the last ``n mod 4``
    spins, go one at a time with :func:`flip_update`. The sums differ from one-at-a-time updates
    by rounding only; the NumPy reference (:func:`apply_flips_reference`) adds in the same order.
    """
    r = 0
    while r + 4 <= n:
        q1, q2, q3, q4 = flipped[r], flipped[r + 1], flipped[r + 2], flipped[r + 3]
        if first[q4] <= q1:  # q1 < q2 < q3 < q4 in one run
            c1, c2, c3, c4 = 2.0 * s[q1], 2.0 * s[q2], 2.0 * s[q3], 2.0 * s[q4]
            p1, p2, p3, p4 = seg_ptr[q1], seg_ptr[q2], seg_ptr[q3], seg_ptr[q4]
            for g in range(seg_ptr[q1 + 1] - p1):
                axpy4(h, seg_target[p1 + g], data, seg_start[p1 + g], seg_start[p2 + g], seg_start[p3 + g],
                      seg_start[p4 + g], seg_len[p1 + g], c1, c2, c3, c4)
        else:
            for q in (q1, q2, q3, q4):
                flip_update(q, 2.0 * s[q], h, seg_ptr, seg_target, seg_start, seg_len, data)
        r += 4
    while r < n:
        q = flipped[r]
        flip_update(q, 2.0 * s[q], h, seg_ptr, seg_target, seg_start, seg_len, data)
        r += 1


def apply_flips_reference(flipped, s, h, indptr, indices, data):
    """:func:`apply_flips` from the CSR rows, in NumPy, in the same order of additions (h in place):
    a group of four is summed when every spin from its first to its last has the same neighbours."""
    flipped = [int(q) for q in flipped]
    rows = [slice(indptr[q], indptr[q + 1]) for q in flipped]
    terms = [2.0 * s[q] * data[row] for q, row in zip(flipped, rows)]
    n = len(flipped)
    for r in range(0, n, 4):
        g = range(r, min(r + 4, n))
        if len(g) == 4 and all(np.array_equal(indices[indptr[q]:indptr[q + 1]], indices[rows[r]])
                               for q in range(flipped[r], flipped[r + 3] + 1)):
            h[indices[rows[r]]] += ((terms[r] + terms[r + 1]) + terms[r + 2]) + terms[r + 3]
        else:
            for k in g:
                h[indices[rows[k]]] += terms[k]


@njit(cache=True, inline="always")
def _trailing_zeros(t):
    k = 0
    while (t >> k) & 1 == 0:
        k += 1
    return k


# ------------------------------------------------------------------------------ kernel

@njit(cache=True)
def gray_enumerate(n, fields, seg_ptr, seg_target, seg_start, seg_len, data, origin, inv_width,
                   energies, counts, extremes):
    """Visit all 2^n states in Gray-code order.

    n spins; fields (n,) the external fields b; the neighbour segments and CSR ``data`` of J.
    ``energies`` (2^n,) float64 receives ``E(c)`` at index c (pass an empty array to skip);
    ``counts`` (n_bins,) int64 is incremented at ``floor((E - origin) * inv_width)`` for every
    state (empty to skip; the caller guarantees every energy falls inside); ``extremes`` (2,)
    receives (min E, max E). Energies are accumulated incrementally, so they carry rounding
    of order sqrt(2^n) ulp for non-integer couplings (exact for integer ones).
    """
    s = np.ones(n)
    h = fields.copy()
    for i in range(n):  # local fields of the all-up state: h_i = b_i + Σ_j J_ij
        for q in range(seg_ptr[i], seg_ptr[i + 1]):
            for p in range(seg_len[q]):
                h[i] += data[seg_start[q] + p]
    e = 0.0
    for i in range(n):  # E = -½ Σ_i s_i (h_i + b_i)
        e -= 0.5 * (h[i] + fields[i])
    store = energies.size > 0
    hist = counts.size > 0
    e_lo = e
    e_hi = e
    code = 0
    total = 1 << n
    for t in range(total):
        if t > 0:
            k = _trailing_zeros(t)
            e += 2.0 * s[k] * h[k]
            s[k] = -s[k]
            code ^= 1 << k
            flip_update(k, 2.0 * s[k], h, seg_ptr, seg_target, seg_start, seg_len, data)
            if e < e_lo:
                e_lo = e
            if e > e_hi:
                e_hi = e
        if store:
            energies[code] = e
        if hist:
            counts[int((e - origin) * inv_width)] += 1
    extremes[0] = e_lo
    extremes[1] = e_hi


# ------------------------------------------------------------------------------ NumPy reference

def all_states(n: int) -> np.ndarray:
    """(2^n, n) int8: row c holds the spins of configuration c (``s_i = -1`` where bit i of c is set)."""
    codes = np.arange(2 ** n, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
    return (1 - 2 * bits).astype(np.int8)


def energies_reference(J, b) -> np.ndarray:
    """Brute force: ``E(c) = -½ s_cᵀ J s_c - b·s_c`` for every configuration c, J (n, n) dense, b (n,)."""
    J = np.asarray(J, dtype=np.float64)
    S = all_states(J.shape[0]).astype(np.float64)
    return -0.5 * np.einsum("ci,ij,cj->c", S, J, S) - S @ np.asarray(b, dtype=np.float64)
