"""Turn the engine's one error type into a clear message on the page."""
from __future__ import annotations

import contextlib

import streamlit as st

from engine.errors import EngineError


@contextlib.contextmanager
def engine_errors(context: str | None = None):
    """Run a block; an ``EngineError`` inside it is shown with ``st.error`` and the block is skipped.

    Nothing the block had not yet done happens, so the page keeps its previous state.
    """
    try:
        yield
    except EngineError as e:
        st.error(f"{context}: {e}" if context else str(e), icon=":material/error:")
