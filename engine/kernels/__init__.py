"""numba kernels: private to the engine.

Each kernel takes only arrays and scalars, keeps its random state in local variables
(see :mod:`engine.kernels.rng`), and has a plain NumPy reference beside it that the
tests hold it to. Public, validated entry points live one level up
(``engine/montecarlo.py`` and friends); nothing outside ``engine/`` imports these.

Kernels are compiled with ``cache=True``. numba writes its cache next to the source
(``__pycache__``); where that folder is read-only (Streamlit Community Cloud installs
the app read-only) the cache goes to a temporary folder instead, set here before any
kernel is compiled (numba itself would otherwise try the user-wide cache folder).

When you edit a kernel that others inline (``rng.draw_uniforms``, ``gray.axpy``,
``rng.exponential_bits`` ...), clear ``engine/kernels/__pycache__``: numba's cache checks the
modification time of the file that defines a kernel, not of the files it inlines from.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def _choose_cache_dir() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    if _writable(Path(__file__).resolve().parent / "__pycache__"):
        return
    fallback = Path(tempfile.gettempdir()) / "nn-physics-lab-numba-cache"
    if _writable(fallback):
        os.environ["NUMBA_CACHE_DIR"] = str(fallback)
        if "numba" in sys.modules:  # numba read its config already: set it there too
            from numba.core import config

            config.CACHE_DIR = str(fallback)


_choose_cache_dir()
