"""Branch-free elementary functions for numba kernels, and a conditional move.

libm's ``tanh`` is a scalar call that stops LLVM from vectorising a loop (and costs about
4x); :func:`fast_tanh` computes it in straight-line code to full double precision, so
loops over contiguous rows vectorise. Used by the block heat-bath sampler and the
thermal machine. Kernels that use it run with ``fastmath=FASTMATH`` and
``error_model="numpy"``; the reference for :func:`fast_tanh_array` is ``np.tanh``.

:func:`select` is ``a if cond else b`` as one LLVM ``select`` (a conditional move): numba writes
the conditional expression as branches, and LLVM keeps them as branches in the kernels' loops
(measured in the Wang-Landau step), where a condition true about half the time at random is
mispredicted about half the time.

Reference: W. J. Cody & W. Waite, "Software manual for the elementary functions" (1980)
for the range reduction of exp.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def select(typingctx, cond, a, b):
    """``a if cond else b``, both of one type, with no branch (module docstring)."""
    if a != b or not isinstance(cond, types.Boolean):
        return None

    def codegen(context, builder, signature, args):
        return builder.select(args[0], args[1], args[2])

    return a(cond, a, b), codegen


_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that n*_LN2_HI is exact (Cody-Waite)
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
FASTMATH = {"nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, inline="always", fastmath=FASTMATH, error_model="numpy")
def fast_tanh(a):
    """tanh(a) = sign(a) (1 - e)/(1 + e), e = exp(-2|a|), in straight-line vectorisable code.

    exp(-z) - 1 for z = 2|a| in [0, 40] (beyond 40, tanh = ±1 in double precision) is
    2^-n e^r - 1 with n = round(z/ln 2) and |r| <= ln(2)/2; e^r - 1 is a degree-13 Taylor
    polynomial (truncation < 1e-17) and 2^-n is built from the six bits of n by selects,
    because a table gather or an int64 conversion would stop the loop from vectorising.
    Working with e - 1 keeps full relative accuracy near a = 0.
    """
    z = min(2.0 * abs(a), 40.0)
    nf = math.floor(z * _INV_LN2 + 0.5)
    n = np.int32(nf)
    r = (nf * _LN2_HI - z) + nf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r  # e^r - 1
    s = 1.0
    s *= 0.5 if (n & 1) else 1.0
    s *= 0.25 if (n & 2) else 1.0
    s *= 0.0625 if (n & 4) else 1.0
    s *= 0.00390625 if (n & 8) else 1.0
    s *= 1.52587890625e-05 if (n & 16) else 1.0
    s *= 2.3283064365386963e-10 if (n & 32) else 1.0
    em = p * s + (s - 1.0)  # exp(-z) - 1
    return math.copysign(-em / (2.0 + em), a)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def fast_tanh_array(a):
    """Element-wise :func:`fast_tanh` of a 1-d array (for the tests; the reference is np.tanh)."""
    out = np.empty_like(a)
    for k in range(a.size):
        out[k] = fast_tanh(a[k])
    return out
