"""One helper that turns a user's ``seed`` into a NumPy Generator.

Every public function that samples takes ``seed`` (``None``, an int, or a
``np.random.Generator``) and passes it through :func:`as_generator`. numba
kernels never own a generator: they receive integer seeds drawn here with
:func:`kernel_seeds` and keep their random state in local variables, so the
same seed gives the same numbers in a test, the CLI, a page and a Dask worker.
"""
from __future__ import annotations

import numbers

import numpy as np

from .errors import expected

SeedLike = "None | int | np.random.Generator"


def as_generator(seed=None) -> np.random.Generator:
    """Normalise ``seed`` to a ``np.random.Generator`` (a Generator is used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool) and int(seed) >= 0:
        return np.random.default_rng(int(seed))
    raise expected("seed", "None, an int >= 0 or a numpy Generator", seed)


def kernel_seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent 64-bit seeds for kernels' local generators (uint64, never 0)."""
    return rng.integers(1, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
