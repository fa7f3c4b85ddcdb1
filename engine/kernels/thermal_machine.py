"""numba kernels of the thermal deep learning machine, each beside its NumPy reference.

The machine (Huang, Chan, Yoshino, Zhang & Jin, arXiv:2506.06789, 2025) is integrated by
Langevin molecular dynamics; see :mod:`engine.thermal_machine` for the model and the public
API. Everything here works on one flat array per replica that holds every free variable
(the public module builds the layout):

``x[r]`` = [S_1, ..., S_{L-1}, J_1, ..., J_L]  with  S_l stored feature-major as (n_l, M)
(``S_l[i, mu]``; a row is one neuron over all training examples, so the inner loops run over
M contiguous numbers and vectorise) and J_l as (n_l, n_{l-1}) (torch's ``weights[l]``).
``off_s[l]`` / ``off_j[l]`` are the offsets of S_l / J_l in ``x[r]`` (``off_s`` is -1 for the
clamped layers 0 and L, whose values ``s0t`` (N_0, M) and ``slt`` (n_L, M) are passed apart).

Kernels:

* :func:`md_steps` -- ``n_steps`` steps of the literal integrator for every replica, with the
  Gaussian noise drawn inside from each replica's own xoshiro256+ stream
  (:mod:`engine.kernels.rng`) by a 256-layer ziggurat (:func:`draw_normals`).
  Reference: :func:`md_step_reference` (one step, noise given).
* :func:`layer_energies` -- E_l for every replica. Reference: :func:`layer_energies_reference`.
* :func:`draw_normals` -- the noise the kernel draws. Reference: :func:`normals_reference`.
* :func:`tanh_kernel` -- the branch-free tanh the kernel uses, from :mod:`engine.kernels.mathfn`
  (libm's tanh is a scalar call that stops LLVM from vectorising the loop and costs ~4x).
  Reference: ``np.tanh``.

Kernels use ``error_model="numpy"`` (no zero-division branches) and ``fastmath`` so that
LLVM vectorises the inner loops and reductions; they therefore agree with the references to
rounding (~1e-15 relative), not bit for bit.

References: G. Marsaglia & W. W. Tsang, "The ziggurat method for generating random
variables", J. Stat. Softw. 5 (2000); W. J. Cody & W. Waite, "Software manual for the
elementary functions" (1980) for the range reduction of exp.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

from .mathfn import FASTMATH, fast_tanh, fast_tanh_array as tanh_kernel  # noqa: F401 (tests use tanh_kernel)
from .rng import TO_UNIT, reference_uniforms, step_bits

# ------------------------------------------------------------------------------ noise

def _ziggurat_tables(n_layers: int = 256, r: float = 3.6541528853610088):
    """Layer edges x_i and heights f(x_i) = exp(-x_i²/2) of the 256-layer ziggurat.

    Every layer has the same area v = r f(r) + ∫_r^∞ f; layer 0 is the base strip
    [0, v/f(r)] × [0, f(r)] plus the tail beyond r, and layer i >= 1 is
    [0, x_i] × [f(x_i), f(x_{i+1})] with x_1 = r, x_{i+1} = f^{-1}(v/x_i + f(x_i)), x_256 = 0.
    """
    f = lambda t: math.exp(-0.5 * t * t)  # noqa: E731
    v = r * f(r) + math.sqrt(math.pi / 2.0) * math.erfc(r / math.sqrt(2.0))
    x = np.empty(n_layers + 1)
    x[0], x[1] = v / f(r), r
    for i in range(1, n_layers - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(v / x[i] + f(x[i])))
    x[n_layers] = 0.0
    return x, np.exp(-0.5 * x * x)


ZIG_X, ZIG_F = _ziggurat_tables()
ZIG_R = float(ZIG_X[1])


@njit(cache=True, inline="always")
def fill_normals(st, out, n, zx, zf):
    """out[:n] = the next n N(0, 1) numbers of xoshiro stream ``st`` (advanced in place) by the
    ziggurat (tables ``zx``, ``zf``), the state held in scalars (:func:`rng.step_bits`).

    One uniform u in [0, 1) gives the layer i = floor(512 u) >> 1, the sign (its low bit)
    and the abscissa w x_i with w = frac(512 u) (44 random bits, plenty for noise); the rare
    rejections and the tail draw more uniforms of the same stream, in order. The common path
    takes k = floor(512 u) and frac(512 u) straight from the 53 bits behind u (the same numbers
    exactly: u = b / 2^53, so 512 u = b / 2^44), which is faster than the float route.
    """
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for m in range(n):
        while True:
            bits, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
            k = np.int64(bits >> uint64(44))
            i = k >> 1
            z = np.int64(bits & uint64(0xFFFFFFFFFFF)) * (1.0 / 17592186044416.0) * zx[i]
            if z < zx[i + 1]:
                break
            if i == 0:  # the tail beyond r (Marsaglia 1964)
                r = zx[1]
                while True:
                    ba, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
                    bb, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
                    a = -math.log(1.0 - np.int64(ba) * TO_UNIT) / r
                    b = -math.log(1.0 - np.int64(bb) * TO_UNIT)
                    if 2.0 * b > a * a:
                        break
                z = r + a
                break
            bw, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
            if zf[i] + np.int64(bw) * TO_UNIT * (zf[i + 1] - zf[i]) < math.exp(-0.5 * z * z):
                break
        out[m] = -z if (k & 1) else z
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3


@njit(cache=True)
def draw_normals(rng, n):
    """(R, n) standard normals, row r from stream ``rng[r]`` (uint64 (R, 4), advanced in place).

    :func:`md_steps` draws its noise exactly like this: per step and replica, ``n_free``
    numbers in the order of ``x[r]``; so copying ``rng`` and calling this gives the noise
    of the coming steps (that is how the tests feed :func:`md_step_reference`).
    """
    out = np.empty((rng.shape[0], n))
    for r in range(rng.shape[0]):
        fill_normals(rng[r], out[r], n, ZIG_X, ZIG_F)
    return out


def normals_reference(seed: int, n: int) -> np.ndarray:
    """Pure-Python ziggurat on the reference xoshiro stream: the reference for ``draw_normals``.

    ``draw_normals(seeded_state(seed)[None], n)[0]`` must equal this.
    """
    u = reference_uniforms(seed, 3 * n + 64)
    pos = 0

    def uniform():
        nonlocal pos
        pos += 1
        return u[pos - 1]

    out = np.empty(n)
    for m in range(n):
        while True:
            w = uniform() * 512.0
            k = int(w)
            i = k >> 1
            z = (w - k) * ZIG_X[i]
            if z < ZIG_X[i + 1]:
                break
            if i == 0:
                while True:
                    a = -math.log(1.0 - uniform()) / ZIG_R
                    b = -math.log(1.0 - uniform())
                    if 2.0 * b > a * a:
                        break
                z = ZIG_R + a
                break
            if ZIG_F[i] + uniform() * (ZIG_F[i + 1] - ZIG_F[i]) < math.exp(-0.5 * z * z):
                break
        out[m] = -z if (k & 1) else z
    return out


# ------------------------------------------------------------------------------ energy and force

@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _layers(xr, s0t, slt, widths, off_s, off_j, squared, want_grad, g, a, p, energies):
    """E_l of one replica (into ``energies``, (L,)) and, if ``want_grad``, g = ∂H/∂x.

    Per layer: A = J_l S_{l-1}, T = tanh(A), D = S_l - T, E_l = |D| (Frobenius), and with
    w = 1/E_l (H = Σ E_l) or w = 2 (H = Σ E_l²):
    ∂H/∂S_l += w D,  B = -w D ⊙ (1 - T²),  ∂H/∂J_l = B S_{l-1}ᵀ,  ∂H/∂S_{l-1} += J_lᵀ B.
    ``a``, ``p`` are (max width, M) scratch arrays.
    """
    L = widths.shape[0] - 1
    M = s0t.shape[1]
    if want_grad:
        g[:] = 0.0
    for l in range(1, L + 1):
        nin = widths[l - 1]
        nout = widths[l]
        J = xr[off_j[l]:off_j[l] + nout * nin].reshape((nout, nin))
        if l == 1:
            sp = s0t
        else:
            sp = xr[off_s[l - 1]:off_s[l - 1] + nin * M].reshape((nin, M))
        if l == L:
            sl = slt
        else:
            sl = xr[off_s[l]:off_s[l] + nout * M].reshape((nout, M))
        for i in range(nout):
            for mu in range(M):
                a[i, mu] = 0.0
            for j in range(nin):
                jij = J[i, j]
                for mu in range(M):
                    a[i, mu] += jij * sp[j, mu]
        e2 = 0.0
        for i in range(nout):
            for mu in range(M):
                t = fast_tanh(a[i, mu])
                d = sl[i, mu] - t
                a[i, mu] = d
                p[i, mu] = 1.0 - t * t
                e2 += d * d
        e = math.sqrt(e2)
        energies[l - 1] = e
        if not want_grad:
            continue
        if squared:
            w = 2.0
        else:
            # the force of |D| is undefined at D = 0; take the zero subgradient
            w = 1.0 / e if e > 0.0 else 0.0
        if l < L:
            gs = g[off_s[l]:off_s[l] + nout * M].reshape((nout, M))
            for i in range(nout):
                for mu in range(M):
                    gs[i, mu] += w * a[i, mu]
        for i in range(nout):
            for mu in range(M):
                p[i, mu] = -w * a[i, mu] * p[i, mu]
        gj = g[off_j[l]:off_j[l] + nout * nin].reshape((nout, nin))
        for i in range(nout):
            for j in range(nin):
                acc = 0.0
                for mu in range(M):
                    acc += p[i, mu] * sp[j, mu]
                gj[i, j] = acc
        if l > 1:
            gsp = g[off_s[l - 1]:off_s[l - 1] + nin * M].reshape((nin, M))
            for i in range(nout):
                for j in range(nin):
                    jij = J[i, j]
                    for mu in range(M):
                        gsp[j, mu] += jij * p[i, mu]


@njit(cache=True)
def layer_energies(x, s0t, slt, widths, off_s, off_j):
    """E_l for every replica: (R, L) from positions ``x`` (R, n_free)."""
    R = x.shape[0]
    L = widths.shape[0] - 1
    wmax = widths.max()
    out = np.empty((R, L))
    a = np.empty((wmax, s0t.shape[1]))
    p = np.empty_like(a)
    g = np.empty(0)
    for r in range(R):
        _layers(x[r], s0t, slt, widths, off_s, off_j, False, False, g, a, p, out[r])
    return out


@njit(cache=True)
def gradient(x, s0t, slt, widths, off_s, off_j, squared):
    """∂H/∂x for every replica, (R, n_free) (H = Σ E_l, or Σ E_l² if ``squared``)."""
    R, n_free = x.shape
    wmax = widths.max()
    out = np.empty((R, n_free))
    a = np.empty((wmax, s0t.shape[1]))
    p = np.empty_like(a)
    e = np.empty(widths.shape[0] - 1)
    for r in range(R):
        _layers(x[r], s0t, slt, widths, off_s, off_j, squared, True, out[r], a, p, e)
    return out


# ------------------------------------------------------------------------------ the integrator

_ONE_BELOW = 1.0 - 2.0 ** -53  # largest double < 1


@njit(cache=True, inline="always")
def _reflect(r, v):
    """Fold a coordinate back into (-1, 1) by mirror images at ±1; each mirror flips v.

    Mirrors at ±1 make the motion periodic with period 4 in r: y = (r + 1) mod 4 in [0, 4);
    y <= 2 means an even number of reflections (r' = y - 1, v kept), y > 2 an odd number
    (r' = 3 - y, v reversed). Works for any overshoot, so huge forces cannot escape.
    """
    y = (r + 1.0) % 4.0
    if y > 2.0:
        r = 3.0 - y
        v = -v
    else:
        r = y - 1.0
    # landing exactly on a wall (or rounding onto it) would leave the open interval
    if r >= 1.0:
        r = _ONE_BELOW
    elif r <= -1.0:
        r = -_ONE_BELOW
    return r, v


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def md_steps(x, v, rng, s0t, slt, widths, off_s, off_j, n_steps, dt, eta, kt, squared, energies):
    """``n_steps`` Langevin steps of the literal integrator, every replica, in place.

    x (R, n_free) positions r(t); v (R, n_free) velocities v(t - Δt/2); rng (R, 4) uint64
    streams. Per step and replica, with ξ ~ N(0, 1) drawn from ``rng[r]`` (``n_free`` of them
    in the order of ``x[r]``, see :func:`draw_normals`):
    F = -∂H/∂r - η v(t-Δt/2) + sqrt(η(2-η) k_BT) ξ;  v(t+Δt/2) = v(t-Δt/2) + F Δt;
    r(t+Δt) = r(t) + v(t+Δt/2) Δt;  then reflecting walls at ±1.
    ``energies`` (R, L) receives E_l at the positions where the last force was evaluated.
    """
    R, n_free = x.shape
    wmax = widths.max()
    M = s0t.shape[1]
    g = np.empty(n_free)
    xi = np.empty(n_free)
    a = np.empty((wmax, M))
    p = np.empty((wmax, M))
    c = math.sqrt(eta * (2.0 - eta) * kt)
    for _ in range(n_steps):
        for r in range(R):
            fill_normals(rng[r], xi, n_free, ZIG_X, ZIG_F)
            xr = x[r]
            vr = v[r]
            _layers(xr, s0t, slt, widths, off_s, off_j, squared, True, g, a, p, energies[r])
            for k in range(n_free):
                vk = vr[k] + (c * xi[k] - g[k] - eta * vr[k]) * dt
                xk = xr[k] + vk * dt
                if xk >= 1.0 or xk <= -1.0:
                    xk, vk = _reflect(xk, vk)
                vr[k] = vk
                xr[k] = xk


# ------------------------------------------------------------------------------ NumPy references

def _views(x, s0t, slt, widths, off_s, off_j):
    """Per-layer views of x (R, n_free): S[l] (R, n_l, M) for l = 0..L, J[l] (R, n_l, n_{l-1})."""
    R, M, L = x.shape[0], s0t.shape[1], len(widths) - 1
    S = [np.broadcast_to(s0t, (R, *s0t.shape))]
    S += [x[:, off_s[l]:off_s[l] + widths[l] * M].reshape(R, widths[l], M) for l in range(1, L)]
    S += [np.broadcast_to(slt, (R, *slt.shape))]
    J = [None] + [x[:, off_j[l]:off_j[l] + widths[l] * widths[l - 1]].reshape(R, widths[l], widths[l - 1])
                  for l in range(1, L + 1)]
    return S, J


def layer_energies_reference(x, s0t, slt, widths, off_s, off_j):
    """E_l = sqrt(Σ_μ Σ_i [S^μ_{l,i} - tanh(Σ_j J_{l,ij} S^μ_{l-1,j})]²), (R, L), in NumPy."""
    S, J = _views(x, s0t, slt, widths, off_s, off_j)
    return np.stack([np.sqrt(((S[l] - np.tanh(J[l] @ S[l - 1])) ** 2).sum(axis=(1, 2)))
                     for l in range(1, len(widths))], axis=1)


def gradient_reference(x, s0t, slt, widths, off_s, off_j, squared=False):
    """∂H/∂x (R, n_free) by the chain rule in NumPy (see :func:`_layers` for the formulas)."""
    S, J = _views(x, s0t, slt, widths, off_s, off_j)
    g = np.zeros_like(x)
    gS, gJ = _views(g, s0t, slt, widths, off_s, off_j)
    L = len(widths) - 1
    for l in range(1, L + 1):
        T = np.tanh(J[l] @ S[l - 1])
        D = S[l] - T
        E = np.sqrt((D * D).sum(axis=(1, 2)))
        if squared:
            w = np.full_like(E, 2.0)
        else:
            w = np.divide(1.0, E, out=np.zeros_like(E), where=E > 0)
        G = w[:, None, None] * D
        B = -G * (1.0 - T * T)
        if l < L:
            gS[l] += G
        gJ[l] += B @ np.swapaxes(S[l - 1], 1, 2)
        if l > 1:
            gS[l - 1] += np.swapaxes(J[l], 1, 2) @ B
    return g


def reflect_reference(r, v):
    """Vectorised :func:`_reflect`: positions folded into (-1, 1), velocities flipped per mirror."""
    out_r, out_v = np.array(r, dtype=float), np.array(v, dtype=float)
    hit = (out_r >= 1.0) | (out_r <= -1.0)
    y = np.mod(out_r[hit] + 1.0, 4.0)
    odd = y > 2.0
    out_r[hit] = np.where(odd, 3.0 - y, y - 1.0)
    out_v[hit] = np.where(odd, -out_v[hit], out_v[hit])
    return np.clip(out_r, -_ONE_BELOW, _ONE_BELOW), out_v


def md_step_reference(x, v, xi, s0t, slt, widths, off_s, off_j, dt, eta, kt, squared=False):
    """One step of the literal integrator in plain NumPy, noise ``xi`` (R, n_free) given.

    F = -∂H/∂r - η v + sqrt(η(2-η) k_BT) ξ;  v += F Δt;  r += v Δt;  reflect at ±1.
    Returns new (x, v); the inputs are not modified.
    """
    F = -gradient_reference(x, s0t, slt, widths, off_s, off_j, squared) - eta * v \
        + math.sqrt(eta * (2.0 - eta) * kt) * xi
    v_new = v + F * dt
    return reflect_reference(x + v_new * dt, v_new)
