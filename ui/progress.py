"""Progress bars with a Stop button for long engine work.

Engine functions take ``callback=``; :func:`run_with_progress` passes one that moves a
progress bar and keeps the latest partial result in ``st.session_state``. Clicking Stop
makes Streamlit rerun the script, which interrupts the computation at its next progress
report; the page then shows the partial result (:func:`partial`) instead of losing it.
Long computations therefore start from a button, never by themselves on a rerun.
"""
from __future__ import annotations

import time

import streamlit as st


def run_with_progress(key: str, label: str, fn, /, *args, **kwargs):
    """Call ``fn(*args, callback=..., **kwargs)`` showing progress and a Stop button."""
    st.session_state.pop(f"{key}:partial", None)
    slot = st.empty()  # emptied afterwards: the bar and the Stop button go away
    box = slot.container()
    bar = box.progress(0.0, text=label)
    box.button("Stop", key=f"{key}:stop", icon=":material/stop_circle:",
               help="Stop the computation; what has been computed so far is kept.")
    last = [0.0]

    def callback(p):
        if p.data is not None:
            st.session_state[f"{key}:partial"] = p.data
        now = time.perf_counter()
        if now - last[0] > 0.1 or p.fraction >= 1.0:  # the browser needs no more than 10 updates a second
            last[0] = now
            bar.progress(p.fraction, text=f"{label} — {p.message}" if p.message else label)
        return False

    try:
        return fn(*args, callback=callback, **kwargs)
    finally:
        slot.empty()


def partial(key: str):
    """The partial result a stopped computation left behind (or ``None``)."""
    return st.session_state.get(f"{key}:partial")
