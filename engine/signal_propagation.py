"""Mean-field signal propagation through deep random networks: order, chaos and the edge between.

Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli, "Exponential expressivity in deep neural
networks through transient chaos", NeurIPS 2016; Schoenholz, Gilmer, Ganguli &
Sohl-Dickstein, "Deep information propagation", ICLR 2017; Roberts, Yaida & Hanin, "The
Principles of Deep Learning Theory" (2021), ch. 5. PHYSICS.md section 7.

A random MLP with W_ij ~ N(0, σ_w²/fan_in), b_i ~ N(0, σ_b²) (σ_w² = ``weight_variance``
= C_W, σ_b² = ``bias_variance`` = C_b) maps two inputs with |x|²/N0 = q_0 and
correlation c_0 to pre-activations with, at infinite width,

    q-map:  q_l = σ_w² ∫Dz φ(√q_{l-1} z)² + σ_b²
    c-map:  c_l = [σ_w² F_φ(q_{l-1}, q_{l-1}, q_{l-1} c_{l-1}) + σ_b²] / q_l
    χ1 = σ_w² ∫Dz φ'(√q* z)²           ordered χ1 < 1 (c* = 1), chaotic χ1 > 1 (c* < 1)
    ξ_q = -1/log χ_q,  χ_q = σ_w² d/dq ∫Dz φ(√q z)² = χ1 + σ_w² ∫Dz φ''φ
    ξ_c = -1/log χ_c,  χ_c = σ_w² ∫Dz₁Dz₂ φ'(u₁*)φ'(u₂*) = the c-map's slope at c*

The first layer acts on the raw inputs (no φ): q_1 = σ_w² q_0 + σ_b². The c-map IS the
NNGP kernel recursion, so everything here runs through :func:`engine.nngp.kernel_layers`
and the pair expectations F_φ of :mod:`engine.nngp`; there is no second implementation.
``depth`` always counts hidden layers.

Conventions **(choice)** where the fixed point degenerates:

- χ = 1 within 1e-9 gives ξ = inf (power-law, not exponential, approach); a χ > 1 (no
  stable fixed point, e.g. the q-map of a ReLU net with σ_w² > 2) gives ξ = nan.
- σ_b² = 0 with χ1 <= 1 drives q_l to 0 (odd bounded φ) and homogeneous φ (linear, ReLU,
  shaped ReLU) have no finite q* unless σ_w²κ < 1. The reported c*, χ_c, ξ_c are then the
  limit σ_b² → 0⁺ of the σ_b² > 0 values, which is continuous across the phase diagram.
  The exact σ_b² = 0 depth flow differs after a transient whose length diverges as
  σ_b² → 0: q_l → 0 makes tanh effectively linear, so c_l freezes at a c_0-dependent value,
  and a bias-free ReLU net has the σ_w²-independent c-map 1 - c_l ≈ 9π²/(2l²) for every
  σ_w². ``FixedPoint.note`` says so whenever it applies.
- When q_l grows without bound (homogeneous φ with σ_w²κ >= 1 and σ_b² > 0, or > 1),
  q* = inf and c*, χ_c describe the limiting, bias-free c-map (tangent to the identity at
  c = 1 for ReLU-type φ, the identity for linear φ, hence ξ_c = inf).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .errors import EngineError, expected
from .nngp import Activation, SAMPLING_METHODS, as_activation, kernel_layers, pair_inputs, sample_preactivations
from .progress import Callback, report
from .random import as_generator
from .validation import choice, finite_array, integer, positive, real

#: |χ - 1| at or below this counts as critical (ξ = inf).
CRITICAL_TOL = 1e-9
#: The largest phase diagram (grid points) computed in one call.
MAX_GRID = 250_000
#: σ_w² searched for the critical point of bounded activations (log-spaced bracket scan).
_SCAN = np.geomspace(1e-2, 1e3, 61)


def correlation_length(chi):
    """ξ = -1/log χ for 0 < χ < 1; inf when |χ - 1| <= CRITICAL_TOL; nan when χ > 1; 0 when χ <= 0."""
    chi = np.asarray(chi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = -1.0 / np.log(np.where(chi > 0, chi, 1.0))
    xi = np.where(chi <= 0, 0.0, xi)
    xi = np.where(chi > 1 + CRITICAL_TOL, np.nan, xi)
    return np.where(np.abs(chi - 1) <= CRITICAL_TOL, np.inf, xi)


# ---------------------------------------------------------------------------------------------
# Fixed points, vectorised over (σ_w², σ_b²)
# ---------------------------------------------------------------------------------------------

def _newton_bracketed(fun, x0, lo, hi, tol=1e-14, max_iter=100):
    """Vectorised safeguarded Newton: roots of fun(x) -> (g, g') with g(lo) >= 0 >= g(hi).

    A Newton step that leaves the bracket is replaced by bisection, so every point
    converges; only unconverged points are re-evaluated. Returns x (same shape as x0).
    """
    x, lo, hi = (np.array(t, dtype=float, copy=True).ravel() for t in np.broadcast_arrays(x0, lo, hi))
    active = np.arange(x.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        xa = x[active]
        g, dg = fun(active, xa)
        lo[active] = np.where(g > 0, xa, lo[active])
        hi[active] = np.where(g <= 0, xa, hi[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            new = xa - g / dg
        la, ha = lo[active], hi[active]
        outside = ~((new >= la) & (new <= ha))
        new = np.where(outside, 0.5 * (la + ha), new)
        # converged: a tiny step, a residual at rounding level (near a double root the step
        # is rounding noise / a small slope), or a collapsed bracket
        scale = np.maximum(1.0, np.abs(xa))
        done = (np.abs(new - xa) <= tol * scale) | (np.abs(g) <= 1e-15 * scale) | (ha - la <= tol * scale)
        x[active] = np.where(g == 0, xa, new)
        active = active[~done]
    return x


def _solve_q(act: Activation, cw, cb):
    """The largest root of G(q) = σ_w² V(q) + σ_b² - q for a bounded activation (the stable q*).

    G(0) >= 0 and G(σ_w² sup σ² + σ_b²) <= 0. A table of V on a shared log grid brackets each
    root (the last grid point where G > 0) and interpolates a start; safeguarded Newton then
    needs about three evaluations of V, V' per point instead of ten from the top.
    """
    top = float(np.max(cw * act.max_square + cb))
    grid = np.concatenate([[0.0], np.geomspace(1e-10 * max(top, 1.0), top, 400)])
    v = act.diagonal(grid)[0]
    x0, lo, hi = (np.empty(cw.size) for _ in range(3))
    for s in range(0, cw.size, 2048):  # (points × grid) blocks of a few MB
        sl = slice(s, s + 2048)
        g = cw[sl, None] * v + cb[sl, None] - grid
        i = np.minimum(grid.size - 1 - np.argmax((g > 0)[:, ::-1], axis=1), grid.size - 2)
        rows = np.arange(g.shape[0])
        g0, g1 = g[rows, i], g[rows, i + 1]
        lo[sl], hi[sl] = grid[i], grid[i + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(g0 > g1, g0 / (g0 - g1), 0.5)
        x0[sl] = lo[sl] + np.clip(t, 0.0, 1.0) * (hi[sl] - lo[sl])

    def g_q(idx, q):
        v, dv, _ = act.diagonal(q)
        return cw[idx] * v + cb[idx] - q, cw[idx] * dv - 1.0

    return _newton_bracketed(g_q, x0, lo, hi)


def _fixed_points(act: Activation, cw, cb, *, need_c: bool = True) -> dict:
    """q*, c*, χ1, χ_q, χ_c, ξ_q, ξ_c for arrays cw, cb (broadcast, flattened); see the module docstring."""
    cw, cb = (np.ravel(t).astype(float) for t in np.broadcast_arrays(np.asarray(cw, float), np.asarray(cb, float)))
    n = cw.size
    out = {k: np.full(n, np.nan) for k in ("q_star", "c_star", "chi1", "chi_q", "chi_c")}
    if act.homogeneous:
        kappa = act.kappa
        chi1 = cw * kappa
        ordered = chi1 < 1 - CRITICAL_TOL
        critical = np.abs(chi1 - 1) <= CRITICAL_TOL
        with np.errstate(divide="ignore"):
            out["q_star"] = np.where(ordered, cb / np.where(ordered, 1 - chi1, 1.0), np.inf)
        out["q_star"][critical & (cb == 0)] = np.nan  # every q is a fixed point
        out["chi1"] = chi1
        out["chi_q"] = chi1
        # ordered: c' = σ_w² F̂(c) + 1 - χ1 has slope χ1 at c* = 1; otherwise the bias-free
        # map F̂(c)/κ is tangent to the identity at c = 1 (the identity itself when linear)
        out["c_star"] = np.where(ordered | (act.name != "linear"), 1.0, np.nan)
        out["chi_c"] = np.where(ordered, chi1, 1.0)
    else:
        phi0 = float(act(0.0))
        slope0 = float(act.diagonal(0.0)[1])
        zero = (cb == 0) & (phi0 == 0.0) & (cw * slope0 <= 1 + CRITICAL_TOL)
        q = np.zeros(n)
        todo = np.flatnonzero(~zero)
        if todo.size:
            q[todo] = _solve_q(act, cw[todo], cb[todo])
        out["q_star"] = q
        _, dv, chi = act.diagonal(q)
        out["chi1"] = cw * chi
        out["chi_q"] = cw * dv
        out["c_star"] = np.ones(n)
        out["chi_c"] = out["chi1"].copy()
        chaotic = np.flatnonzero(out["chi1"] > 1 + CRITICAL_TOL)
        if need_c and chaotic.size:
            # odd φ without bias: c = 0 is a fixed point, and the stable one (g below is odd)
            at_zero = (cb[chaotic] == 0) & act.odd
            out["c_star"][chaotic[at_zero]] = 0.0
            solve = chaotic[~at_zero]
            qc, wc, bc = q[solve], cw[solve], cb[solve]

            def g_c(idx, c):
                f, f1, _ = act.pair(qc[idx], qc[idx], qc[idx] * c, order=1)
                return (wc[idx] * f + bc[idx]) / qc[idx] - c, wc[idx] * f1 - 1.0

            # g(c) = M(c) - c: g(0) >= 0 (F(a, a, 0) = (Eφ)² >= 0), g(1) = 0 with g'(1) = χ1 - 1 > 0,
            # g convex on [0, 1] (F'' = E[φ''φ''] >= 0 for c >= 0), so the stable root is in [0, 1).
            # Start from the quadratic model at c = 1, g ≈ (χ1-1)(c-1) + M''(1)(c-1)²/2, M'' = σ_w² q F''.
            if solve.size:
                m2 = wc * qc * act.pair(qc, qc, qc, order=2)[2]
                start = np.clip(1.0 - 2.0 * (out["chi1"][solve] - 1.0) / m2, 0.0, 1.0)
                out["c_star"][solve] = _newton_bracketed(g_c, start, 0.0, 1.0)
            qa, ca = q[chaotic], out["c_star"][chaotic]
            out["chi_c"][chaotic] = cw[chaotic] * act.pair(qa, qa, qa * ca, order=1)[1]
    out["xi_q"] = correlation_length(out["chi_q"])
    out["xi_c"] = correlation_length(out["chi_c"])
    out["xi_q"] = np.where(np.isinf(out["q_star"]), np.nan, out["xi_q"])
    return out


def _phase(chi1):
    return np.where(np.abs(chi1 - 1) <= CRITICAL_TOL, "critical", np.where(chi1 < 1, "ordered", "chaotic"))


def _note(act: Activation, cw: float, cb: float, fp: dict) -> str:
    q = fp["q_star"]
    notes = []
    if np.isnan(q):
        notes.append("σ_b² = 0 and σ_w²κ = 1: every q is a fixed point of the q-map (q_l = q_1)")
    elif np.isinf(q):
        notes.append("q_l grows without bound; c*, χ_c are those of the limiting bias-free c-map"
                     + (" (the identity: c_l keeps a memory of c_0)" if act.name == "linear" else
                        " (tangent to the identity at c = 1: power-law approach, ξ_c = inf)"))
    elif cb == 0 and (q == 0 or act.homogeneous):
        notes.append("σ_b² = 0: reported c*, χ_c, ξ_c are the σ_b² → 0⁺ limit; the exact bias-free flow "
                     + ("has q_l → 0, where φ is effectively linear and c_l freezes at a c_0-dependent value"
                        if not act.homogeneous else
                        "has a σ_w²-independent c-map" + (" (1 - c_l ≈ 9π²/(2l²) for ReLU)"
                                                          if act.name == "relu" else "")))
    return "; ".join(notes)


@dataclass(frozen=True)
class FixedPoint:
    """The stable fixed point of the q- and c-maps and the depth scales around it.

    ``q_star`` pre-activation variance (0: decays to 0; inf: grows without bound; nan: every
    q is fixed), ``c_star`` correlation, ``chi1`` = σ_w² E[φ'(√q* z)²] (growth of small
    perturbations and of gradients per layer), ``chi_q`` and ``chi_c`` the slopes of the q-
    and c-maps at the fixed point, ``xi_q`` = -1/log χ_q and ``xi_c`` = -1/log χ_c in layers
    (inf at χ = 1), ``phase`` "ordered" | "critical" | "chaotic" by χ1, and ``note`` on
    degenerate cases (see the module docstring).
    """

    activation: str
    weight_variance: float
    bias_variance: float
    q_star: float
    c_star: float
    chi1: float
    chi_q: float
    chi_c: float
    xi_q: float
    xi_c: float
    phase: str
    note: str = ""

    @property
    def trainable_depth(self) -> float:
        """About 6 ξ_c: the depth up to which Schoenholz et al. (2017) observed training to succeed."""
        return 6.0 * self.xi_c

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"trainable_depth": self.trainable_depth}


def _variances(weight_variance, bias_variance):
    return positive("weight_variance", weight_variance), real("bias_variance", bias_variance, low=0.0)


def fixed_point(activation, weight_variance, bias_variance) -> FixedPoint:
    """The q-map / c-map fixed point and depth scales at (σ_w², σ_b²): a :class:`FixedPoint`.

    ``activation`` is a name or an :class:`engine.nngp.Activation` (shaped activations need
    the object, to fix their L). ξ's are infinite where the relevant χ = 1.
    """
    act = as_activation(activation)
    cw, cb = _variances(weight_variance, bias_variance)
    fp = {k: float(v[0]) for k, v in _fixed_points(act, cw, cb).items()}
    return FixedPoint(act.label, cw, cb, fp["q_star"], fp["c_star"], fp["chi1"], fp["chi_q"], fp["chi_c"],
                      fp["xi_q"], fp["xi_c"], str(_phase(fp["chi1"])), _note(act, cw, cb, fp))


def _critical_line(act: Activation, cb: np.ndarray) -> np.ndarray:
    """σ_w² with χ1 = 1 for each σ_b² in ``cb`` (nan where there is none)."""
    cb = np.asarray(cb, dtype=float)
    out = np.full(cb.shape, np.nan)
    if act.homogeneous:
        return np.where(cb == 0, 1.0 / act.kappa, np.nan)
    slope0 = float(act.diagonal(0.0)[1])
    exact = (cb == 0) & (float(act(0.0)) == 0.0)
    out[exact] = 1.0 / slope0  # χ1 = σ_w² φ'(0)² while q* = 0, and q* = 0 up to exactly there
    rest = np.flatnonzero(~exact)
    if rest.size == 0:
        return out
    grid_w, grid_b = np.meshgrid(_SCAN, cb[rest])
    chi = _fixed_points(act, grid_w, grid_b, need_c=False)["chi1"].reshape(grid_w.shape) - 1.0
    above = chi >= 0
    has = above.any(axis=1) & ~above[:, 0]
    first = np.argmax(above, axis=1)
    idx = rest[has]
    if idx.size == 0:
        return out
    rows = np.flatnonzero(has)
    lo, hi = _SCAN[first[rows] - 1], _SCAN[first[rows]]
    flo, fhi = chi[rows, first[rows] - 1], chi[rows, first[rows]]
    b = cb[idx]
    # Illinois regula falsi on χ1(σ_w²) - 1, vectorised over σ_b²
    side = np.zeros(idx.size)
    for _ in range(100):
        x = (lo * fhi - hi * flo) / (fhi - flo)
        f = _fixed_points(act, x, b, need_c=False)["chi1"] - 1.0
        left = f < 0
        lo, flo = np.where(left, x, lo), np.where(left, f, flo)
        hi, fhi = np.where(left, hi, x), np.where(left, fhi, f)
        # Illinois: halve the stale end's value when the same side is kept twice
        fhi = np.where(left & (side == 1), 0.5 * fhi, fhi)
        flo = np.where(~left & (side == -1), 0.5 * flo, flo)
        side = np.where(left, 1, -1)
        if np.all((hi - lo <= 1e-13 * hi) | (np.abs(f) <= 1e-13)):
            break
    out[idx] = x
    return out


def critical_weight_variance(activation, bias_variance) -> float:
    """σ_w² at which χ1 = 1 (the order-to-chaos transition) for the given σ_b².

    Raises ``EngineError`` where there is none: homogeneous activations (linear, ReLU,
    shaped ReLU) with σ_b² > 0 (at σ_w²κ = 1 the q-map has no fixed point and q_l grows
    without bound), and bounded ones when χ1 = 1 is not crossed for σ_w² in [1e-2, 1e3].
    """
    act = as_activation(activation)
    cb = real("bias_variance", bias_variance, low=0.0)
    w = float(_critical_line(act, np.array([cb]))[0])
    if np.isnan(w):
        why = ("with σ_b² > 0 the q-map of a homogeneous activation has no fixed point at σ_w²κ = 1"
               if act.homogeneous else f"χ1 = 1 is not reached for σ_w² in [{_SCAN[0]:g}, {_SCAN[-1]:g}]")
        raise EngineError(f"no critical point for {act.label} at bias_variance = {cb!r}: {why}")
    return w


# ---------------------------------------------------------------------------------------------
# Phase diagram
# ---------------------------------------------------------------------------------------------

@dataclass
class PhaseDiagram:
    """Fixed-point quantities on a (σ_b², σ_w²) grid: arrays of shape (n_b, n_w).

    Rows follow ``bias_variances`` (y axis), columns ``weight_variances`` (x axis), as a
    heat map's z[y][x]. ``critical_weight_variance`` (n_b,) is the χ1 = 1 line (nan where
    none). Fields as in :class:`FixedPoint`.
    """

    activation: str
    weight_variances: np.ndarray
    bias_variances: np.ndarray
    q_star: np.ndarray
    c_star: np.ndarray
    chi1: np.ndarray
    chi_c: np.ndarray
    xi_q: np.ndarray
    xi_c: np.ndarray
    critical_weight_variance: np.ndarray
    seconds: float = 0.0

    @property
    def log_xi_c(self) -> np.ndarray:
        """log10 ξ_c (inf on the critical line)."""
        with np.errstate(divide="ignore"):
            return np.log10(self.xi_c)

    def to_frame(self):
        import pandas as pd

        w, b = np.meshgrid(self.weight_variances, self.bias_variances)
        return pd.DataFrame({"weight_variance": w.ravel(), "bias_variance": b.ravel(), "q_star": self.q_star.ravel(),
                             "c_star": self.c_star.ravel(), "chi1": self.chi1.ravel(), "chi_c": self.chi_c.ravel(),
                             "xi_q": self.xi_q.ravel(), "xi_c": self.xi_c.ravel()}).assign(activation=self.activation)


def phase_diagram(activation, weight_variances, bias_variances) -> PhaseDiagram:
    """χ1, ξ_c (and q*, c*, χ_c, ξ_q) over the grid weight_variances × bias_variances.

    ``weight_variances`` strictly increasing, > 0; ``bias_variances`` strictly increasing,
    >= 0; at most :data:`MAX_GRID` points. Returns a :class:`PhaseDiagram`.
    """
    t0 = time.perf_counter()
    act = as_activation(activation)
    w = finite_array("weight_variances", weight_variances, ndim=1)
    b = finite_array("bias_variances", bias_variances, ndim=1)
    for name, arr, low in (("weight_variances", w, 0.0), ("bias_variances", b, None)):
        if arr.size == 0 or (arr.size > 1 and np.any(np.diff(arr) <= 0)):
            raise expected(name, "a non-empty, strictly increasing array", arr.tolist()[:8])
    if w[0] <= 0:
        raise expected("weight_variances", "all > 0", float(w[0]))
    if b[0] < 0:
        raise expected("bias_variances", "all >= 0", float(b[0]))
    if w.size * b.size > MAX_GRID:
        raise expected("weight_variances × bias_variances", f"at most {MAX_GRID} grid points",
                       f"{w.size} × {b.size} = {w.size * b.size}")
    ww, bb = np.meshgrid(w, b)
    fp = _fixed_points(act, ww, bb)
    shape = ww.shape
    return PhaseDiagram(act.label, w, b, *(fp[k].reshape(shape) for k in ("q_star", "c_star", "chi1", "chi_c",
                                                                          "xi_q", "xi_c")),
                        _critical_line(act, b), time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Depth flows
# ---------------------------------------------------------------------------------------------

@dataclass
class DepthFlow:
    """q_l and c_l for l = 0..depth (l = 0: the inputs; l >= 1: pre-activations of hidden layer l).

    ``q`` (depth+1,), ``c`` (depth+1,) or (depth+1, n) when several c_0 were given; ``fixed``
    the :class:`FixedPoint` they flow to.
    """

    layer: np.ndarray
    q: np.ndarray
    c: np.ndarray
    c0: np.ndarray
    fixed: FixedPoint

    def to_frame(self):
        import pandas as pd

        c = self.c.reshape(self.layer.size, -1)
        c0 = np.atleast_1d(self.c0)
        return pd.DataFrame({"layer": np.repeat(self.layer, c0.size), "c0": np.tile(c0, self.layer.size),
                             "q": np.repeat(self.q, c0.size), "c": c.ravel()})


def _flow(act, cw, cb, q0, c0, depth):
    """(q (depth+1,), c (depth+1, *c0.shape)) from the kernel recursion of :mod:`engine.nngp`."""
    c0 = np.asarray(c0, dtype=float)
    diag, cross, _, _ = kernel_layers(act, cw, cb, cb + cw * q0, cb + cw * q0 * c0, depth - 1)
    q = np.concatenate([[q0], diag])
    c = np.concatenate([c0[None], cross / diag.reshape((-1,) + (1,) * c0.ndim)])
    return q, c


def _flow_args(activation, weight_variance, bias_variance, q0, c0, depth):
    depth = integer("depth", depth, low=1, high=100_000)
    act = as_activation(activation, depth=depth)
    cw, cb = _variances(weight_variance, bias_variance)
    q0 = positive("q0", q0)
    c0 = finite_array("c0", c0).reshape(np.shape(c0))
    if np.any(np.abs(c0) > 1):
        raise expected("c0", "correlations in [-1, 1]", f"values in [{c0.min()!r}, {c0.max()!r}]")
    return act, cw, cb, q0, c0, depth


def depth_flow(activation, weight_variance, bias_variance, q0, c0, depth) -> DepthFlow:
    """Iterate the q- and c-maps through ``depth`` hidden layers: a :class:`DepthFlow`.

    ``q0`` = |x|²/N0 > 0 of both inputs, ``c0`` their correlation in [-1, 1] (a number or an
    array, for a fan of flows). q_1 = σ_w² q0 + σ_b² (no φ on the inputs), then the maps.
    """
    act, cw, cb, q0, c0, depth = _flow_args(activation, weight_variance, bias_variance, q0, c0, depth)
    q, c = _flow(act, cw, cb, q0, c0, depth)
    return DepthFlow(np.arange(depth + 1), q, c, c0, fixed_point(act, cw, cb))


@dataclass
class PropagationSample:
    """Finite-width q_l and c_l (mean ± standard error over networks) beside the mean-field flow.

    Arrays have shape (depth+1,), l = 0 the inputs (exact, error 0). ``q_mean`` averages
    |h_l|²/N of the two inputs; ``c_mean`` is h¹·h²/(|h¹||h²|).
    """

    layer: np.ndarray
    q_mean: np.ndarray
    q_err: np.ndarray
    c_mean: np.ndarray
    c_err: np.ndarray
    q_theory: np.ndarray
    c_theory: np.ndarray
    width: int
    n_networks: int
    method: str
    seed: object = None
    stopped_early: bool = False
    seconds: float = 0.0

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"layer": self.layer, "q_mean": self.q_mean, "q_err": self.q_err, "c_mean": self.c_mean,
                             "c_err": self.c_err, "q_theory": self.q_theory, "c_theory": self.c_theory}).assign(
            width=self.width, n_networks=self.n_networks)


def simulate_propagation(activation, weight_variance, bias_variance, width, depth, q0, c0, *, n_networks: int = 10,
                         seed=None, method: str = "rows", callback: Callback = None) -> PropagationSample:
    """Propagate an input pair through ``n_networks`` random nets of ``width`` units per layer.

    Inputs have dimension ``width``, |x|²/N = q0 and correlation c0 exactly; each layer's
    empirical q_l, c_l is averaged over networks (error bar: standard deviation / √n). The
    mean-field flow (:func:`depth_flow`) is returned beside it; the deviation is O(1/√N).
    ``method`` "rows" (default, exact in law and cheap) or "weights" (draw every weight
    matrix, width <= 4096), see :func:`engine.nngp.sample_preactivations`. ``callback`` is
    called after each network; when it returns True the networks done so far are returned
    with ``stopped_early`` set.
    """
    t0 = time.perf_counter()
    act, cw, cb, q0, c0, depth = _flow_args(activation, weight_variance, bias_variance, q0, c0, depth)
    if c0.ndim:
        raise expected("c0", "a number", f"shape {c0.shape}")
    width = integer("width", width, low=2, high=1_000_000)
    n_networks = integer("n_networks", n_networks, low=1, high=100_000)
    choice("method", method, SAMPLING_METHODS)
    if method == "weights" and width > 4096:
        raise expected("width", "<= 4096 with method='weights' (use method='rows')", width)
    if width * depth * n_networks > 2e9:
        raise expected("width × depth × n_networks", "at most 2e9", width * depth * n_networks)
    rng = as_generator(seed)
    qs, cs = [], []
    stopped = False
    for t in range(n_networks):
        x = pair_inputs(q0, [float(c0)], width, rng)
        q_row, c_row = [q0], [float(c0)]
        for h in sample_preactivations(act, x, depth, width, cw, cb, rng, method):
            (n1, n12), (_, n2) = np.einsum("ik,jk->ij", h, h)  # not BLAS: see sample_preactivations
            q_row.append(0.5 * (n1 + n2) / width)
            c_row.append(n12 / np.sqrt(n1 * n2) if n1 > 0 and n2 > 0 else np.nan)
        qs.append(q_row)
        cs.append(c_row)
        if report(callback, t + 1, n_networks, f"network {t + 1}/{n_networks}"):
            stopped = t + 1 < n_networks
            break
    qs, cs = np.array(qs), np.array(cs)
    k = qs.shape[0]
    err = (lambda a: a.std(0, ddof=1) / np.sqrt(k)) if k > 1 else (lambda a: np.full(a.shape[1], np.nan))
    q_th, c_th = _flow(act, cw, cb, q0, c0, depth)
    q_mean, q_err, c_mean, c_err = qs.mean(0), err(qs), cs.mean(0), err(cs)
    q_mean[0], c_mean[0], q_err[0], c_err[0] = q0, c0, 0.0, 0.0  # the inputs are exact
    return PropagationSample(np.arange(depth + 1), q_mean, q_err, c_mean, c_err, q_th, c_th, width, k,
                             method, seed if not isinstance(seed, np.random.Generator) else None, stopped,
                             time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Does it train?
# ---------------------------------------------------------------------------------------------

@dataclass
class TrainabilityResult:
    """Accuracy after training nets of growing depth at one initialisation.

    ``depths`` (n,), ``train_accuracy``, ``test_accuracy`` (n,; NaN where training diverged),
    ``trained`` (n,) bool = test accuracy >= ``threshold``, ``diverged`` (n,) bool; ``fixed`` the mean-field :class:`FixedPoint` (its
    ``trainable_depth`` ≈ 6 ξ_c is the prediction to compare with).
    """

    depths: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    trained: np.ndarray
    threshold: float
    fixed: FixedPoint
    settings: dict = field(default_factory=dict)
    stopped_early: bool = False
    seconds: float = 0.0
    diverged: np.ndarray = field(default_factory=lambda: np.array([], bool))

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"depth": self.depths, "train_accuracy": self.train_accuracy,
                             "test_accuracy": self.test_accuracy, "trained": self.trained,
                             "diverged": self.diverged if self.diverged.size == self.depths.size
                             else np.zeros(self.depths.size, bool)}).assign(
            weight_variance=self.fixed.weight_variance, bias_variance=self.fixed.bias_variance,
            predicted_trainable_depth=self.fixed.trainable_depth)


def trainability_check(activation, weight_variance, bias_variance, depths=(4, 16, 48), *, dataset: str = "digits",
                       width: int = 64, epochs: int = 10, lr: float = 3e-3, optimizer: str = "sgd",
                       threshold: float = 0.5, seed: int = 0, callback: Callback = None) -> TrainabilityResult:
    """Train MLPs with ``depth`` hidden layers of ``width`` units, initialised at (σ_w², σ_b²), on ``dataset``.

    Uses :func:`engine.training.train` with ``NetworkSpec(hidden, activation, weight_variance,
    bias_variance)`` (plain activations only: a Network stores activation names). A depth
    "trains" when its test accuracy reaches ``threshold`` (chance is 1/classes). With the
    defaults (depths 4, 16, 48 of width 64, digits, SGD with momentum, lr 3e-3, 10 epochs;
    about 5-10 s on one shared core) tanh at σ_b² = 0.05 reproduces the picture of
    Schoenholz et al.: σ_w² = 0.5 (6 ξ_c ≈ 7) trains only at depth 4, the critical
    σ_w² = 1.76 trains at every depth, σ_w² = 4 (6 ξ_c ≈ 42) fails at 48.
    ``callback`` gets one Progress per depth, ``data`` = the result so far, and stops early
    on True.
    """
    from .data import DATASETS, load_dataset
    from .training import NetworkSpec, train

    t0 = time.perf_counter()
    if not isinstance(activation, str):
        raise expected("activation", "an activation name (trainability_check trains a Network)", activation)
    act = as_activation(activation)
    if act.name in ("shaped_tanh", "shaped_relu"):
        raise expected("activation", "a plain activation (Network has no shaped activations)", activation)
    cw, cb = _variances(weight_variance, bias_variance)
    d = finite_array("depths", depths, dtype=np.int64, ndim=1)
    if d.size == 0 or np.any(d < 1) or np.any(d > 200):
        raise expected("depths", "1 to 200 hidden layers each", d.tolist())
    choice("dataset", dataset, DATASETS)
    width = integer("width", width, low=1, high=1024)
    threshold = real("threshold", threshold, low=0.0, high=1.0)
    data = load_dataset(dataset, seed=seed)
    fixed = fixed_point(act, cw, cb)
    tr, te, div = [], [], []
    result = TrainabilityResult(d, np.array([]), np.array([]), np.array([], bool), threshold, fixed,
                                {"dataset": dataset, "width": width, "epochs": epochs, "lr": lr,
                                 "optimizer": optimizer, "seed": seed})
    for i, depth in enumerate(d):
        spec = NetworkSpec(hidden=(width,) * int(depth), activation=activation, weight_variance=cw, bias_variance=cb)
        run = train(spec, data, epochs=epochs, lr=lr, optimizer=optimizer, seed=seed, stop_on_divergence=True)
        tr.append(run.history["train_accuracy"][-1])
        te.append(run.history["test_accuracy"][-1])  # NaN when the run diverged
        div.append(run.diverged)
        result.depths, result.train_accuracy, result.test_accuracy = d[:i + 1], np.array(tr), np.array(te)
        result.diverged = np.array(div)
        result.trained = np.nan_to_num(result.test_accuracy, nan=-1.0) >= threshold
        result.seconds = time.perf_counter() - t0
        if report(callback, i + 1, d.size, f"depth {depth}: test accuracy {te[-1]:.3f}", result):
            result.stopped_early = i + 1 < d.size
            break
    return result
