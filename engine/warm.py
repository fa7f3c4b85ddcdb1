"""Compile or load every numba kernel once, on tiny problems (``python -m engine.warm``).

Never import torch here: the app runs this in a background thread, and SciPy's array-API
checks read ``sys.modules["torch"]`` and fail on a half-imported torch module.
"""
from __future__ import annotations

import importlib
import time

#: Modules whose ``_warm()`` runs a tiny problem through their kernels.
MODULES = ("engine.montecarlo", "engine.wang_landau", "engine.exact", "engine.hopfield", "engine.nngp", "engine.replicas",
           "engine.thermal_machine")


def warm_all(verbose: bool = False) -> dict[str, float]:
    """Call ``_warm()`` of each module that has one; return seconds per module."""
    times = {}
    for name in MODULES:
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        fn = getattr(module, "_warm", None)
        if fn is not None:
            fn()
            times[name] = time.perf_counter() - t0
            if verbose:
                print(f"{name}: {times[name]:.2f} s")
    return times


if __name__ == "__main__":
    warm_all(verbose=True)
