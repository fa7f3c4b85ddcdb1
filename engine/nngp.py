"""Infinite-width (NNGP) covariance of a random MLP's output as a function of input overlap.

PHYSICS.md sections 6 and 7. For a random MLP with W_ij ~ N(0, C_W/fan_in),
b ~ N(0, C_b), the output over inputs on the sphere |x|² = N0 is a Gaussian field with
covariance N0·ξ(q), q = x·x'/N0:

    K1(q) = C_b + C_W q ;  K_{l+1}(q) = C_b + C_W F_σ(K_l(1), K_l(1), K_l(q)) ;  ξ(q) = K_out(q)
    F_σ(a, a, c) = E[σ(u)σ(v)],  (u, v) ~ N(0, [[a, c], [c, a]])

Every covariance object here follows the :class:`Covariance` protocol (``xi``, ``dxi``,
``d2xi``, vectorised over q in [-1, 1]); the spin-glass solver in
:mod:`engine.input_hamiltonian` accepts any such object, e.g. a
:class:`PolynomialMixture` for the mixed p-spin unit cases.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import expected
from .validation import finite_array


class Covariance(Protocol):
    """ξ(q) and its first two derivatives, vectorised over q (float or array)."""

    def xi(self, q): ...

    def dxi(self, q): ...

    def d2xi(self, q): ...


@dataclass(frozen=True)
class PolynomialMixture:
    """ξ(q) = Σ_p c_p q^p (a mixed p-spin model); ``coefficients[p]`` is c_p, p = 0, 1, 2, ..."""

    coefficients: tuple

    def __post_init__(self):
        c = finite_array("coefficients", self.coefficients, ndim=1)
        if c.size == 0 or np.any(c < 0):
            raise expected("coefficients", "non-empty and all >= 0 (a covariance)", list(c))
        object.__setattr__(self, "coefficients", tuple(float(x) for x in c))

    def _poly(self, order):
        p = np.polynomial.Polynomial(self.coefficients)
        return p.deriv(order) if order else p

    def xi(self, q):
        return self._poly(0)(np.asarray(q, dtype=float))

    def dxi(self, q):
        return self._poly(1)(np.asarray(q, dtype=float))

    def d2xi(self, q):
        return self._poly(2)(np.asarray(q, dtype=float))
