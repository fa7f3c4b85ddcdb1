"""A deep network as a Hamiltonian over its inputs: spherical spin-glass theory and simulation.

Source: Winer & Hanin, "Deep Neural Nets as Hamiltonians", arXiv:2503.23982 (2025); PHYSICS.md
section 6 (the paper's full text was not available; the theory below is the standard one).

Model and conventions
---------------------
A random MLP with ``depth = L`` hidden layers (so L + 1 weight matrices), widths
``N0, N1 = ... = N_L = width_ratio·N0, 1``, ``W ~ N(0, C_W/fan_in)``, ``b ~ N(0, C_b)``.
Its output is an energy over inputs on the sphere |x|² = N0::

    H(x) = √N0 · z_out(x),        Gibbs measure ∝ e^{-βH(x)} dσ(x)   (σ uniform on the sphere)

At infinite width E[H(x)H(y)] = N0 ξ(x·y/N0), with ξ the NNGP kernel (:mod:`engine.nngp`), so the
problem is the spherical mixed p-spin glass with mixture ξ. (Dot-product kernels valid on spheres
of every dimension have non-negative Taylor coefficients, Schoenberg 1942, so ξ is a genuine
mixture.) With this depth convention a linear MLP has ξ(q) = C_b Σ_{l≤L} C_W^l + C_W^{L+1} q.

**Signs.** H and -H have the same law, so the theory is written with positive numbers:
``u(β) = -lim ⟨H⟩/N0 ≥ 0`` and ``GS = lim max_x H/N0 = -lim min_x H/N0 = lim_{β→∞} u(β)``.
What a simulation measures, ``energy = ⟨H⟩/N0``, is compared with ``energy = -u``; the lowest
energy reached by gradient descent with ``-GS``. Free entropy F(β) = lim (1/N0) E log ∫ e^{-βH} dσ
and entropy s = F - βu ≤ 0 are relative to the uniform measure on the sphere (s = 0 at β = 0).
ξ(0) (the output bias) drops out of every formula; ξ'(0) > 0 acts as an external field, which
holds for every NNGP kernel here (even with C_b = 0), so the smallest overlap q0 is > 0.

Theory (Crisanti & Sommers, Z. Phys. B 87, 341 (1992); Talagrand, Ann. Math. 163, 221 (2006))::

    F(β) = inf_x ½[β² ∫_0^1 x ξ' + ∫_0^1 (1/φ_x(q) - 1/(1-q)) dq],   φ_x(q) = ∫_q^1 x,
    RS  (x = 1[q ≥ q*]):  β² ξ'(q) = q/(1-q)²,  u = β(ξ(1) - ξ(q)),  s = ½[-β²(ξ(1)-ξ(q)) + q/(1-q) + log(1-q)]
    AT: β² ξ''(q)(1-q)² ≤ 1
    1RSB (x = m on [q0, q1), 1 above):  P = ½[β²(ξ(1) - (1-m)ξ(q1) - mξ(q0)) + q0/(1-q1+m(q1-q0))
          + (1/m) log(1 + m(q1-q0)/(1-q1)) + log(1-q1)],  minimised over (q0, q1, m)

The functional is convex in x, so a candidate x* is *the* solution iff its first-order condition
holds (this is how every verdict below is certified, not by comparing a few ansätze): with
Γ(s) = β²ξ'(s) - ∫_0^s dr/φ_x*(r)² and Ψ(u) = -∫_0^u Γ, Ψ must reach its minimum over [0, 1) on
the support of the measure dx* (Talagrand 2006; Jagannath & Tobasco, Proc. AMS 145, 3135 (2017)).

Zero temperature (Chen & Sen, Commun. Math. Phys. 350, 129 (2017))::

    GS = inf { ½[ξ'(0)χ(0) + ∫_0^1 (ξ''χ + 1/χ) dq] : χ > 0 concave non-increasing }

again convex. RS is χ constant, GS_RS = √ξ'(1); 1RSB is χ with one kink. The first-order condition
is Φ(s) = ∫_s^1 (ξ'' - 1/χ²)(q - s) dq ≤ 0 for all s, = 0 where -χ' increases. For χ constant it
reads exactly ``D(s) = ξ(1) - ξ(s) - ξ'(1)(1 - s²)/2 ≥ 0 for all s`` (RS iff this holds; near
s = 1 it is the zero-temperature AT condition ξ''(1) ≤ ξ'(1)). A full-RSB continuum can only sit
where ξ''^{-1/2} is concave. Unit checks: ξ = q²/2 gives GS = 1 (RS, marginal), ξ = q³ gives
1.65700 (1RSB), linear MLP RS with GS = C_W^{(L+1)/2}; for ξ = q³/2 the static 1RSB transition is
at T = 0.5858 (Crisanti & Sommers 1992).

Numerics: ξ, ξ' tabulated once (:class:`TabulatedCovariance`); RS by a grid search plus bisection;
1RSB by L-BFGS-B in scaled variables, polished by solving its stationarity equations; the general
problems (any Parisi measure on a grid, T = 0 and T > 0) by Newton steps whose non-negativity is
handled by NNLS, all integrals of piecewise-linear χ or φ in closed form. BLAS is held to one thread
(tiny calls; see :func:`_single_thread`).

What this gives for NNGP kernels (C_b = 0): linear, shaped tanh and shallow tanh/sin/erf at C_W = 1
are RS; deeper tanh/sin/erf, or larger C_W, break RS in a 1RSB way (sin never shows a continuum,
unlike the paper's full RSB); ReLU-type kernels have ξ''(q) ~ (1-q)^{-1/2} at q -> 1, so RS fails
at T = 0 at every depth (a small full-RSB-like continuum near q = 1).

Finite-width simulation: Langevin dynamics on the sphere (x <- normalise(x - P⊥(ηβ∇H - √(2η) ξ)),
first order in η), or the unadjusted Langevin algorithm for the Gaussian prior e^{-|x|²/2}, with
parallel tempering over β; gradients by explicit NumPy back-propagation (``backend="numpy"``) or
torch autograd (``backend="torch"``, the reference). The work is dense matrix products (BLAS), so
there is no numba kernel here: the explicit back-propagation is held to autograd in the tests.
"""
from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
from dataclasses import dataclass, field, asdict

import numpy as np
from scipy.interpolate import CubicHermiteSpline
from scipy.optimize import minimize

from . import activations as act
from . import nngp as _nngp
from .errors import EngineError, expected
from .progress import report
from .random import as_generator
from .validation import choice, finite_array, integer, positive, real

#: Largest inverse temperature the theory accepts (1 - q ~ 1/β must stay resolvable in float64).
MAX_BETA = 1e5
#: Largest β grid / table the theory and the verdict table accept.
MAX_BETA_POINTS = 5000
MAX_TABLE_CELLS = 400
#: Deepest network the theory accepts.
MAX_DEPTH = 200
#: Simulation budget: floating-point operations (estimated) and stored floats.
MAX_SIM_FLOPS = 5e12
MAX_STORED_FLOATS = 5e7

PHASES = ("RS", "1RSB", "full-RSB-like")
PRIORS = ("sphere", "gaussian")
BACKENDS = ("numpy", "torch")

_GP_NOTE = ("Infinite-width (GP-limit) verdict at zero temperature; at finite width the hidden-layer overlaps "
            "of low-energy inputs tilt away from the kernel's (PHYSICS.md section 6 caveat).")
#: What this solver finds against what the paper reports (Winer & Hanin 2025, via PHYSICS.md).
_ACTIVATION_NOTES = {
    "sin": "Paper: sin -> full RSB. This GP-limit solver finds RS (shallow, small C_W) or 1RSB, never a "
           "continuum (ξ''^{-1/2} is convex for sinh-type kernels), as PHYSICS.md anticipated.",
    "relu": "Paper: shallow ReLU -> RS. Here RS fails at T = 0 at every depth: ξ''(q) ~ (1-q)^{-1/2} as q -> 1 "
            "(at_ratio infinite), giving RSB near q = 1 that lowers GS by rsb_gain (~1% at depth 1) and sets "
            "in only below T = 1/beta_at.",
    "shaped_relu": "The ReLU-type kink makes ξ'' diverge at q = 1, so RS fails at T = 0 as for ReLU; the "
                   "paper reports deep shaped MLPs as RS.",
    "tanh": "Paper: shallow tanh -> RS, consistent here while ξ''(1) <= ξ'(1) and D(s) >= 0.",
    "shaped_tanh": "Paper: deep shaped MLPs -> RS; ξ stays nearly linear with depth.",
    "linear": "Exactly solvable: ξ linear in q, RS, GS = C_W^{(L+1)/2}.",
}


@contextlib.contextmanager
def _single_thread():
    """BLAS (and torch, when loaded) limited to one thread for the duration.

    The theory solvers make thousands of tiny BLAS calls (inside L-BFGS-B, NNLS, Cholesky) and
    the sampler's GEMMs are small: on a shared machine the thread pools turn each call into a wait
    (measured at load ~6 on 2 cores: 6-30x slower with two threads than with one). threadpoolctl
    ships with scikit-learn; without it only torch is limited.
    """
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(1, user_api="blas")
    except ImportError:  # pragma: no cover - scikit-learn brings it
        limit = contextlib.nullcontext()
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with limit:
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


def _one_blas_thread(fn):
    """Decorator: run ``fn`` inside :func:`_single_thread` (importing torch first when it is the backend)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs.get("backend") == "torch":
            import torch  # noqa: F401  (so that _single_thread limits its pool too)
        with _single_thread():
            return fn(*args, **kwargs)

    return wrapper


# =============================================================================== covariance
class TabulatedCovariance:
    """ξ and ξ' of any :class:`engine.nngp.Covariance`, tabulated once on [0, 1].

    Nodes ``q_k = 1 - (1 - k/(n-1))²`` (denser near q = 1, where 1 - q ~ T at low temperature);
    between nodes a C¹ cubic Hermite interpolant of ξ (its derivative gives ξ'), so the solvers
    call an expensive kernel (quadrature, deep recursion) only ``n`` times. ``d2xi`` calls the
    wrapped object directly (ξ'' may diverge at q = 1, e.g. ReLU); it is used only at q < 1.
    """

    def __init__(self, covariance, n_nodes: int = 1025):
        if isinstance(covariance, TabulatedCovariance):
            covariance = covariance.covariance
        for name in ("xi", "dxi", "d2xi"):
            if not callable(getattr(covariance, name, None)):
                raise expected("xi", "a covariance with xi, dxi and d2xi methods", type(covariance).__name__)
        self.covariance = covariance
        u = np.linspace(0.0, 1.0, int(n_nodes))
        q = 1.0 - (1.0 - u) ** 2
        q[0], q[-1] = 0.0, 1.0
        xi = _evaluate(covariance.xi, q, "xi")
        dxi = _evaluate(covariance.dxi, q, "dxi")
        if dxi[-1] <= 0 or np.any(dxi < -1e-12 * dxi[-1]):
            raise expected("xi", "a covariance with ξ' >= 0 on [0, 1] and ξ'(1) > 0",
                           f"ξ'(1) = {dxi[-1]:.3g}, min ξ' = {dxi.min():.3g}")
        self.q, self.xi_nodes, self.dxi_nodes = q, xi, dxi
        self._spline = CubicHermiteSpline(q, xi, dxi)
        self._dspline = self._spline.derivative()
        self.xi0, self.xi1 = float(xi[0]), float(xi[-1])
        self.dxi0, self.dxi1 = float(max(dxi[0], 0.0)), float(dxi[-1])

    def xi(self, q):
        return self._spline(np.asarray(q, dtype=float))

    def dxi(self, q):
        return self._dspline(np.asarray(q, dtype=float))

    def d2xi(self, q):
        with np.errstate(all="ignore"):
            v = np.asarray(self.covariance.d2xi(np.asarray(q, dtype=float)), dtype=float)
        return np.where(np.isnan(v), np.inf, v)

    @property
    def scale(self) -> float:
        """ξ'(1) + ξ(1) - ξ(0): the size of the problem, for relative tolerances."""
        return self.dxi1 + self.xi1 - self.xi0


def _evaluate(fn, q, name):
    try:
        v = np.asarray(fn(q), dtype=float)
    except EngineError:
        raise
    except Exception as e:  # a covariance object is user code: say which method failed
        raise EngineError(f"`xi.{name}` failed on q in [0, 1]: {e}") from e
    v = np.broadcast_to(v, q.shape).astype(float)
    if not np.all(np.isfinite(v)):
        raise expected("xi", f"finite {name}(q) on [0, 1]", f"{int(np.sum(~np.isfinite(v)))} non-finite values")
    return v


def _table(xi) -> TabulatedCovariance:
    return xi if isinstance(xi, TabulatedCovariance) else TabulatedCovariance(xi)


def nngp_kernel(activation: str, depth: int, weight_variance: float = 1.0, bias_variance: float = 0.0):
    """ξ(q) (with ξ', ξ'') of a random MLP with ``depth`` hidden layers, at infinite width.

    ``depth = L`` hidden layers means L + 1 weight matrices: K1 = C_b + C_W q,
    K_{l+1} = C_b + C_W F_σ(K_l(1), K_l(1), K_l(q)), ξ = K_{L+1} (PHYSICS.md section 6). A thin
    wrapper over :func:`engine.nngp.nngp_covariance`, which owns the kernel maps.
    Returns an object with vectorised ``xi``, ``dxi``, ``d2xi`` on q in [-1, 1].
    """
    depth = integer("depth", depth, low=1, high=MAX_DEPTH)
    c_w = positive("weight_variance", weight_variance)
    c_b = real("bias_variance", bias_variance, low=0.0)
    return _nngp.nngp_covariance(activation, depth, c_w, c_b)


# =============================================================== exact piecewise-linear integrals
def _w(z):
    """(-z - log(1 - z))/z², the regular part of ∫∫ 1/(linear)²; w(0) = 1/2."""
    z = np.asarray(z, dtype=float)
    small = np.abs(z) < 1e-4
    zs = np.where(small, 0.5, z)
    exact = (-zs - np.log1p(-zs)) / zs ** 2
    return np.where(small, 0.5 + z / 3 + z * z / 4 + z ** 3 / 5, exact)


def _double_inverse_square(t, f):
    """I1(t_k) = ∫_{t_0}^{t_k} dr/f², I2(t_k) = ∫_{t_0}^{t_k} I1, for f > 0 linear between nodes (exact)."""
    h = np.diff(t)
    fa, fb = f[:-1], f[1:]
    i1 = np.concatenate([[0.0], np.cumsum(h / (fa * fb))])
    z = 1.0 - fb / fa
    i2 = np.concatenate([[0.0], np.cumsum(h * i1[:-1] + h * h / fa ** 2 * _w(z))])
    return i1, i2


def _log_mean_inverse(a, b):
    """log(a/b)/(a - b) = ∫_0^1 dt/(a + (b - a)t) and its partial derivatives (a, b > 0)."""
    def g(t):  # log1p(t)/t and its derivative, with a series near 0
        small = np.abs(t) < 1e-4
        ts = np.where(small, 1.0, t)
        val = np.where(small, 1 - t / 2 + t * t / 3 - t ** 3 / 4, np.log1p(ts) / ts)
        der = np.where(small, -0.5 + 2 * t / 3 - 0.75 * t * t + 0.8 * t ** 3, (ts / (1 + ts) - np.log1p(ts)) / ts ** 2)
        return val, der

    ga, dga = g(a / b - 1)
    _, dgb = g(b / a - 1)
    return ga / b, dga / b ** 2, dgb / a ** 2


# ============================================================================ finite temperature
def _betas(beta, name="beta"):
    b = finite_array(name, np.atleast_1d(np.asarray(beta, dtype=float)), ndim=1)
    if b.size == 0:
        raise expected(name, "non-empty", "an empty array")
    if b.size > MAX_BETA_POINTS:
        raise expected(name, f"at most {MAX_BETA_POINTS} values", f"{b.size} values")
    if np.any(b <= 0):
        raise expected(name, "> 0 (an inverse temperature)", float(b.min()))
    if np.any(b > MAX_BETA):
        raise expected(name, f"<= {MAX_BETA:g}", float(b.max()))
    return b


def _xi_and_xi1(xi):
    """(ξ as a callable, ξ(1)): a tabulated covariance as is, any other evaluated exactly."""
    if isinstance(xi, TabulatedCovariance):
        return xi.xi, xi.xi1
    if not callable(getattr(xi, "xi", None)):
        raise expected("xi", "a covariance with xi, dxi and d2xi methods", type(xi).__name__)
    return xi.xi, float(np.asarray(xi.xi(np.array(1.0)), dtype=float))


def _overlaps(name, q, high_open=True):
    q = finite_array(name, q).reshape(np.shape(q))  # (ascontiguousarray makes scalars 1-d)
    if np.any(q < 0) or np.any(q >= 1 if high_open else q > 1):
        raise expected(name, "in [0, 1)" if high_open else "in [0, 1]", f"values in [{q.min()!r}, {q.max()!r}]")
    return q


def rs_functional(xi, beta, q):
    """P_RS(q) = ½[β²(ξ(1) - ξ(q)) + q/(1-q) + log(1-q)] (broadcast over ``beta`` and ``q`` in [0, 1))."""
    f, xi1 = _xi_and_xi1(xi)
    b = _betas(beta).reshape(np.shape(beta))
    q = _overlaps("q", q)
    return 0.5 * (b * b * (xi1 - f(q)) + q / (1 - q) + np.log1p(-q))


def one_rsb_functional(xi, beta, q0, q1, m):
    """The 1RSB Crisanti-Sommers functional P(q0, q1, m) (PHYSICS.md section 6), broadcast.

    0 <= q0 <= q1 < 1, 0 < m <= 1. Equals :func:`rs_functional` at q1 = q0 or m = 1.
    """
    f, xi1 = _xi_and_xi1(xi)
    b = _betas(beta).reshape(np.shape(beta))
    q0, q1 = _overlaps("q0", q0), _overlaps("q1", q1)
    if np.any(q0 > q1):
        raise expected("q0", "<= q1", "q0 > q1")
    m = finite_array("m", m).reshape(np.shape(m))
    if np.any(m <= 0) or np.any(m > 1):
        raise expected("m", "in (0, 1]", f"values in [{m.min()!r}, {m.max()!r}]")
    return _one_rsb_value(f, xi1, b, q0, q1, m)


def _one_rsb_value(f, xi1, b, q0, q1, m):
    d1 = 1 - q1
    d0 = d1 + m * (q1 - q0)
    return 0.5 * (b * b * (xi1 - (1 - m) * f(q1) - m * f(q0)) + q0 / d0 + np.log1p(m * (q1 - q0) / d1) / m
                  + np.log(d1))


def _rs_overlap(t: TabulatedCovariance, b: np.ndarray) -> np.ndarray:
    """Global minimiser of P_RS over q for each β: grid search, then bisection of the stationarity."""
    qg = t.q[:-1]
    f = 0.5 * (b[:, None] ** 2 * (t.xi1 - t.xi_nodes[None, :-1]) + qg / (1 - qg) + np.log1p(-qg))
    k = np.argmin(f, axis=1)
    lo = qg[np.maximum(k - 1, 0)]
    hi = qg[np.minimum(k + 1, qg.size - 1)]

    def g(q):  # sign of dP_RS/dq: q - β²ξ'(q)(1-q)²
        return q - b * b * t.dxi(q) * (1 - q) ** 2

    ok = (g(lo) <= 0) & (g(hi) >= 0)
    a, c = lo.copy(), hi.copy()
    for _ in range(64):
        mid = 0.5 * (a + c)
        neg = g(mid) < 0
        a = np.where(neg, mid, a)
        c = np.where(neg, c, mid)
    q = np.where(ok, 0.5 * (a + c), qg[k])
    return np.where((k == 0) & (t.dxi0 == 0.0), 0.0, q)  # no field: the paramagnet q = 0 is exact


@_one_blas_thread
def rs_overlap(xi, beta) -> np.ndarray:
    """RS overlap q(β): the root of β² ξ'(q) = q/(1-q)² that minimises P_RS (the right root).

    ``beta`` scalar or 1-d; returns an array of the same length.
    """
    return _rs_overlap(_table(xi), _betas(beta))


def _atoms_psi(t, beta, atoms, weights, grid=None):
    """Ψ(u) = -β²(ξ(u) - ξ(0)) + ∫_0^u ∫_0^s dr/φ(r)² on a grid containing the atoms of dx.

    x(s) = Σ_k w_k 1[s >= q_k]; φ(r) = ∫_r^1 x = Σ_k w_k (1 - max(r, q_k)), linear between atoms.
    Returns (nodes, Ψ). The measure is optimal iff Ψ is minimal on its atoms.
    """
    atoms = np.asarray(atoms, dtype=float)
    weights = np.asarray(weights, dtype=float)
    base = t.q[:-1] if grid is None else grid
    nodes = np.unique(np.concatenate([base, atoms, [1 - 1e-9]]))
    nodes = nodes[nodes < 1]
    phi = (weights[None, :] * (1 - np.maximum(nodes[:, None], atoms[None, :]))).sum(axis=1)
    _, i2 = _double_inverse_square(nodes, phi)
    return nodes, -beta * beta * (t.xi(nodes) - t.xi0) + i2


def _violation(t, beta, atoms, weights):
    """max over atoms of Ψ(atom) - min_u Ψ(u) (>= 0; 0 iff the step function x is optimal)."""
    nodes, psi = _atoms_psi(t, beta, atoms, weights)
    at = np.interp(np.asarray(atoms, dtype=float), nodes, psi)
    return float(max(np.max(at) - psi.min(), 0.0)), nodes, psi


def _one_rsb_minimise(t, beta, starts):
    """Minimise P(q0, q1, m) over 0 <= q0 <= q1 < 1, 0 < m <= 1 from several starts (analytic gradient).

    Variables y = -log(1-q1), s = q0/q1, z = log m keep the low-temperature scales 1-q1 ~ T, m ~ T
    well conditioned for L-BFGS-B.
    """
    b2 = beta * beta

    def unpack(p):
        y, s, z = p
        q1 = -math.expm1(-y)
        return s * q1, q1, math.exp(z)

    def fun(p):
        q0, q1, m = unpack(p)
        d1 = math.exp(-p[0])
        dq = q1 - q0
        d0 = d1 + m * dq
        x0, x1 = float(t.xi(q0)), float(t.xi(q1))
        g0, g1 = float(t.dxi(q0)), float(t.dxi(q1))
        lg = math.log1p(m * dq / d1)
        val = 0.5 * (b2 * (t.xi1 - (1 - m) * x1 - m * x0) + q0 / d0 + lg / m + math.log(d1))
        p_q0 = 0.5 * m * (q0 / d0 ** 2 - b2 * g0)
        p_q1 = 0.5 * (1 - m) * (q0 / d0 ** 2 + dq / (d0 * d1) - b2 * g1)
        p_m = 0.5 * (b2 * (x1 - x0) - q0 * dq / d0 ** 2 - lg / m ** 2 + dq / (m * d0))
        s = p[1]
        grad = (p_q1 * d1 + p_q0 * s * d1, p_q0 * q1, p_m * m)
        return val, np.array(grad)

    best = None
    bounds = [(0.0, 40.0), (0.0, 1.0), (math.log(1e-12), 0.0)]
    for q0, q1, m in starts:
        q1 = min(max(q1, 1e-6), 1 - 1e-12)
        p0 = (-math.log1p(-q1), min(max(q0 / q1, 0.0), 1.0), math.log(min(max(m, 1e-12), 1.0)))
        r = minimize(fun, p0, jac=True, method="L-BFGS-B", bounds=bounds,
                     options=dict(maxiter=500, ftol=1e-15, gtol=1e-12))
        if best is None or r.fun < best.fun:
            best = r
    return best.fun, unpack(best.x)


def _polish_one_rsb(t, beta, q0, q1, m):
    """Solve the 1RSB stationarity equations from a minimiser's output (Powell's hybrid method).

    L-BFGS-B stops at a relative accuracy that leaves Ψ(q0) ≠ Ψ(q1) by ~1e-7 at low temperature,
    which the first-order certificate would read as a violation. With D1 = 1-q1,
    D0 = D1 + m(q1-q0):  q0/D0² = β²ξ'(q0);  q0/D0² + (q1-q0)/(D0 D1) = β²ξ'(q1);
    β²(ξ(q1) - ξ(q0)) - q0(q1-q0)/D0² - log(D0/D1)/m² + (q1-q0)/(m D0) = 0.
    q0 = 0 is kept when there is no field (then the first equation holds identically).
    Returns the polished (q0, q1, m) or the input when the solve fails or leaves the domain.
    """
    from scipy.optimize import root

    b2 = beta * beta
    free_q0 = not (q0 == 0.0 and t.dxi0 == 0.0)

    def eqs(v):
        a, q1_, m_ = (v if free_q0 else (0.0, *v))
        d1 = 1 - q1_
        d0 = d1 + m_ * (q1_ - a)
        out = [a / d0 ** 2 + (q1_ - a) / (d0 * d1) - b2 * float(t.dxi(q1_)),
               b2 * (float(t.xi(q1_)) - float(t.xi(a))) - a * (q1_ - a) / d0 ** 2
               - math.log1p(m_ * (q1_ - a) / d1) / m_ ** 2 + (q1_ - a) / (m_ * d0)]
        return [a / d0 ** 2 - b2 * float(t.dxi(a))] + out if free_q0 else out

    if not (0 <= q0 < q1 < 1 and 0 < m < 1):
        return q0, q1, m
    x0 = [q0, q1, m] if free_q0 else [q1, m]
    try:
        with np.errstate(all="ignore"):
            r = root(eqs, x0, method="hybr", options=dict(xtol=1e-14))
    except (ValueError, ZeroDivisionError, OverflowError):
        return q0, q1, m
    v = (r.x if free_q0 else (0.0, *r.x))
    # hybr often reports "xtol too small" at a solution already at rounding level: judge the residual
    ok = 0 <= v[0] < v[1] < 1 and 0 < v[2] < 1
    ok = ok and np.max(np.abs(eqs(r.x))) <= min(1e-8 * (1 + b2), np.max(np.abs(eqs(x0))))
    if ok and _one_rsb_value(t.xi, t.xi1, beta, *v) <= _one_rsb_value(t.xi, t.xi1, beta, q0, q1, m) + 1e-12 * (1 + b2):
        return float(v[0]), float(v[1]), float(v[2])
    return q0, q1, m


@dataclass
class OneRSB:
    """1RSB solution at one β. ``violation`` (>= 0) is the first-order-condition residual: ~0 means
    no other Parisi measure does better (the 1RSB ansatz is the exact solution)."""

    beta: float
    q0: float
    q1: float
    m: float
    free_entropy: float
    u: float
    energy: float
    entropy: float
    rs_free_entropy: float
    violation: float


def _one_rsb_at(t, beta, q_rs, warm=None) -> OneRSB:
    f_rs = float(rs_functional(t, beta, q_rs))
    nodes, psi = _atoms_psi(t, beta, [q_rs], [1.0])
    u_star = float(nodes[np.argmin(psi)])  # where adding an atom helps RS most
    starts = [(min(q_rs, u_star), max(q_rs, u_star), 0.5), (q_rs, q_rs + 0.5 * (1 - q_rs), 0.5),
              (0.5 * q_rs, 1 - 1 / (1 + beta), 0.9), (q_rs, 1 - 0.3 / (1 + beta), 2.0 / (2 + beta))]
    # warm start (the neighbouring β) first; the other starts only if the result is not certified
    tries = [[warm, starts[0]], starts[1:]] if warm is not None else [starts]
    found = []
    for group in tries:
        p, (q0, q1, m) = _one_rsb_minimise(t, beta, group)
        q0, q1, m = _polish_one_rsb(t, beta, q0, q1, m)
        p = float(_one_rsb_value(t.xi, t.xi1, beta, q0, q1, m))
        if p > f_rs:  # the family contains RS
            q0, q1, m, p = q_rs, q_rs, 1.0, f_rs
        found.append((p, _violation(t, beta, [q0, q1], [m, 1 - m])[0], q0, q1, m))
        if found[-1][1] <= _tol(t):
            break
    # candidates equal in P up to rounding: keep the best-certified one
    p_min = min(f[0] for f in found)
    p, viol, q0, q1, m = min((f for f in found if f[0] <= p_min + 1e-12 * (1 + beta * beta)), key=lambda f: f[1])
    u = beta * (t.xi1 - (1 - m) * float(t.xi(q1)) - m * float(t.xi(q0)))
    return OneRSB(float(beta), float(q0), float(q1), float(m), float(p), float(u), float(-u), float(p - beta * u),
                  f_rs, viol)


@_one_blas_thread
def one_rsb(xi, beta) -> OneRSB:
    """Minimise the 1RSB functional P(q0, q1, m) at one β (starts from the RS solution and from
    where its first-order condition fails most). Returns :class:`OneRSB`."""
    t = _table(xi)
    b = float(_betas(beta)[0]) if np.ndim(beta) == 0 else None
    if b is None:
        raise expected("beta", "a single number", beta)
    return _one_rsb_at(t, b, float(_rs_overlap(t, np.array([b]))[0]))


_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(4)


def _newton_nnls(fun, hessian, z, lin_weight=None, max_iter=40):
    """Minimise a smooth convex ``fun`` (value, gradient) over z >= 0 by Newton steps.

    Each step minimises the quadratic model over z >= 0 by NNLS on the Cholesky factor of the
    Hessian (with one extra, heavily weighted row ``lin_weight``·(Σz - 1) = 0 when the variables
    are a probability vector), then backtracks along the segment to that point. Returns z, value.
    """
    from scipy.linalg import cholesky, solve_triangular
    from scipy.optimize import nnls

    val, g = fun(z)
    n = z.size
    for _ in range(max_iter):
        hess = hessian(z)
        hess = hess + 1e-13 * np.trace(hess) / n * np.eye(n)
        low = cholesky(hess, lower=True)
        a = low.T
        rhs = solve_triangular(low, hess @ z - g, lower=True)
        if lin_weight is not None:
            a = np.vstack([a, np.full((1, n), lin_weight)])
            rhs = np.append(rhs, lin_weight)
        target, _ = nnls(a, rhs, maxiter=50 * n)
        if lin_weight is not None:
            target /= target.sum()
        d = target - z
        step, v2 = 1.0, math.inf
        while step > 1e-10:
            v2, g2 = fun(z + step * d)
            if v2 <= val + 1e-4 * step * min(float(g @ d), 0.0):
                break
            step *= 0.5
        if not v2 < val:
            break
        decrease = val - v2
        z, val, g = z + step * d, v2, g2
        if decrease < 1e-14 * max(abs(val), 1.0):
            break
    return z, val


def _cell_quadrature(nodes, n_cells):
    """Linear interpolation from nodes to 4 Gauss points per cell (first ``n_cells``), and weights."""
    h = np.diff(nodes)[:n_cells]
    tq = 0.5 * (_GAUSS_X + 1)
    interp = np.zeros((n_cells * tq.size, nodes.size))
    wq = np.zeros(n_cells * tq.size)
    for k, (tt, ww) in enumerate(zip(tq, _GAUSS_W)):
        rows = np.arange(n_cells) * tq.size + k
        interp[rows, np.arange(n_cells)] = 1 - tt
        interp[rows, np.arange(n_cells) + 1] = tt
        wq[rows] = 0.5 * ww * h
    return interp, wq


def _full_rsb_at(t, beta, start_atoms, start_weights, n_cells=120):
    """Minimise the Crisanti-Sommers functional over probability measures μ on a grid at one β.

    x(q) = μ([0, q]), φ(q) = Σ_k μ_k (1 - max(q, u_k)) with atoms u_k at the nodes (graded towards
    q = 1, plus the warm-start atoms) except q = 1, so x = 1 on the last cell and the two log
    divergences cancel exactly; CS = ½[β² Σ μ_k (ξ(1) - ξ(u_k)) + Σ_cells (∫ 1/φ - ∫ 1/(1-q))],
    ∫ 1/φ exact per cell. Convex in μ: Newton + NNLS (:func:`_newton_nnls`) from the 1RSB/RS start.
    Returns (free entropy, nodes, x on the cells, u).
    """
    u_ = np.linspace(0, 1, n_cells // 2 + 1)
    nodes = np.unique(np.concatenate([u_, 1 - (1 - u_) ** 3, np.asarray(start_atoms, float)]))
    nodes = nodes[nodes <= 1.0]
    n = nodes.size - 1  # cells; atoms at nodes[0..n-1]
    h = np.diff(nodes)
    b2 = beta * beta
    lin = 0.5 * b2 * (t.xi1 - t.xi(nodes[:-1]))
    basis = 1 - np.maximum(nodes[:, None], nodes[None, :-1])  # φ at nodes = basis @ μ
    ref = np.log((1 - nodes[:-2]) / (1 - nodes[1:-1]))
    interp, wq = _cell_quadrature(nodes, n - 1)
    psi = interp @ basis

    def fun(mu):
        phi = basis @ mu
        if np.any(phi[:-1] <= 0):
            return math.inf, None
        a, c = phi[:-2], phi[1:-1]
        lm, da, dc = _log_mean_inverse(a, c)
        gphi = np.zeros(n + 1)
        gphi[:-2] += 0.5 * h[:-1] * da
        gphi[1:-1] += 0.5 * h[:-1] * dc
        return float(lin @ mu + 0.5 * (h[:-1] @ lm - ref.sum())), lin + basis.T @ gphi

    def hessian(mu):
        return psi.T @ ((wq / (psi @ mu) ** 3)[:, None] * psi)

    mu = np.zeros(n)
    for q, w in zip(start_atoms, start_weights):
        mu[min(int(np.searchsorted(nodes, q)), n - 1)] += w
    mu /= mu.sum()
    mu, val = _newton_nnls(fun, hessian, mu, lin_weight=1e3 * (1 + b2))
    x = np.cumsum(mu)
    return val, nodes, x, beta * float(mu @ (t.xi1 - t.xi(nodes[:-1])))


@_one_blas_thread
def crisanti_sommers(xi, beta, *, n_cells: int = 120):
    """The general (any-RSB) Crisanti-Sommers minimiser at one β, discretised (see :func:`_full_rsb_at`).

    Returns a dict: ``free_entropy``, ``q_edges`` (n_cells+1), ``x`` (n_cells, the Parisi function,
    = the cumulative P(q)), ``u``, ``entropy``. Started from the 1RSB minimiser (which contains RS),
    so the result is never worse than 1RSB; equal to it (to ~1e-15) where 1RSB is exact.
    """
    t = _table(xi)
    if np.ndim(beta) != 0:
        raise expected("beta", "a single number", beta)
    b = float(_betas(beta)[0])
    n_cells = integer("n_cells", n_cells, low=8, high=400)
    o = _one_rsb_at(t, b, float(_rs_overlap(t, np.array([b]))[0]))
    f, q, x, u = _full_rsb_at(t, b, [o.q0, o.q1], [o.m, 1 - o.m], n_cells)
    return {"free_entropy": f, "q_edges": q, "x": x, "u": u, "entropy": f - b * u}


@dataclass
class Thermodynamics:
    """Theory over a β grid. Arrays have shape (n_beta,).

    RS branch: ``q_rs``, ``u_rs``, ``entropy_rs``, ``free_entropy_rs``, ``at_value`` =
    β²ξ''(q)(1-q)² (AT-stable while <= 1), ``rs_violation`` (first-order-condition residual of RS
    against *any* RSB; ~0 iff RS is the solution). 1RSB columns are NaN where RS holds.
    ``phase`` per β and the selected ``u``, ``energy`` (= -u = ⟨H⟩/N0 under e^{-βH}),
    ``entropy``, ``free_entropy``. ``beta_at`` is the AT point on the RS branch (inf if none in
    the grid); ``beta_rsb`` the first β whose phase is not RS.
    """

    beta: np.ndarray
    q_rs: np.ndarray
    u_rs: np.ndarray
    entropy_rs: np.ndarray
    free_entropy_rs: np.ndarray
    at_value: np.ndarray
    rs_violation: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    m: np.ndarray
    one_rsb_violation: np.ndarray
    phase: np.ndarray
    u: np.ndarray
    energy: np.ndarray
    entropy: np.ndarray
    free_entropy: np.ndarray
    beta_at: float
    beta_rsb: float
    note: str = ""

    def to_frame(self):
        import pandas as pd

        cols = {k: v for k, v in asdict(self).items() if isinstance(v, np.ndarray)}
        df = pd.DataFrame(cols)
        df.attrs.update(beta_at=self.beta_at, beta_rsb=self.beta_rsb, note=self.note)
        return df

    def entropy_curve(self):
        """s(E): the selected branch's (energy, entropy, phase), sorted by energy (E = ⟨H⟩/N0)."""
        import pandas as pd

        order = np.argsort(self.energy)
        return pd.DataFrame({"energy": self.energy[order], "entropy": self.entropy[order],
                             "beta": self.beta[order], "phase": self.phase[order]})


def _tol(t):
    return 1e-7 * t.scale


@_one_blas_thread
def thermodynamics(xi, betas, *, full_rsb: bool = True) -> Thermodynamics:
    """RS, AT, 1RSB (and, where needed, general RSB) thermodynamics over a grid of β.

    At each β: the RS solution and its first-order-condition residual; where RS fails, the 1RSB
    minimiser (warm-started along the grid) and its residual; where that fails too the phase is
    ``"full-RSB-like"`` and, with ``full_rsb=True`` (default), u and s come from the discretised
    general Crisanti-Sommers minimiser (~0.05 s per such β); else from 1RSB (an upper bound on the
    free entropy, within ~1e-5 of it in every NNGP case tried: the continuum sits near q = 1).
    """
    t = _table(xi)
    b = _betas(betas, "betas")
    q = _rs_overlap(t, b)
    dxq = t.xi1 - t.xi(q)
    u_rs = b * dxq
    f_rs = 0.5 * (b * b * dxq + q / (1 - q) + np.log1p(-q))
    s_rs = f_rs - b * u_rs
    at = b * b * t.d2xi(np.minimum(q, 1 - 1e-15)) * (1 - q) ** 2
    n = b.size
    nan = np.full(n, np.nan)
    rs_v, q0, q1, m, v1 = np.zeros(n), nan.copy(), nan.copy(), nan.copy(), nan.copy()
    phase = np.array(["RS"] * n, dtype=object)
    u, f = u_rs.copy(), f_rs.copy()
    tol = _tol(t)
    warm = None
    order = np.argsort(b)
    for i in order:
        rs_v[i], _, _ = _violation(t, b[i], [q[i]], [1.0])
        if rs_v[i] <= tol and at[i] <= 1 + 1e-9:  # (an AT violation can hide below tol in Ψ)
            continue
        o = _one_rsb_at(t, float(b[i]), float(q[i]), warm)
        warm = (o.q0, o.q1, o.m)
        q0[i], q1[i], m[i], v1[i] = o.q0, o.q1, o.m, o.violation
        u[i], f[i] = o.u, o.free_entropy
        phase[i] = "1RSB" if o.violation <= tol else "full-RSB-like"
        if phase[i] == "full-RSB-like" and full_rsb:
            fr, _, _, ur = _full_rsb_at(t, float(b[i]), [o.q0, o.q1], [o.m, 1 - o.m])
            if fr < f[i]:
                u[i], f[i] = ur, fr
    broken = np.where(phase != "RS")[0]
    beta_rsb = float(b[broken].min()) if broken.size else math.inf
    return Thermodynamics(b, q, u_rs, s_rs, f_rs, at, rs_v, q0, q1, m, v1, phase.astype(str), u, -u, f - b * u, f,
                          _at_point_value(t, b, q, at), beta_rsb,
                          "energy = <H>/N0 under exp(-beta H) = -u; entropy relative to the uniform measure")


def _at_point_value(t, b, q, at):
    order = np.argsort(b)
    over = np.where(at[order] > 1 + 1e-9)[0]
    if over.size == 0:
        return math.inf
    k = over[0]
    if k == 0:
        return float(b[order][0])
    lo, hi = float(b[order][k - 1]), float(b[order][k])
    for _ in range(60):  # bisection on the RS branch between the grid points that bracket AT = 1
        mid = 0.5 * (lo + hi)
        qm = _rs_overlap(t, np.array([mid]))[0]
        if mid * mid * float(t.d2xi(min(qm, 1 - 1e-15))) * (1 - qm) ** 2 > 1 + 1e-9:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


@dataclass
class ATPoint:
    """de Almeida-Thouless point on the RS branch: β, T, q, u, energy, entropy (inf/NaN if none)."""

    beta: float
    temperature: float
    q: float
    u: float
    energy: float
    entropy: float


@_one_blas_thread
def at_point(xi, *, beta_max: float = 1000.0) -> ATPoint:
    """The smallest β <= ``beta_max`` where β²ξ''(q(β))(1-q(β))² crosses 1 on the RS branch."""
    t = _table(xi)
    bmax = float(_betas(beta_max, "beta_max")[0])
    b = np.geomspace(min(1e-2, bmax / 2), bmax, 400)
    q = _rs_overlap(t, b)
    at = b * b * t.d2xi(np.minimum(q, 1 - 1e-15)) * (1 - q) ** 2
    ba = _at_point_value(t, b, q, at)
    if not math.isfinite(ba):
        return ATPoint(math.inf, 0.0, math.nan, math.nan, math.nan, math.nan)
    qa = float(_rs_overlap(t, np.array([ba]))[0])
    ua = ba * (t.xi1 - float(t.xi(qa)))
    fa = float(rs_functional(t, ba, qa))
    return ATPoint(ba, 1 / ba, qa, ua, -ua, fa - ba * ua)


@dataclass
class OverlapTheory:
    """Theory P(q) at one β: atoms ``q`` with ``weight`` (RS: one; 1RSB: q0 with m, q1 with 1-m);
    for full-RSB-like phases ``x_q``/``x`` give the Parisi function (cumulative P). ``symmetric``:
    ξ is even, so P(q) is mirrored at -q (each half weight)."""

    beta: float
    phase: str
    q: np.ndarray
    weight: np.ndarray
    symmetric: bool
    x_q: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))


@_one_blas_thread
def overlap_distribution(xi, beta) -> OverlapTheory:
    """The theory's overlap distribution at one β, for overlaying on simulated P(q) histograms."""
    t = _table(xi)
    th = thermodynamics(t, beta, full_rsb=False)
    b = float(th.beta[0])
    s = np.linspace(0.05, 1, 8)
    with np.errstate(all="ignore"):
        try:
            even = bool(np.allclose(np.asarray(t.covariance.xi(-s), float), t.xi(s), rtol=1e-9, atol=1e-12))
        except Exception:
            even = False
    ph = str(th.phase[0])
    if ph == "RS":
        return OverlapTheory(b, ph, np.array([th.q_rs[0]]), np.array([1.0]), even)
    qa = np.array([th.q0[0], th.q1[0]])
    wa = np.array([th.m[0], 1 - th.m[0]])
    if ph == "1RSB":
        return OverlapTheory(b, ph, qa, wa, even)
    _, qe, x, _ = _full_rsb_at(t, b, qa, wa)
    return OverlapTheory(b, ph, qa, wa, even, qe, x)


# ============================================================================= zero temperature
def _chi_functional(t, qn, chi):
    """½[ξ'(1)χ(1) + ∫ξ'α + ∫1/χ] for χ piecewise linear on nodes ``qn`` (= ½[ξ'(0)χ(0) + ∫(ξ''χ + 1/χ)])."""
    h = np.diff(qn)
    alpha = -np.diff(chi) / h
    lm, _, _ = _log_mean_inverse(chi[:-1], chi[1:])
    return 0.5 * (t.dxi1 * chi[-1] + alpha @ np.diff(t.xi(qn)) + h @ lm)


def _phi_zero(t, qn, chi):
    """Φ(s) = ξ'(1)(1-s) - ξ(1) + ξ(s) - ∫_s^1 (q-s)/χ(q)² dq at the nodes (χ piecewise linear)."""
    _, i2 = _double_inverse_square((1 - qn)[::-1], chi[::-1])
    return t.dxi1 * (1 - qn) - t.xi1 + t.xi(qn) - i2[::-1]


def _one_rsb_zero(t):
    """Minimise the 1RSB ground-state functional over (L = χ(0), r = χ(1)/L, q0):
    G = ½[ξ'(1)L - μ(ξ'(1)(1-q0) - ξ(1) + ξ(q0)) + q0/L + log(L/χ(1))/μ],  μ = L(1-r)/(1-q0)."""
    d1, x1 = t.dxi1, t.xi1

    def g(p):
        lam, r, q0 = p
        one = 1 - q0
        mu = lam * (1 - r) / one
        tail = one / lam * (-math.log(r) / (1 - r) if 1 - r > 1e-9 else 1 + (1 - r) / 2)
        return 0.5 * (d1 * lam - mu * (d1 * one - x1 + float(t.xi(q0))) + q0 / lam + tail)

    best = None
    l0 = 1 / math.sqrt(d1)
    for q0 in (0.0, 0.3, 0.6, 0.85, 0.97):
        for r in (0.2, 0.6):
            res = minimize(g, (l0, r, q0), method="L-BFGS-B",
                           bounds=[(1e-9, None), (1e-9, 1.0), (0.0, 1 - 1e-9)],
                           options=dict(ftol=1e-15, gtol=1e-12, maxiter=2000))
            if best is None or res.fun < best.fun:
                best = res
    lam, r, q0 = best.x
    return float(best.fun), float(lam), float(lam * (1 - r) / (1 - q0)), float(q0)


def _full_zero(t, n_grid, start):
    """Minimise the ground-state functional over concave non-increasing χ with kinks on a grid.

    χ(q) = c + Σ_k w_k (1 - max(q, u_k)) with c, w >= 0 and atoms u_k at the grid nodes (half
    uniform, half graded towards q = 1, where χ may fall to 0 like ξ''^{-1/2} for ReLU, plus the
    1RSB kink q0): the measure dα = Σ w_k δ_{u_k}. The functional is convex in (c, w) and equals
    ½[ξ'(1)c + Σ w_k (ξ(1) - ξ(u_k)) + ∫ 1/χ] exactly (∫ 1/χ by the log formula per cell).
    Newton + NNLS (:func:`_newton_nnls`; L-BFGS-B stalls on this badly conditioned problem),
    started *at* the 1RSB optimum, which lies in the family, so the result never does worse than
    1RSB. Returns (value, nodes, χ at nodes, α on the cells).
    """
    lam, mu, q0 = start
    u = np.linspace(0, 1, n_grid // 2 + 1)
    qn = np.unique(np.concatenate([u, 1 - (1 - u) ** 3, [q0]]))
    n = qn.size - 1
    h = np.diff(qn)
    lin = 0.5 * np.concatenate([[t.dxi1], t.xi1 - t.xi(qn[:-1])])
    basis = np.concatenate([np.ones((n + 1, 1)), 1 - np.maximum(qn[:, None], qn[None, :-1])], axis=1)
    interp, wq = _cell_quadrature(qn, n)
    psi = interp @ basis

    def fun(z):
        chi = basis @ z
        if np.any(chi <= 0):
            return math.inf, None
        lm, da, dc = _log_mean_inverse(chi[:-1], chi[1:])
        gchi = np.zeros(n + 1)
        gchi[:-1] += 0.5 * h * da
        gchi[1:] += 0.5 * h * dc
        return float(lin @ z + 0.5 * h @ lm), lin + basis.T @ gchi

    def hessian(z):  # of ½∫1/χ
        return psi.T @ ((wq / (psi @ z) ** 3)[:, None] * psi)

    z = np.zeros(n + 1)
    z[0] = lam - mu * (1 - q0)
    z[1 + min(int(np.searchsorted(qn, q0)), n - 1)] = mu
    z, val = _newton_nnls(fun, hessian, z)
    return val, qn, basis @ z, np.cumsum(z[1:])


@dataclass
class GroundState:
    """Zero-temperature solution of a spherical mixed p-spin with mixture ξ.

    ``energy`` is GS = lim max_x H/N0 = -lim min_x H/N0 (> 0; the lowest energy density under
    e^{-βH} is ``-energy``). ``verdict`` is RS / 1RSB / full-RSB-like and ``diagnostic`` names the
    number that decided it. ``rs_energy`` = √ξ'(1); ``rs_margin`` = min_s D(s) (>= 0 iff RS);
    ``at_ratio`` = ξ''(1)/ξ'(1) (<= 1 iff RS is locally stable; inf when ξ'' diverges at 1);
    1RSB: ``one_rsb_energy``, ``one_rsb_q0`` (where χ kinks), ``one_rsb_slope`` (μ = -χ' beyond q0),
    ``one_rsb_violation`` = max_s Φ(s) (<= tol iff 1RSB is exact); ``full_energy`` from the
    discretised general minimiser (NaN when not needed) and its residual ``full_violation``;
    ``rsb_gain`` = (rs_energy - energy)/energy;
    ``q``, ``chi``, ``alpha`` = -χ' (the zero-temperature Parisi measure's distribution function)
    on a grid, for plotting; ``support`` = (lowest, highest) q where α > 0 grows;
    ``concave_on_support``: whether ξ''^{-1/2} is concave there (a full-RSB continuum needs it).
    """

    energy: float
    verdict: str
    diagnostic: str
    rs_energy: float
    rs_margin: float
    at_ratio: float
    one_rsb_energy: float
    one_rsb_q0: float
    one_rsb_slope: float
    one_rsb_violation: float
    full_energy: float
    full_violation: float
    rsb_gain: float
    q: np.ndarray
    chi: np.ndarray
    alpha: np.ndarray
    support: tuple
    concave_on_support: object
    tolerance: float
    note: str = ""

    def to_frame(self):
        """The optimal χ(q) and α(q) = -χ'(q) (one row per grid node)."""
        import pandas as pd

        df = pd.DataFrame({"q": self.q, "chi": self.chi, "alpha": self.alpha})
        df.attrs.update(self.summary())
        return df

    def summary(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not isinstance(v, np.ndarray)}


@_one_blas_thread
def ground_state(xi, *, n_grid: int = 128) -> GroundState:
    """Zero-temperature value GS and the replica-symmetry verdict (see the module docstring).

    RS iff D(s) = ξ(1) - ξ(s) - ξ'(1)(1-s²)/2 >= 0 on [0, 1] (exact). Otherwise the 1RSB χ is
    optimised in closed form and certified by max_s Φ(s) <= tol; if that fails, full-RSB-like,
    with the value from the discretised convex minimiser on ~``n_grid`` cells (accurate to ~1e-6;
    its own residual is ``full_violation``).
    ``tol`` = 1e-7·(ξ'(1) + ξ(1) - ξ(0)).
    """
    t = _table(xi)
    n_grid = integer("n_grid", n_grid, low=16, high=512)
    tol = _tol(t)
    s = np.unique(np.concatenate([np.linspace(0, 1, 4001), t.q]))
    d = t.xi1 - t.xi(s) - t.dxi1 * (1 - s * s) / 2
    rs_margin = float(d.min())
    rs_e = math.sqrt(t.dxi1)
    d2 = float(t.d2xi(np.array([1.0]))[0])
    at_ratio = d2 / t.dxi1 if math.isfinite(d2) else math.inf
    concave = None
    nan = math.nan
    common = dict(rs_energy=rs_e, rs_margin=rs_margin, at_ratio=at_ratio, tolerance=tol)
    # D(s) ~ (ξ'(1) - ξ''(1))(1-s)²/2 near s = 1: a tiny AT violation can hide below tol in D
    if rs_margin >= -tol and at_ratio <= 1 + 1e-9:
        qn = np.linspace(0, 1, n_grid + 1)
        return GroundState(energy=rs_e, verdict="RS",
                           diagnostic=f"rs_margin = min_s D(s) = {rs_margin:.3g} >= 0, at_ratio = {at_ratio:.4g} <= 1",
                           one_rsb_energy=rs_e, one_rsb_q0=nan, one_rsb_slope=0.0, one_rsb_violation=nan,
                           full_energy=nan, full_violation=nan, rsb_gain=0.0, q=qn, chi=np.full(qn.size, 1 / rs_e),
                           alpha=np.zeros(qn.size), support=(nan, nan), concave_on_support=None,
                           note="χ constant = 1/√ξ'(1)", **common)
    e1, lam, mu, q0 = _one_rsb_zero(t)
    qn = np.unique(np.concatenate([np.linspace(0, 1, 4 * n_grid + 1), [q0]]))
    chi1 = lam - mu * np.maximum(qn - q0, 0.0)
    alpha1 = np.where(qn >= q0, mu, 0.0)
    viol = float(max(_phi_zero(t, qn, chi1).max(), 0.0))
    one = dict(one_rsb_energy=e1, one_rsb_q0=q0, one_rsb_slope=mu, one_rsb_violation=viol)
    if viol <= tol:
        return GroundState(energy=e1, verdict="1RSB",
                           diagnostic=f"rs_margin = {rs_margin:.3g}, at_ratio = {at_ratio:.4g}: RS fails; "
                                      f"1RSB violation = {viol:.3g} <= tol",
                           full_energy=nan, full_violation=nan, rsb_gain=(rs_e - e1) / e1, q=qn, chi=chi1,
                           alpha=alpha1, support=(q0, q0), concave_on_support=None, note="", **common, **one)
    ef, qf, chif, alphaf = _full_zero(t, n_grid, (lam, mu, q0))
    grows = np.where(np.diff(np.concatenate([[0.0], alphaf])) > 1e-6 * max(alphaf.max(), 1e-300))[0]
    support = (float(qf[grows[0]]), float(qf[grows[-1]])) if grows.size else (nan, nan)
    if grows.size >= 3:  # a continuum needs ξ''^{-1/2} concave where α grows
        qs = np.linspace(max(support[0], 1e-6), min(support[1], 1 - 1e-6), 64)
        with np.errstate(all="ignore"):
            w = t.d2xi(qs) ** -0.5
        concave = bool(np.all(np.diff(w, 2) <= 1e-9 * max(np.abs(w).max(), 1.0)))
    if ef < e1:
        energy, q_out, chi_out, alpha_out = ef, qf, chif, np.concatenate([alphaf, alphaf[-1:]])
    else:
        energy, q_out, chi_out, alpha_out = e1, qn, chi1, alpha1
    return GroundState(energy=energy, verdict="full-RSB-like",
                       diagnostic=f"rs_margin = {rs_margin:.3g}, at_ratio = {at_ratio:.4g}: RS fails; "
                                  f"1RSB violation = {viol:.3g} > tol "
                                  f"(general χ lowers GS below 1RSB by {max(e1 - ef, 0.0):.2g})",
                       full_energy=ef, full_violation=float(max(_phi_zero(t, qf, chif).max(), 0.0)),
                       rsb_gain=(rs_e - energy) / energy, q=q_out, chi=chi_out, alpha=alpha_out, support=support,
                       concave_on_support=concave, note=f"general χ on {qf.size - 1} cells", **common, **one)


# ==================================================================================== verdicts
@dataclass
class Verdict:
    """The GP-limit replica-symmetry verdict of one (activation, depth, C_W, C_b)."""

    activation: str
    depth: int
    weight_variance: float
    bias_variance: float
    verdict: str
    diagnostic: str
    ground_energy: float
    rs_energy: float
    rsb_gain: float
    rs_margin: float
    at_ratio: float
    one_rsb_violation: float
    beta_at: float
    xi0: float
    xi1: float
    dxi0: float
    dxi1: float
    note: str

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([asdict(self)])


@_one_blas_thread
def classify(activation: str, depth: int, weight_variance: float = 1.0, bias_variance: float = 0.0, *,
             n_grid: int = 128) -> Verdict:
    """RS / 1RSB / full-RSB-like for a random MLP at infinite width, from the zero-temperature
    solution (:func:`ground_state`) of its NNGP mixture ξ, plus the AT point on the RS branch."""
    cov = nngp_kernel(activation, depth, weight_variance, bias_variance)
    t = TabulatedCovariance(cov)
    g = ground_state(t, n_grid=n_grid)
    ba = at_point(t).beta
    return Verdict(str(activation), int(depth), float(weight_variance), float(bias_variance), g.verdict,
                   g.diagnostic, g.energy, g.rs_energy, g.rsb_gain, g.rs_margin, g.at_ratio, g.one_rsb_violation,
                   ba, t.xi0, t.xi1, t.dxi0, t.dxi1,
                   " ".join(filter(None, [_ACTIVATION_NOTES.get(getattr(cov.activation, "name", activation)),
                                          _GP_NOTE])))


def verdict_table(activations, depths, weight_variance: float = 1.0, bias_variance: float = 0.0):
    """A DataFrame of :func:`classify` over ``activations`` × ``depths`` (one row per pair)."""
    import pandas as pd

    acts = [activations] if isinstance(activations, str) else list(activations)
    deps = [depths] if np.ndim(depths) == 0 else list(depths)
    if not acts or not deps:
        raise expected("activations", "non-empty lists of activations and depths", f"{len(acts)} × {len(deps)}")
    if len(acts) * len(deps) > MAX_TABLE_CELLS:
        raise expected("activations", f"at most {MAX_TABLE_CELLS} (activation, depth) pairs",
                       f"{len(acts)} × {len(deps)}")
    rows = [asdict(classify(a, d, weight_variance, bias_variance)) for a in acts for d in deps]
    return pd.DataFrame(rows)


# ================================================================================== simulation
def energy_and_gradient(network, x, *, backend: str = "numpy"):
    """H(x) = √N0 · z_out(x) and ∇_x H for a batch ``x`` of shape (R, N0) -> ((R,), (R, N0)).

    ``backend="numpy"``: explicit back-propagation; ``"torch"``: autograd (the reference).
    """
    backend = choice("backend", backend, BACKENDS)
    if network.widths[-1] != 1:
        raise expected("network", "a scalar output (last width 1)", network.describe())
    x = finite_array("x", x, ndim=2, shape=(None, network.widths[0]))
    f = _grad_numpy if backend == "numpy" else _grad_torch(network)
    return f(network, x)


def _grad_numpy(net, x):
    scale = math.sqrt(x.shape[1])
    zs, outs, h = [], [], x
    for w, b, a in zip(net.weights, net.biases, net.activations):
        z = h @ w.T + b
        h = act.apply(a, z)
        zs.append(z)
        outs.append(h)
    energy = scale * h[:, 0]
    g = np.full((x.shape[0], 1), scale)
    for l in range(len(net.weights) - 1, -1, -1):
        a = net.activations[l]
        if a == "tanh":  # σ' = 1 - σ² from the stored output: saves a second tanh (the costliest op)
            g = g * (1.0 - outs[l] ** 2)
        elif a != "linear":  # σ' from the kernel maps' activation registry
            g = g * _nngp.as_activation(a).derivative(zs[l], 1)
        g = g @ net.weights[l]
    return energy, g


def _grad_torch(net):
    import torch

    ws = [torch.from_numpy(w) for w in net.weights]
    bs = [torch.from_numpy(b) for b in net.biases]
    fns = [act.torch_module(a) for a in net.activations]

    def f(_, x):
        xt = torch.from_numpy(np.array(x)).requires_grad_(True)
        h = xt
        for w, b, fn in zip(ws, bs, fns):
            h = h @ w.T + b
            if fn is not None:
                h = fn(h)
        e = math.sqrt(x.shape[1]) * h[:, 0]
        (g,) = torch.autograd.grad(e.sum(), xt)
        return e.detach().numpy(), g.numpy()

    return f


@dataclass
class LangevinState:
    """Simulator state: ``x`` (B, C, N0) chains at β ladder slots, ``energy`` H(x) (B, C), last gradient."""

    x: np.ndarray
    energy: np.ndarray
    gradient: np.ndarray


def _normalise(x, n0):
    return x * (math.sqrt(n0) / np.linalg.norm(x, axis=-1, keepdims=True))


def langevin_init(network, n_betas: int, n_chains: int, rng, prior: str = "sphere", grad=None) -> LangevinState:
    """Chains drawn from the prior: uniform on |x|² = N0, or standard Gaussian."""
    n0 = network.widths[0]
    x = rng.standard_normal((n_betas, n_chains, n0))
    if prior == "sphere":
        x = _normalise(x, n0)
    grad = grad or _grad_numpy
    e, g = grad(network, x.reshape(-1, n0))
    return LangevinState(x, e.reshape(n_betas, n_chains), g.reshape(x.shape))


def langevin_step(state: LangevinState, network, betas, step_size, rng, prior="sphere", grad=None) -> LangevinState:
    """One Langevin step at each chain's β (``betas`` shape (B,)).

    sphere:   x <- normalise(x - P⊥(ηβ∇H - √(2η) ξ)),  |x|² = N0 (the normalisation supplies the
              Itô drift of Brownian motion on the sphere)
    gaussian: x <- x - η(β∇H + x) + √(2η) ξ   (prior e^{-|x|²/2}; unadjusted, O(η) bias)
    """
    grad = grad or _grad_numpy
    x, g = state.x, state.gradient
    n0 = x.shape[-1]
    noise = rng.standard_normal(x.shape)
    b = np.asarray(betas, dtype=float)[:, None, None]
    if prior == "sphere":
        v = step_size * b * g - math.sqrt(2 * step_size) * noise
        xhat = x / math.sqrt(n0)
        v -= np.sum(v * xhat, axis=-1, keepdims=True) * xhat
        x = _normalise(x - v, n0)
    else:
        x = x - step_size * (b * g + x) + math.sqrt(2 * step_size) * noise
    e, gn = grad(network, x.reshape(-1, n0))
    return LangevinState(x, e.reshape(state.energy.shape), gn.reshape(x.shape))


def tempering_swaps(state: LangevinState, betas, parity: int, rng):
    """Replica exchange between ladder neighbours (i, i+1), i ≡ parity (mod 2), chain by chain.

    Accept with min(1, exp((β_i - β_{i+1})(H_i - H_{i+1}))). Returns (attempts, accepted) per pair.
    """
    b = np.asarray(betas, dtype=float)
    n_b = b.size
    att = np.zeros(max(n_b - 1, 0))
    acc = np.zeros(max(n_b - 1, 0))
    for i in range(parity, n_b - 1, 2):
        log_a = (b[i] - b[i + 1]) * (state.energy[i] - state.energy[i + 1])
        ok = np.log(rng.random(log_a.shape)) < log_a
        att[i] += ok.size
        acc[i] += ok.sum()
        for arr in (state.x, state.energy, state.gradient):
            tmp = arr[i][ok].copy()
            arr[i][ok] = arr[i + 1][ok]
            arr[i + 1][ok] = tmp
    return att, acc


@dataclass
class InputSamples:
    """Samples of inputs under e^{-βH}: ``x`` (T, B, C, N0), ``energy`` H/N0 (T, B, C),
    ``swap_acceptance`` (B-1,) (NaN without swaps), ``complete`` False if stopped early."""

    beta: np.ndarray
    x: np.ndarray
    energy: np.ndarray
    swap_acceptance: np.ndarray
    step_size: float
    prior: str
    complete: bool = True


@_one_blas_thread
def sample_inputs(network, betas, *, n_chains: int = 4, n_steps: int = 2000, n_burn: int | None = None,
                  thin: int = 10, step_size: float = 0.01, swap_every: int = 10, prior: str = "sphere",
                  backend: str = "numpy", seed=None, callback=None) -> InputSamples:
    """Langevin (+ parallel tempering over the ladder ``betas``) on the inputs of a scalar-output
    ``network``; keeps every ``thin``-th state after ``n_burn`` steps (default n_steps // 2).

    All chains of all temperatures advance together as one batch (one forward/backward GEMM per
    step). ``callback`` gets a :class:`engine.progress.Progress` every ~5 % of the steps.
    """
    b = _betas(betas, "betas")
    if b.size > 1 and np.any(np.diff(b) <= 0):
        raise expected("betas", "strictly increasing (a tempering ladder)", b.tolist()[:8])
    if network.widths[-1] != 1:
        raise expected("network", "a scalar output (last width 1)", network.describe())
    n_chains = integer("n_chains", n_chains, low=1, high=4096)
    n_steps = integer("n_steps", n_steps, low=1, high=10_000_000)
    n_burn = n_steps // 2 if n_burn is None else integer("n_burn", n_burn, low=0, high=n_steps - 1)
    thin = integer("thin", thin, low=1)
    eta = real("step_size", step_size, low=0.0, high=1.0, low_open=True)
    swap_every = integer("swap_every", swap_every, low=0)
    prior = choice("prior", prior, PRIORS)
    backend = choice("backend", backend, BACKENDS)
    n0 = network.widths[0]
    n_keep = len(range(n_burn + thin - 1, n_steps, thin)) if n_steps > n_burn else 0
    if n_keep * b.size * n_chains * (n0 + 1) > MAX_STORED_FLOATS:
        raise expected("n_steps", f"at most {MAX_STORED_FLOATS:.0e} stored floats (raise thin)",
                       f"{n_keep} samples × {b.size} β × {n_chains} chains × {n0} inputs")
    rng = as_generator(seed)
    grad = _grad_numpy if backend == "numpy" else _grad_torch(network)
    st = langevin_init(network, b.size, n_chains, rng, prior, grad)
    xs, es = [], []
    att = np.zeros(max(b.size - 1, 0))
    acc = np.zeros_like(att)
    every = max(1, n_steps // 20)
    complete = True
    for step in range(n_steps):
        if swap_every and b.size > 1 and step % swap_every == 0:
            a1, a2 = tempering_swaps(st, b, (step // swap_every) % 2, rng)
            att += a1
            acc += a2
        if step >= n_burn and (step - n_burn) % thin == thin - 1:
            xs.append(st.x.copy())
            es.append(st.energy / n0)
        st = langevin_step(st, network, b, eta, rng, prior, grad)
        if (step + 1) % every == 0 and report(callback, step + 1, n_steps, f"Langevin step {step + 1}/{n_steps}"):
            complete = step + 1 == n_steps
            break
    with np.errstate(invalid="ignore", divide="ignore"):
        swap = np.where(att > 0, acc / np.maximum(att, 1), np.nan)
    x = np.array(xs) if xs else np.zeros((0, b.size, n_chains, n0))
    e = np.array(es) if es else np.zeros((0, b.size, n_chains))
    return InputSamples(b, x, e, swap, eta, prior, complete)


@_one_blas_thread
def descend(network, n_starts: int = 8, *, n_steps: int = 500, step_size: float = 0.05, prior: str = "sphere",
            backend: str = "numpy", seed=None):
    """Gradient descent of H from ``n_starts`` random inputs on the sphere (Riemannian steps with a
    per-start step that grows ×1.2 on success and halves on failure, so H never increases).

    Returns (energies H/N0 (n_starts,), inputs (n_starts, N0)). Only the sphere has a minimum
    (``prior`` is accepted for symmetry with :func:`sample_inputs` and must be "sphere").
    """
    n_starts = integer("n_starts", n_starts, low=1, high=4096)
    n_steps = integer("n_steps", n_steps, low=0, high=1_000_000)
    lr0 = positive("step_size", step_size)
    if choice("prior", prior, PRIORS) != "sphere":
        raise expected("prior", "'sphere' (H has no minimum under the Gaussian prior)", prior)
    grad = _grad_numpy if choice("backend", backend, BACKENDS) == "numpy" else _grad_torch(network)
    rng = as_generator(seed)
    n0 = network.widths[0]
    x = _normalise(rng.standard_normal((n_starts, n0)), n0)
    e, g = grad(network, x)
    lr = np.full((n_starts, 1), lr0)
    for _ in range(n_steps):
        g -= np.sum(g * x, axis=1, keepdims=True) * x / n0
        trial = _normalise(x - lr * g, n0)
        et, gt = grad(network, trial)
        ok = et < e
        x = np.where(ok[:, None], trial, x)
        e = np.where(ok, et, e)
        g = np.where(ok[:, None], gt, g)
        lr = np.where(ok[:, None], lr * 1.2, lr * 0.5)
        if np.all(lr < 1e-12):
            break
    return e / n0, x


def _mean_err(values):
    """Mean and standard error along axis 0 (NaN error with fewer than 2 rows)."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    n = finite.sum(axis=0)
    m, err = np.full(v.shape[1:], np.nan), np.full(v.shape[1:], np.nan)
    some, ok = n >= 1, n >= 2
    m[some] = np.where(finite, v, 0.0).sum(axis=0)[some] / n[some]
    if np.any(ok):
        err[ok] = np.nanstd(v[:, ok], axis=0, ddof=1) / np.sqrt(n[ok])
    return m[()], err[()]  # scalars for 1-D input


@dataclass
class SimulationResult:
    """A finite-width simulation averaged over weight draws (``n_draws`` done of those asked).

    Per β (shape (B,)): ``energy`` = ⟨H⟩/N0 (compare with the theory's ``energy`` = -u) and its
    standard error ``energy_err`` (over draws; over 10 time blocks when only one draw is done),
    ``q_mean`` ± ``q_mean_err`` (overlap of two chains at the same β on the same weights, x·x'/N0),
    ``swap_acceptance`` (B-1,). P(q): ``q_edges`` (n_bins+1,), ``p_q`` (B, n_bins) density with
    ``p_q_err``. Ground states: ``ground_energies`` (n_draws, n_descents) = min H/N0 reached by each
    gradient descent (compare with -GS); ``ground_overlaps`` (n_draws, pairs) between descent end
    points. ``energy_per_draw`` (n_draws, B).
    """

    activation: str
    depth: int
    n0: int
    width: int
    weight_variance: float
    bias_variance: float
    prior: str
    beta: np.ndarray
    energy: np.ndarray
    energy_err: np.ndarray
    energy_per_draw: np.ndarray
    q_mean: np.ndarray
    q_mean_err: np.ndarray
    q_edges: np.ndarray
    p_q: np.ndarray
    p_q_err: np.ndarray
    swap_acceptance: np.ndarray
    ground_energies: np.ndarray
    ground_overlaps: np.ndarray
    n_draws: int
    complete: bool
    seed: object
    elapsed: float

    @property
    def width_ratio(self) -> float:
        return self.width / self.n0

    @property
    def ground_energy(self) -> tuple:
        """(mean, standard error, spread = std over all descents) of the descents' final H/N0."""
        g = self.ground_energies[np.isfinite(self.ground_energies)]
        if g.size == 0:
            return (math.nan, math.nan, math.nan)
        per_draw = np.nanmean(self.ground_energies, axis=1)
        m, e = _mean_err(per_draw[np.isfinite(per_draw)][:, None])
        return (float(m[0]), float(e[0]), float(np.std(g, ddof=1)) if g.size > 1 else math.nan)

    def to_frame(self):
        """Per-β table: beta, energy, energy_err, q_mean, q_mean_err, swap_acceptance (to β_{i+1})."""
        import pandas as pd

        sw = np.concatenate([self.swap_acceptance, [np.nan]])[: self.beta.size]
        df = pd.DataFrame({"beta": self.beta, "energy": self.energy, "energy_err": self.energy_err,
                           "q_mean": self.q_mean, "q_mean_err": self.q_mean_err, "swap_acceptance": sw})
        df.attrs.update(activation=self.activation, depth=self.depth, n0=self.n0, width=self.width,
                        n_draws=self.n_draws, complete=self.complete, seed=self.seed)
        return df

    def overlap_frame(self):
        """Long table of P(q): beta, q (bin centre), p, p_err."""
        import pandas as pd

        c = 0.5 * (self.q_edges[:-1] + self.q_edges[1:])
        nb = c.size
        return pd.DataFrame({"beta": np.repeat(self.beta, nb), "q": np.tile(c, self.beta.size),
                             "p": self.p_q.ravel(), "p_err": self.p_q_err.ravel()})

    def ground_frame(self):
        """One row per descent: draw, descent, energy (H/N0)."""
        import pandas as pd

        d, k = np.indices(self.ground_energies.shape)
        return pd.DataFrame({"draw": d.ravel(), "descent": k.ravel(), "energy": self.ground_energies.ravel()})


@_one_blas_thread
def simulate(activation: str = "tanh", depth: int = 1, *, n0: int = 32, width_ratio: float = 4.0,
             weight_variance: float = 1.0, bias_variance: float = 0.0, betas=(0.5, 1.0, 2.0), n_chains: int = 4,
             n_draws: int = 4, n_steps: int = 2000, n_burn: int | None = None, thin: int = 10,
             step_size: float = 0.01, swap_every: int = 10, n_descents: int = 8, descent_steps: int = 300,
             n_bins: int = 40, prior: str = "sphere", backend: str = "numpy", seed=None,
             callback=None) -> SimulationResult:
    """Sample inputs of random MLPs from e^{-βH(x)} at finite width and average over weight draws.

    Each draw: a fresh MLP (widths N0, N1 = ... = N_L = round(width_ratio·N0), 1, activation on the
    hidden layers, ``depth`` = L hidden layers), ``n_chains`` Langevin chains per β with parallel
    tempering, then ``n_descents`` gradient descents. ``callback`` receives progress every ~5 % of a
    draw and, after each draw, ``data`` = the :class:`SimulationResult` so far; returning True stops
    the run and returns what is done (``complete=False``).
    """
    t0 = time.perf_counter()
    act.check_activation(activation)
    depth = integer("depth", depth, low=1, high=MAX_DEPTH)
    n0 = integer("n0", n0, low=2, high=4096)
    ratio = positive("width_ratio", width_ratio)
    width = max(1, int(round(ratio * n0)))
    c_w = positive("weight_variance", weight_variance)
    c_b = real("bias_variance", bias_variance, low=0.0)
    b = _betas(betas, "betas")
    n_chains = integer("n_chains", n_chains, low=2, high=4096)  # pairs of chains give P(q)
    n_draws = integer("n_draws", n_draws, low=1, high=10_000)
    n_steps = integer("n_steps", n_steps, low=2, high=10_000_000)
    n_descents = integer("n_descents", n_descents, low=0, high=4096)
    descent_steps = integer("descent_steps", descent_steps, low=0, high=1_000_000)
    n_bins = integer("n_bins", n_bins, low=2, high=1000)
    prior = choice("prior", prior, PRIORS)
    backend = choice("backend", backend, BACKENDS)
    per_row = 2 * (n0 * width + (depth - 1) * width * width + width) * 3  # forward + backward
    flops = n_draws * per_row * (n_steps * b.size * n_chains + 2 * descent_steps * n_descents)
    if flops > MAX_SIM_FLOPS:
        raise expected("n_steps", f"a run under {MAX_SIM_FLOPS:.0e} floating-point operations "
                       "(fewer steps, draws, chains or a narrower net)", f"about {flops:.1e}")
    rng = as_generator(seed)
    draw_rngs = rng.spawn(n_draws)
    widths = [n0] + [width] * depth + [1]
    edges = np.linspace(-1.0, 1.0, n_bins + 1)
    iu = np.triu_indices(n_chains, 1)
    e_draw, q_draw, p_draw, sw_draw, blocks_e, blocks_q, g_e, g_q = [], [], [], [], [], [], [], []
    total = n_draws * (n_steps + descent_steps)
    complete = True

    def result():
        nd = len(e_draw)
        if nd >= 2:
            em, ee = _mean_err(np.array(e_draw))
            qm, qe = _mean_err(np.array(q_draw))
            pm, pe = _mean_err(np.array(p_draw))
        elif nd == 1:
            em, ee = np.array(e_draw[0]), _mean_err(np.array(blocks_e[0]))[1]
            qm, qe = np.array(q_draw[0]), _mean_err(np.array(blocks_q[0]))[1]
            pm, pe = np.array(p_draw[0]), np.full_like(p_draw[0], np.nan)
        else:
            em = ee = qm = qe = np.full(b.size, np.nan)
            pm = pe = np.full((b.size, n_bins), np.nan)
        sw = np.nanmean(np.array(sw_draw), axis=0) if nd and b.size > 1 else np.full(max(b.size - 1, 0), np.nan)
        ge = np.array(g_e) if g_e else np.zeros((0, n_descents))
        gq = np.array(g_q) if g_q else np.zeros((0, n_descents * (n_descents - 1) // 2))
        return SimulationResult(activation, depth, n0, width, c_w, c_b, prior, b, em, ee,
                                np.array(e_draw).reshape(nd, b.size), qm, qe, edges, pm, pe, sw, ge, gq, nd,
                                complete, seed, time.perf_counter() - t0)

    for d in range(n_draws):
        r = draw_rngs[d]
        net = _random_net(widths, activation, c_w, c_b, r)
        offset = d * (n_steps + descent_steps)

        def inner(p, offset=offset):
            return report(callback, offset + p.done, total, f"draw {d + 1}/{n_draws}: {p.message}")

        smp = sample_inputs(net, b, n_chains=n_chains, n_steps=n_steps, n_burn=n_burn, thin=thin,
                            step_size=step_size, swap_every=swap_every, prior=prior, backend=backend, seed=r,
                            callback=inner if callback is not None else None)
        if smp.energy.shape[0] == 0:
            complete = False
            break
        e = smp.energy.mean(axis=2)  # (T, B)
        qs = np.einsum("tbcn,tbdn->tbcd", smp.x, smp.x)[:, :, iu[0], iu[1]] / n0  # (T, B, pairs)
        e_draw.append(e.mean(axis=0))
        q_draw.append(qs.mean(axis=(0, 2)))
        p_draw.append(np.array([np.histogram(np.clip(qs[:, k].ravel(), -1, 1), bins=edges, density=True)[0]
                                for k in range(b.size)]))
        nblk = min(10, e.shape[0])
        blocks_e.append([blk.mean(axis=0) for blk in np.array_split(e, nblk)])
        blocks_q.append([blk.mean(axis=(0, 2)) for blk in np.array_split(qs, nblk)])
        sw_draw.append(smp.swap_acceptance)
        if not smp.complete:
            complete = False
            break
        if n_descents and descent_steps and prior == "sphere":
            ge, gx = descend(net, n_descents, n_steps=descent_steps, backend=backend, seed=r)
            gq = (gx @ gx.T / n0)[np.triu_indices(n_descents, 1)]
        else:
            ge, gq = np.full(n_descents, np.nan), np.full(n_descents * (n_descents - 1) // 2, np.nan)
        g_e.append(ge)
        g_q.append(gq)
        if report(callback, (d + 1) * (n_steps + descent_steps), total, f"draw {d + 1}/{n_draws} done", result()):
            complete = d + 1 == n_draws
            break
    return result()


def _random_net(widths, activation, c_w, c_b, rng):
    from .network import Network

    return Network.random(widths, activation, weight_variance=c_w, bias_variance=c_b, seed=rng)


# ========================================================================================= CLI
def cli(argv=None) -> int:
    """``python -m engine inputham verdicts|simulate ...``: the verdict table, or one simulation
    written as CSV (per-β table; P(q) and descents beside it) with a tqdm progress bar."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m engine inputham",
                                 description="A deep network as a Hamiltonian over its inputs (Winer & Hanin 2025)")
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verdicts", help="RS / 1RSB / full-RSB-like per (activation, depth) at infinite width")
    v.add_argument("--activations", default="linear,tanh,relu,sin,erf")
    v.add_argument("--depths", default="1,2,3,5")
    v.add_argument("--weight-variance", type=float, default=1.0)
    v.add_argument("--bias-variance", type=float, default=0.0)
    s = sub.add_parser("simulate", help="finite-width Langevin + tempering, averaged over weight draws")
    s.add_argument("--activation", default="tanh")
    s.add_argument("--depth", type=int, default=1)
    s.add_argument("--n0", type=int, default=32)
    s.add_argument("--width-ratio", type=float, default=4.0)
    s.add_argument("--weight-variance", type=float, default=1.0)
    s.add_argument("--bias-variance", type=float, default=0.0)
    s.add_argument("--betas", default="0.5,1,2")
    s.add_argument("--draws", type=int, default=4)
    s.add_argument("--steps", type=int, default=2000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", default="inputham")
    args = ap.parse_args(argv)
    try:
        if args.command == "verdicts":
            df = verdict_table(args.activations.split(","), [int(d) for d in args.depths.split(",")],
                               args.weight_variance, args.bias_variance)
            print(df.drop(columns=["note", "diagnostic"]).to_string(index=False))
            return 0
        from tqdm import tqdm

        act.check_activation(args.activation)  # before the bar appears
        bar = tqdm(total=1.0, unit="run")

        def progress(p):
            bar.n = p.fraction
            bar.set_postfix_str(p.message)
            bar.refresh()

        res = simulate(args.activation, args.depth, n0=args.n0, width_ratio=args.width_ratio,
                       weight_variance=args.weight_variance, bias_variance=args.bias_variance,
                       betas=[float(b) for b in args.betas.split(",")], n_draws=args.draws, n_steps=args.steps,
                       seed=args.seed, callback=progress)
        bar.close()
        res.to_frame().to_csv(f"{args.out}_energy.csv", index=False)
        res.overlap_frame().to_csv(f"{args.out}_overlaps.csv", index=False)
        res.ground_frame().to_csv(f"{args.out}_descents.csv", index=False)
        print(res.to_frame().to_string(index=False))
        return 0
    except EngineError as e:
        print(f"error: {e}")
        return 2
