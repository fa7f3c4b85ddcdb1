"""A tiny counter-free generator for numba kernels: xoshiro256+ seeded by splitmix64.

Kernels never use numba's global ``np.random`` state (it is shared per thread and
separate from NumPy's). Instead each independent stream (one replica, one
thread) owns a ``uint64[4]`` state array created by :func:`seeded_state` from a
seed drawn by :func:`engine.random.kernel_seeds`. The same seed gives the same
stream in the kernel and in its NumPy reference (:func:`reference_uniforms`).

Exponential variates (:func:`exponential_bits`) come from the same stream by a 256-layer
ziggurat; the Wang-Landau walk and Metropolis test acceptance with them (``Δ <= X``, X ~ Exp(1):
probability e^{-Δ}, with no ``exp``).

Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators",
ACM TOMS 47 (2021); splitmix64 from Steele, Lea & Flood, OOPSLA 2014; the ziggurat from
Marsaglia & Tsang, J. Stat. Softw. 5(8) (2000).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

_M64 = (1 << 64) - 1


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True)
def seeded_state(seed):
    """xoshiro256 state (uint64[4]) from one 64-bit seed, through splitmix64."""
    s = np.empty(4, dtype=np.uint64)
    z = uint64(seed)
    for i in range(4):
        z = z + uint64(0x9E3779B97F4A7C15)
        x = z
        x = (x ^ (x >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> uint64(27))) * uint64(0x94D049BB133111EB)
        s[i] = x ^ (x >> uint64(31))
    return s


@njit(cache=True, inline="always")
def next_uniform(s):
    """One double in [0, 1) from xoshiro256+ state ``s`` (updated in place)."""
    result = s[0] + s[3]
    t = s[1] << uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return (result >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def step_bits(s0, s1, s2, s3):
    """xoshiro256+ on a state held in four scalars: (b, s0, s1, s2, s3), where b is the 53-bit
    integer behind :func:`next_uniform`'s u = b / 2^53.

    For loops that draw many numbers: the state stays in registers instead of making each
    draw wait for the previous one's stores to the state array.
    """
    result = s0 + s3
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result >> uint64(11), s0, s1, s2, s3


#: u = b * TO_UNIT for the 53 bits b of :func:`step_bits`.
TO_UNIT = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def next_below(s, n):
    """An integer uniform in [0, n) (n small compared to 2^53)."""
    return int(next_uniform(s) * n)


@njit(cache=True, inline="always")
def draw_uniforms(st, out, n):
    """out[:n] = the next n uniforms of the stream ``st``, exactly as n calls of
    :func:`next_uniform` (the kernel-vs-reference tests hold it to that).

    The state stays in four scalars during the loop: through the array, each draw would wait
    for the previous one's stores, since LLVM cannot prove that ``out`` and ``st`` do not
    overlap (0.9 instead of 1.5 ns per uniform).
    """
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for j in range(n):
        b, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
        out[j] = np.int64(b) * TO_UNIT
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3


@njit(cache=True)
def uniforms(seed, n):
    """``n`` uniforms from a fresh stream (used by tests against the reference)."""
    s = seeded_state(seed)
    out = np.empty(n)
    for i in range(n):
        out[i] = next_uniform(s)
    return out


def _exponential_tables(n_layers: int = 256, r: float = 7.69711747013104972):
    """Layer edges x_i and heights e^{-x_i} of the 256-layer ziggurat of Exp(1) (Marsaglia & Tsang).

    Every layer has the area v = r e^{-r} + e^{-r}: layer 0 is the base strip
    [0, v e^{r}] × [0, e^{-r}] plus the tail beyond r; layer i >= 1 is [0, x_i] × [e^{-x_i},
    e^{-x_{i+1}}] with x_1 = r, x_{i+1} = -ln(v / x_i + e^{-x_i}), x_256 = 0.
    """
    v = math.exp(-r) * (r + 1.0)
    x = np.empty(n_layers + 1)
    x[0], x[1] = v / math.exp(-r), r
    for i in range(1, n_layers - 1):
        x[i + 1] = -math.log(v / x[i] + math.exp(-x[i]))
    x[n_layers] = 0.0
    return x, np.exp(-x)


#: Ziggurat tables of Exp(1) (module constants: numba freezes them into the kernels).
EXP_X, EXP_F = _exponential_tables()
#: x_i / 2^45: the abscissa of a draw is its 45 low bits m times this (the same number as m 2^-45 x_i).
EXP_XS = EXP_X * 2.0 ** -45
#: The fast test in integers: m < EXP_K[i] implies m 2^-45 x_i < x_{i+1} (floor, less one for rounding),
#: so it can be decided before the multiply; the few m between it and the exact edge go on to that test.
EXP_K = np.concatenate([np.floor(2.0 ** 45 * EXP_X[1:] / EXP_X[:-1]) - 1.0, [0.0]]).astype(np.int64)


@njit(cache=True)
def _exponential_rest(i, z, s0, s1, s2, s3):
    """The rare paths of :func:`exponential_bits` after its first draw (layer i, abscissa z) failed
    the fast test: the tail, the wedge test and restarts. Out of line, so that loops drawing
    many variates stay small (~15% faster there)."""
    while True:
        if z < EXP_X[i + 1]:  # inside the curve after all (between the integer test and the edge)
            return z, s0, s1, s2, s3
        bw, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
        if i == 0:
            return EXP_X[1] - math.log(1.0 - np.int64(bw) * TO_UNIT), s0, s1, s2, s3
        if EXP_F[i] + np.int64(bw) * TO_UNIT * (EXP_F[i + 1] - EXP_F[i]) < math.exp(-z):
            return z, s0, s1, s2, s3
        bits, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
        i = np.int64(bits >> uint64(45))
        z = np.int64(bits & uint64(0x1FFFFFFFFFFF)) * EXP_XS[i]


@njit(cache=True, inline="always")
def exponential_bits(s0, s1, s2, s3):
    """One Exp(1) variate X from the stream held in four scalars: (X, s0, s1, s2, s3).

    A draw u = b / 2^53 gives the layer i = floor(256 u) and the abscissa z = frac(256 u) x_i
    (45 random bits; taken straight from b). z < x_{i+1} is inside the curve (98.9% of draws);
    otherwise layer 0 returns r + Exp(1) beyond the base strip (the tail, by memorylessness:
    r - ln(1 - u') with one more draw) and layers i >= 1 test the wedge with one more draw, a
    rejection starting over with the next draw. :class:`ReferenceStream` does the same in Python.
    """
    bits, s0, s1, s2, s3 = step_bits(s0, s1, s2, s3)
    i = bits >> uint64(45)
    m = np.int64(bits & uint64(0x1FFFFFFFFFFF))
    z = m * EXP_XS[i]
    if m >= EXP_K[i]:  # decided in integers, beside the multiply; z < x_{i+1} exactly as before
        return _exponential_rest(np.int64(i), z, s0, s1, s2, s3)
    return z, s0, s1, s2, s3


@njit(cache=True, inline="always")
def draw_exponentials(st, out, n):
    """out[:n] = the next n Exp(1) variates of the stream ``st`` (advanced in place), as
    :func:`draw_uniforms` draws uniforms."""
    s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
    for j in range(n):
        out[j], s0, s1, s2, s3 = exponential_bits(s0, s1, s2, s3)
    st[0], st[1], st[2], st[3] = s0, s1, s2, s3


@njit(cache=True, inline="always")
def next_exponential(st):
    """One Exp(1) variate from the stream ``st`` (advanced in place)."""
    x, st[0], st[1], st[2], st[3] = exponential_bits(st[0], st[1], st[2], st[3])
    return x


@njit(cache=True)
def exponentials(seed, n):
    """``n`` Exp(1) variates from a fresh stream (tests hold them to :class:`ReferenceStream`)."""
    out = np.empty(n)
    draw_exponentials(seeded_state(seed), out, n)
    return out


def reference_state(seed: int) -> list[int]:
    """Pure-Python splitmix64 seeding, the reference for :func:`seeded_state`."""
    z = int(seed) & _M64
    out = []
    for _ in range(4):
        z = (z + 0x9E3779B97F4A7C15) & _M64
        x = z
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
        out.append(x ^ (x >> 31))
    return out


class ReferenceStream:
    """Pure-Python xoshiro256+ from ``seed``: the reference for the kernels' streams.

    ``uniform()`` is :func:`next_uniform`; ``exponential()`` is :func:`exponential_bits`.
    """

    def __init__(self, seed: int):
        self.s = reference_state(seed)

    def uniform(self) -> float:
        s = self.s
        result = (s[0] + s[3]) & _M64
        t = (s[1] << 17) & _M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & _M64
        return (result >> 11) * (1.0 / 9007199254740992.0)

    def exponential(self) -> float:
        while True:
            w = self.uniform() * 256.0
            i = int(w)
            z = (w - i) * EXP_X[i]
            if z < EXP_X[i + 1]:
                return z
            u = self.uniform()
            if i == 0:
                return EXP_X[1] - math.log(1.0 - u)
            if EXP_F[i] + u * (EXP_F[i + 1] - EXP_F[i]) < math.exp(-z):
                return z


def reference_uniforms(seed: int, n: int) -> np.ndarray:
    """Pure-Python xoshiro256+, the reference for :func:`uniforms`."""
    stream = ReferenceStream(seed)
    return np.array([stream.uniform() for _ in range(n)], dtype=np.float64)
