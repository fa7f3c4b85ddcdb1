"""Compile (or load from numba's on-disk cache) the hot kernels once per server process.

Runs in a background thread so the first page opens at once; the first Monte Carlo run
then does not pay the compile time.
"""
from __future__ import annotations

import importlib
import threading

import streamlit as st

#: ``module:function`` pairs called with no arguments; each runs a tiny problem.
WARM = (
    "engine.warm:warm_all",
)


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    def run():
        for spec in WARM:
            module, _, fn = spec.partition(":")
            try:
                getattr(importlib.import_module(module), fn)()
            except Exception:  # warming is an optimisation; a failure shows up where the kernel is used
                pass

    t = threading.Thread(target=run, name="numba-warmup", daemon=True)
    t.start()
    return t
