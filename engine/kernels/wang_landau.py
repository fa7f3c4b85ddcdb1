"""Wang-Landau random walks in energy, one walker per energy window, beside their NumPy reference.

Wang & Landau, PRL 86, 2050 (2001); the 1/t refinement of Belardinelli & Pereyra, PRE 75,
046701 (2007); windows joined as in replica-exchange Wang-Landau, Vogel, Li, Wüst & Landau,
PRL 110, 210603 (2013). The public driver is :func:`engine.wang_landau.wang_landau`.

One *step* proposes flipping a random spin i (the schedule below): ``ΔE = 2 s_i h_i`` from the
cached local field, the new energy's bin ``b' = floor(x')``, ``x' = x + ΔE / width``, with
``x = (E - origin) / width`` the walker's position on the grid. The position is tracked step by
step like E, in fixed point: an int64 in units of 2^-32 bins (:data:`FRAC_BITS`), set to
``floor((E - origin) / width · 2^32)`` when a call starts and moved by ``trunc(ΔE / width · 2^32)``
on acceptance (an integer add and a shift to the bin, where a float position needs a conversion
on the step's dependent chain); acceptance with
probability ``min(1, g(b) / g(b'))``: certain when ``ln g(b') <= ln g(b)``, otherwise tested as
``ln g(b') <= ln g(b) + X`` with X ~ Exp(1) (P(X >= a) = e^{-a};
:func:`engine.kernels.rng.exponential_bits`), then ``ln g(b) += ln f`` and ``H(b) += 1`` for the
bin b the walker is in after the step. On acceptance the fields of i's neighbours are updated
through the contiguous segments of :mod:`engine.kernels.gray` (rows of W and Wᵀ for a layered
model): at once, or for a layered model at the end of the layer run (below). A walker has two
streams: one draw of the first per step for the site, and from the second one variate per uphill
proposal (in ln g), in order.

**Site schedule.** Step t proposes a uniformly random spin of the block at position ``p = t mod P``
of a fixed cyclic schedule: ``sched_start[p] + floor(u * sched_size[p])``; ``sched_left[p]``
counts the positions from p to the end of its *run* (consecutive positions of one block). For a
layered model the P = N positions run through the layers in order, a run of n_l positions for
layer l (so every spin is still proposed once per N steps on average, as with uniform choice);
for any other model there is one block, all N spins, which is uniform choice. Each step is a
Metropolis update with a symmetric proposal, so it leaves the walk's target ``π(s) ∝ 1/g(E(s))``
invariant and so does their cyclic composition (random-scan within a systematic scan over
layers). Per step the layer runs are as accurate as uniform choice, within the noise: at 5·10^7
steps on 64-32-10 the rms asymmetry of ln g had median 0.171 over 64 seeds, against 0.179 with
uniform choice; and they let the walk defer its field updates:

**Deferred field updates.** A layer has no couplings inside it, so while a run of steps proposes
spins of one layer l, the fields those steps read (of layer l, set by layers l - 1 and l + 1)
do not change. The walk therefore marks each flip (``dirty[i]`` toggles) and, when the run ends,
applies only the net change: ``h_j += 2 s_i J_ji`` for each spin i of the layer flipped an odd
number of times, in increasing i. A run of n_l steps at acceptance a flips a spin an odd number
of times with probability ~(1 - e^{-2a}) / 2: 0.42 instead of 0.89 flips per spin of [128]x8
(A/B in one process, float64: 34-36 vs 54-56 ns per step on [128]x8, 31 vs 51-52 on
784-128-64-10, equal on 64-32-10). The net change is applied four spins at a time
(:func:`engine.kernels.gray.apply_flips`): one load and one store of each field per four rows
instead of per row. Those stores, not the L3 traffic of the rows, had limited the updates (a
128-double row took ~14 ns whether it came from L1 or L3); four at a time: 29 vs 36 ns per step
on [128]x8, 25 vs 28 on 784-128-64-10, 19-19.5 vs 19-22 on 64-32-10 (A/B, float64).
The call returns with every field up to date (it applies
the pending run), so a call that ends inside a run sums that run's updates in two parts: the
fields then differ from the one-call walk's by rounding, and the two walks stay identical until
such a difference changes a decision (bit for bit when the calls end where runs end). A seed's
result thus depends, to that extent, on where the driver's chunks end.
Longer runs would cancel more flips but cost accuracy per step: at 10^8 steps on 64-32-10 the
rms error of ln g (its asymmetry g(E) vs g(-E), 8 seeds) was 0.09, 0.14 and 0.21 for runs of
n_l, 2 n_l and 4 n_l steps (:func:`engine.wang_landau.site_schedule`, ``run``).

Bookkeeping that the textbook algorithm leaves open, fixed here:

* **Unknown range.** A bin counts only once it has been *visited*. When a proposal lands in a
  bin never visited before, that bin is opened with ``ln g = min(ln g over visited bins)`` (so
  the walk is drawn to it but not trapped) and the histogram of the window is reset, so the
  flatness test never compares a new bin against counts gathered before it existed.
  Bins never reached stay closed (ln g = -inf for the caller).
* **Flatness** is tested every ``check_every`` steps over the visited bins of the window:
  ``min H >= flatness * mean H``. Then H = 0 and ``ln f /= 2``; if the new ln f is below
  ``1/t``, with ``t = steps / visited bins``, the walk switches to ``ln f = 1/t`` (updated at
  each check) and tests flatness no more. It stops once ``ln f <= log_f_final``.
* **Windows.** A walker only walks inside its window ``[lo, hi)`` of bins: proposals leaving it
  are rejected (the step still counts a visit of the current bin). A walker that starts outside
  its window first *approaches* it: a move is taken if it does not increase the distance to the
  window (in bins), otherwise with probability ``exp(-Δdistance)`` (one variate, ``Δdistance
  <= X``); nothing is recorded meanwhile.
* **Grid exits.** A proposal outside the whole bin array stops the kernel with status
  ``BELOW`` / ``ABOVE`` before the step changes anything (its site draw is used; the fields are
  brought up to date, as at every return), so the caller can extend the grid and resume.

Walker state (all arrays updated in place): ``scal = [E, ln f, lowest E seen, highest E seen]``,
``cnt`` indexed by the constants below.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

from .gray import apply_flips, apply_flips_reference, flip_update, neighbour_runs
from .mathfn import select
from .rng import ReferenceStream, draw_exponentials, seeded_state, step_bits
from .spin_flip import flip_cost

# cnt[] slots
STEPS, PHASE, N_VISITED, N_STAGES, SINCE_CHECK, N_APPROACH, N_ACCEPTED, SWITCH_STEP, SCHEDULE = range(9)
N_COUNTERS = 9
# scal[] slots
ENERGY, LOG_F, E_LOW, E_HIGH = range(4)
N_SCALARS = 4
# phases
HALVING, ONE_OVER_T, DONE = 0, 1, 2
# kernel status
RAN, BELOW, ABOVE = 0, 1, 2
NEW_BIN = 3  # internal to walk
#: Steps whose draws a walker makes ahead (see :func:`walk`).
BUFFER = 256


# ------------------------------------------------------------------------------ pieces

@njit(cache=True, inline="always")
def _distance(b, lo, hi):
    """Bins between bin b and the window [lo, hi) (0 inside)."""
    if b < lo:
        return lo - b
    if b >= hi:
        return b - hi + 1
    return 0


@njit(cache=True)
def _open_bin(b, lg, hist, vis, lo, hi, cnt):
    """First visit of bin b: ln g = min over visited bins (0 if none), histogram reset."""
    m = np.inf
    for k in range(lo, hi):
        if vis[k] and lg[k] < m:
            m = lg[k]
    lg[b] = 0.0 if m == np.inf else m
    vis[b] = True
    cnt[N_VISITED] += 1
    for k in range(lo, hi):
        hist[k] = 0


@njit(cache=True)
def _is_flat(hist, vis, lo, hi, flatness):
    """min H >= flatness * mean H over the visited bins of [lo, hi)."""
    n = 0
    total = 0.0
    low = np.inf
    for k in range(lo, hi):
        if vis[k]:
            n += 1
            total += hist[k]
            if hist[k] < low:
                low = hist[k]
    return n > 0 and low > 0 and low >= flatness * (total / n)


@njit(cache=True)
def _check(lnf, hist, vis, lo, hi, cnt, flatness, log_f_final, one_over_t):
    """The periodic test: flatness -> ln f / 2, the switch to 1/t, convergence. Returns ln f."""
    inv_t = cnt[N_VISITED] / cnt[STEPS]
    if cnt[PHASE] == HALVING:
        if _is_flat(hist, vis, lo, hi, flatness):
            for k in range(lo, hi):
                hist[k] = 0
            cnt[N_STAGES] += 1
            lnf *= 0.5
            if one_over_t and lnf < inv_t:
                cnt[PHASE] = ONE_OVER_T
                cnt[SWITCH_STEP] = cnt[STEPS]
                lnf = inv_t
    else:
        lnf = inv_t
    if lnf <= log_f_final:
        cnt[PHASE] = DONE
    return lnf


# ------------------------------------------------------------------------------ one walker

def walker_streams(seed_sites, seed_variates) -> np.ndarray:
    """A walker's two streams (2, 4) uint64: the sites' and the Exp(1) variates' (:func:`walk`)."""
    return np.stack([seeded_state(np.uint64(seed_sites)), seeded_state(np.uint64(seed_variates))])


@njit(cache=True)
def _fill_sites(st, site, m, p, sched_start, sched_size):
    """``site[:m]``, the spins proposed by the next m steps; returns the schedule position after them.

    Step j takes one draw b (53 bits) of the site stream ``st`` (advanced in place) and proposes
    spin ``sched_start[p] + ((b >> 21) * sched_size[p] >> 32)`` (the 32 high bits scaled to the
    block by a multiply and a shift), p the schedule position, moving on by one per step,
    cyclically. Any choice of site that does not depend on the state keeps the walk's target
    invariant (the flip back is proposed with the same probability); this one is uniform in the
    block to within size / 2^32.
    """
    n = uint64(sched_start.size)
    p = uint64(p)
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for j in range(m):
        b, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
        site[j] = sched_start[p] + np.int64(((b >> uint64(21)) * uint64(sched_size[p])) >> uint64(32))
        p += uint64(1)
        if p == n:
            p = uint64(0)
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3
    return np.int64(p)


#: The walker's position on the grid is kept in fixed point, in units of 2^-FRAC_BITS bins (int64).
FRAC_BITS = 32
ONE_BIN = float(2 ** FRAC_BITS)


@njit(cache=True, inline="always")
def _position(e, origin, inv_width):
    """The grid position of energy e in fixed point: ``floor((e - origin) / width · 2^32)``."""
    return np.int64(math.floor((e - origin) * inv_width * ONE_BIN))


@njit(cache=True, inline="always")
def _propose(si, hi, xq, q_scale, q_end):
    """Flipping a spin s_i with field h_i from the fixed-point position xq: (ΔE, new position, status),
    the new position ``xq + trunc(ΔE · q_scale)`` (q_scale = 2^32 / width) and status BELOW / ABOVE
    when it leaves the grid [0, q_end), q_end = bins · 2^32, else RAN. Scalars only (no array
    reference counting in the loops that call it)."""
    de = flip_cost(si, hi)
    xn = xq + np.int64(de * q_scale)
    status = RAN
    if xn < 0:
        status = BELOW
    elif xn >= q_end:
        status = ABOVE
    return de, xn, status


@njit(cache=True)
def walk(n_steps, s, h, lg, hist, vis, scal, cnt, lo, hi, st, seg_ptr, seg_target, seg_start, seg_len,
         data, sched_start, sched_size, sched_left, deferred, origin, inv_width, flatness, log_f_final, one_over_t,
         check_every):
    """Up to ``n_steps`` proposals of one walker in the window [lo, hi) of bins; returns a status.

    s (N,) int8 spins; h (N,) cached local fields; lg, hist (int64), vis (bool) (B,) over the
    whole grid; scal (4,), cnt (9,) the walker's scalars and counters; st (2, 4) uint64 its
    streams (sites, Exp(1) variates: :func:`walker_streams`);
    the neighbour segments and ``data`` of J; the site schedule (module docstring and
    :class:`engine.wang_landau.SiteSchedule`; ``deferred`` only for blocks without couplings
    inside); ``origin`` the lower edge of bin 0 and ``inv_width`` = 1 / bin width. Returns RAN, or BELOW / ABOVE
    when a proposal leaves the grid.

    Speed: sites and variates are drawn :data:`BUFFER` at a time (:func:`_fill_sites`,
    :func:`~engine.kernels.rng.draw_exponentials`), so the dependent chain of a step is only
    position -> bin -> ln g(b') -> the test ``ln g(b') <= ln g(b) + X`` -> position, with no
    ``exp`` and no branch on whether a variate is needed (the comparison moves the variate index
    on). Nor on the acceptance itself: taken about half the time, it was mispredicted about half
    the time, so the step's results are conditional moves (:func:`~engine.kernels.mathfn.select`;
    64-32-10: 15-16 ns per step against 19 with the branch and a float position, A/B in one
    session). A model without layers, whose fields must change before the next step, leaves the
    inner loop after each accepted flip to update them (~8% more per step on a dense 100-spin
    model than the branch inside the loop, which cost the layered walk ~1 ns per step). The steps between two
    refills or flatness checks run in an inner loop free of that bookkeeping, written out here
    (a separate function holding the inner loop took ~1 ns more per step). The streams and
    the schedule position are left exactly after the draws of the steps taken (rebuilt from the
    streams' state before the buffers). Indices are unsigned (no wrap-around tests).
    """
    if cnt[PHASE] == DONE:
        return RAN
    q_end = np.int64(lg.size) << FRAC_BITS
    q_scale = inv_width * ONE_BIN
    # counters live in registers (array slots could alias hist and force stores); E, its extremes,
    # ln f and the acceptances in scal / cnt between inner loops, so that their registers in an inner
    # loop need not survive the calls outside it (LLVM had kept E and ln g(b) on the stack inside the
    # loop; alone, moving them changed the time per step by less than the noise)
    steps = cnt[STEPS]
    since = cnt[SINCE_CHECK]
    n_appr = cnt[N_APPROACH]
    site = np.empty(BUFFER, dtype=np.int64)
    xs = np.empty(BUFFER)
    base = st.copy()  # both streams before their buffer's first draw
    p_base = cnt[SCHEDULE]
    p_next = _fill_sites(st[0], site, BUFFER, p_base, sched_start, sched_size)
    draw_exponentials(st[1], xs, BUFFER)
    k = 0  # the next unused site
    kx = 0  # the next unused variate
    xq = _position(scal[ENERGY], origin, inv_width)  # the position on the grid (fixed point; tracked, like E)
    bc = xq >> FRAC_BITS
    inside = lo <= bc < hi
    if inside and not vis[bc]:
        _open_bin(bc, lg, hist, vis, lo, hi, cnt)
    n_window = uint64(hi - lo)
    immediate = not deferred
    n_sched = sched_start.size
    dirty = np.zeros(s.size, dtype=np.bool_)  # deferred: flipped an odd number of times in this run
    todo = np.empty(s.size, dtype=np.int64)
    first = neighbour_runs(seg_ptr, seg_target, seg_len) if deferred else todo  # apply_flips' groups
    run_left = sched_left[p_base]  # steps left in the current layer run, of spins blk0 + [0, blk_n)
    blk0 = sched_start[p_base]
    blk_n = sched_size[p_base]
    status = RAN
    left = n_steps
    stop = False
    while True:
        if run_left == 0 or left <= 0 or stop:  # a layer run ends (or the call): its net field change
            if deferred:
                n_todo = 0  # the flipped spins, listed without a branch (a test per spin mispredicts)
                for q in range(blk0, blk0 + blk_n):
                    todo[n_todo] = q
                    n_todo += dirty[q]
                    dirty[q] = False
                apply_flips(todo, n_todo, s, h, first, seg_ptr, seg_target, seg_start, seg_len, data)
            if left <= 0 or stop:
                break
            p = (p_base + k) % n_sched
            run_left = sched_left[p]
            blk0 = sched_start[p]
            blk_n = sched_size[p]
        if k == BUFFER:
            base[0] = st[0]
            p_base = p_next
            p_next = _fill_sites(st[0], site, BUFFER, p_base, sched_start, sched_size)
            k = 0
        if kx == BUFFER:
            base[1] = st[1]
            draw_exponentials(st[1], xs, BUFFER)
            kx = 0
        if inside:
            m = min(BUFFER - k, BUFFER - kx, left, max(1, check_every - since), run_left)  # a step uses <= 1 variate
            # ---- the inner loop: m steps from entry k, without a branch on the acceptance
            e, e_low, e_high, lnf = scal[ENERGY], scal[E_LOW], scal[E_HIGH], scal[LOG_F]
            n_acc = cnt[N_ACCEPTED]
            lgc = lg[uint64(bc)]  # ln g of the current bin
            bn = 0
            j = 0
            while j < m:
                i = uint64(site[uint64(k + j)])
                j += 1
                si = s[i]
                de, xn, status = _propose(si, h[i], xq, q_scale, q_end)
                if status != RAN:
                    break
                bn = xn >> FRAC_BITS
                inw = uint64(bn - lo) < n_window  # lo <= bn < hi
                if inw and not vis[uint64(bn)]:  # opened below, then the step is repeated
                    status = NEW_BIN
                    j -= 1
                    break
                # probability min(1, g(b) / g(b')); a variate is used only when ln g(b') > ln g(b)
                lgn = lg[uint64(bn)]  # on the grid; outside the window the move is rejected
                accept = inw & (lgn <= lgc + xs[uint64(kx)])
                kx += inw & (lgn > lgc)
                s[i] = select(accept, np.int8(-si), si)
                dirty[i] ^= accept
                e = select(accept, e + de, e)
                xq = select(accept, xn, xq)
                bc = select(accept, bn, bc)
                lgc = select(accept, lgn, lgc) + lnf
                n_acc += accept
                e_low = min(e_low, e)
                e_high = max(e_high, e)
                lg[uint64(bc)] = lgc
                hist[uint64(bc)] += 1
                if accept & immediate:  # the fields change now (below), before the next step reads them
                    break
            # ---- after the run
            scal[ENERGY], scal[E_LOW], scal[E_HIGH] = e, e_low, e_high
            cnt[N_ACCEPTED] = n_acc
            if immediate and j > 0:  # the fields after the last step's flip, if any
                q = site[uint64(k + j - 1)]
                if dirty[q]:
                    dirty[q] = False
                    flip_update(q, 2.0 * s[q], h, seg_ptr, seg_target, seg_start, seg_len, data)
            k += j
            left -= j
            run_left -= j
            taken = j - 1 if status == BELOW or status == ABOVE else j
            steps += taken
            since += taken
            if status == NEW_BIN:
                _open_bin(bn, lg, hist, vis, lo, hi, cnt)
                status = RAN
            elif status != RAN:
                stop = True
                continue
            if since >= check_every:
                since = 0
                cnt[STEPS] = steps
                scal[LOG_F] = _check(scal[LOG_F], hist, vis, lo, hi, cnt, flatness, log_f_final, one_over_t)
                stop = cnt[PHASE] == DONE
            continue
        # approaching the window, one step at a time
        i = uint64(site[k])
        k += 1
        left -= 1
        run_left -= 1
        si = s[i]
        de, xn, status = _propose(si, h[i], xq, q_scale, q_end)
        if status != RAN:
            stop = True
            continue
        bn = xn >> FRAC_BITS
        d_old = _distance(bc, lo, hi)
        d_new = _distance(bn, lo, hi)
        n_appr += 1
        ok = d_new <= d_old
        if not ok:  # probability exp(d_old - d_new)
            ok = d_new - d_old <= xs[kx]
            kx += 1
        if ok:
            s[i] = -si
            if deferred:
                dirty[i] = not dirty[i]
            else:
                flip_update(i, -2.0 * si, h, seg_ptr, seg_target, seg_start, seg_len, data)
            scal[ENERGY] += de
            xq = xn
            bc = bn
            scal[E_LOW] = min(scal[E_LOW], scal[ENERGY])
            scal[E_HIGH] = max(scal[E_HIGH], scal[ENERGY])
            if d_new == 0:
                inside = True
                if not vis[bc]:
                    _open_bin(bc, lg, hist, vis, lo, hi, cnt)
    cnt[SCHEDULE] = _fill_sites(base[0], site, k, p_base, sched_start, sched_size)  # redo the draws used
    draw_exponentials(base[1], xs, kx)
    st[:] = base
    cnt[STEPS] = steps
    cnt[SINCE_CHECK] = since
    cnt[N_APPROACH] = n_appr
    return status


@njit(cache=True, parallel=True)
def walk_windows(n_steps, spins, h, lg, hist, vis, scal, cnt, windows, rng, seg_ptr, seg_target, seg_start,
                 seg_len, data, sched_start, sched_size, sched_left, deferred, origin, inv_width, flatness,
                 log_f_final, one_over_t, check_every, status):
    """:func:`walk` for W walkers at once, one per window, in parallel (``prange``).

    spins (W, N) int8, h (W, N), lg / hist / vis (W, B), scal (W, 4), cnt (W, 9), windows (W, 2)
    int64 ``[lo, hi)``, rng (W, 2, 4) uint64, status (W,) int64 receives each walker's status.
    Every walker owns its stream, so the result does not depend on the number of threads.
    """
    for w in prange(spins.shape[0]):
        status[w] = walk(n_steps, spins[w], h[w], lg[w], hist[w], vis[w], scal[w], cnt[w], windows[w, 0],
                         windows[w, 1], rng[w], seg_ptr, seg_target, seg_start, seg_len, data, sched_start,
                         sched_size, sched_left, deferred, origin, inv_width, flatness, log_f_final, one_over_t,
                         check_every)


@njit(cache=True)
def greedy_descent(s, h, sign, seg_ptr, seg_target, seg_start, seg_len, data, max_sweeps):
    """Zero-temperature quench of ``sign * E``: sweep i = 0..N-1, flip i when ``sign * ΔE < 0``.

    sign = +1 descends to a local minimum of E, sign = -1 climbs to a local maximum. s (N,) int8
    and h (N,) are updated in place; returns the total energy change. Stops after a sweep without
    a flip (every flip strictly improves, so no state repeats) or after ``max_sweeps``.
    """
    de_sum = 0.0
    for _ in range(max_sweeps):
        moved = False
        for i in range(s.size):
            de = 2.0 * s[i] * h[i]
            if sign * de < 0.0:
                s[i] = -s[i]
                flip_update(i, 2.0 * s[i], h, seg_ptr, seg_target, seg_start, seg_len, data)
                de_sum += de
                moved = True
        if not moved:
            break
    return de_sum


# ------------------------------------------------------------------------------ NumPy reference

def walk_reference(n_steps, s, h, lg, hist, vis, scal, cnt, lo, hi, seeds, indptr, indices, data, sched_start,
                   sched_size, sched_left, deferred, origin, width, flatness, log_f_final, one_over_t, check_every):
    """Slow, obviously correct :func:`walk` on copies, for a walker whose streams are
    ``walker_streams(*seeds)``.

    Neighbours come straight from the CSR ``(indptr, indices, data)``; the draws from the
    pure-Python :class:`~engine.kernels.rng.ReferenceStream`. Returns
    ``(status, s, h, lg, hist, vis, scal, cnt)``.
    """
    s, h, lg, hist, vis = (np.array(a) for a in (s, h, lg, hist, vis))
    scal, cnt = np.array(scal, dtype=np.float64), np.array(cnt, dtype=np.int64)
    sites, variates = ReferenceStream(int(seeds[0])), ReferenceStream(int(seeds[1]))
    n_bins = lg.size
    inv_width = 1.0 / width  # the kernel's arithmetic, so that bin edges agree to the last bit

    dirty = np.zeros(s.size, dtype=bool)
    block = []  # the current layer run's spins, while updates are deferred

    def draw_site():
        p = cnt[SCHEDULE]
        cnt[SCHEDULE] = (p + 1) % len(sched_start)
        block[:] = range(int(sched_start[p]), int(sched_start[p] + sched_size[p]))
        b = int(sites.uniform() * 2.0 ** 53)  # the draw's 53 bits
        return block[0] + (((b >> 21) * int(sched_size[p])) >> 32), sched_left[p] == 1

    def update(i):
        row = slice(indptr[i], indptr[i + 1])
        h[indices[row]] += 2.0 * s[i] * data[row]

    def flush():  # the net field change of the run: spins flipped an odd number of times, in order
        flipped = [j for j in block if dirty[j]]
        dirty[flipped] = False
        apply_flips_reference(flipped, s, h, indptr, indices, data)

    def dist(b):
        return lo - b if b < lo else (b - hi + 1 if b >= hi else 0)

    def open_bin(b):
        seen = vis[lo:hi]
        lg[b] = lg[lo:hi][seen].min() if seen.any() else 0.0
        vis[b] = True
        cnt[N_VISITED] += 1
        hist[lo:hi] = 0

    def flip(i):
        s[i] = -s[i]
        if deferred:
            dirty[i] = not dirty[i]
        else:
            update(i)

    if cnt[PHASE] == DONE:
        return RAN, s, h, lg, hist, vis, scal, cnt
    e, lnf = scal[ENERGY], scal[LOG_F]
    xq = math.floor((e - origin) * inv_width * ONE_BIN)  # fixed point, as the kernel
    q_scale = inv_width * ONE_BIN
    bc = xq >> FRAC_BITS
    inside = lo <= bc < hi
    if inside and not vis[bc]:
        open_bin(bc)
    status = RAN
    run_over = False
    for _ in range(n_steps):
        if run_over:  # the last step ended a layer run
            flush()
        i, run_over = draw_site()
        de = 2.0 * s[i] * h[i]
        xn = xq + int(de * q_scale)  # int() truncates toward zero, as the kernel's conversion
        if xn < 0 or xn >= n_bins << FRAC_BITS:
            status = BELOW if xn < 0 else ABOVE
            break
        bn = xn >> FRAC_BITS
        if not inside:
            cnt[N_APPROACH] += 1
            if dist(bn) <= dist(bc) or dist(bn) - dist(bc) <= variates.exponential():
                flip(i)
                e, xq, bc = e + de, xn, bn
                scal[E_LOW], scal[E_HIGH] = min(scal[E_LOW], e), max(scal[E_HIGH], e)
                if dist(bc) == 0:
                    inside = True
                    if not vis[bc]:
                        open_bin(bc)
            continue
        accept = False
        if lo <= bn < hi:
            if not vis[bn]:
                open_bin(bn)
            accept = lg[bn] <= lg[bc] or lg[bn] <= lg[bc] + variates.exponential()
        if accept:
            flip(i)
            e, xq, bc = e + de, xn, bn
            cnt[N_ACCEPTED] += 1
            scal[E_LOW], scal[E_HIGH] = min(scal[E_LOW], e), max(scal[E_HIGH], e)
        lg[bc] += lnf
        hist[bc] += 1
        cnt[STEPS] += 1
        cnt[SINCE_CHECK] += 1
        if cnt[SINCE_CHECK] >= check_every:
            cnt[SINCE_CHECK] = 0
            inv_t = cnt[N_VISITED] / cnt[STEPS]
            if cnt[PHASE] == HALVING:
                H = hist[lo:hi][vis[lo:hi]]
                if H.size and H.min() > 0 and H.min() >= flatness * H.mean():
                    hist[lo:hi] = 0
                    cnt[N_STAGES] += 1
                    lnf *= 0.5
                    if one_over_t and lnf < inv_t:
                        cnt[PHASE], cnt[SWITCH_STEP], lnf = ONE_OVER_T, cnt[STEPS], inv_t
            else:
                lnf = inv_t
            if lnf <= log_f_final:
                cnt[PHASE] = DONE
                break
    flush()  # the walk returns with every field up to date
    scal[ENERGY], scal[LOG_F] = e, lnf
    return status, s, h, lg, hist, vis, scal, cnt


def greedy_descent_reference(J, b, s, sign, max_sweeps):
    """:func:`greedy_descent` with every local field recomputed from dense J (N, N) and b (N,)."""
    s = np.array(s, dtype=np.int64)
    for _ in range(max_sweeps):
        moved = False
        for i in range(s.size):
            if sign * 2.0 * s[i] * (J[i] @ s + b[i]) < 0.0:
                s[i] = -s[i]
                moved = True
        if not moved:
            break
    return s
