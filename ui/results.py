"""A process-wide store of finished computations, keyed by what determines them.

Results are numbers computed from (model digest, parameters, seed) and are the same for
every user, so sharing them across sessions is safe and saves recomputation; *which*
model a user has chosen is per-user state and lives in ``st.session_state`` instead.
The store keeps the most recent ``MAX_ITEMS`` results.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

MAX_ITEMS = 256


@st.cache_resource(show_spinner=False)
def _store():
    return OrderedDict(), threading.Lock()


def make_key(namespace: str, *parts) -> tuple:
    """A hashable key: the namespace plus the parts, with lists and dicts frozen."""
    def freeze(x):
        if isinstance(x, dict):
            return tuple(sorted((k, freeze(v)) for k, v in x.items()))
        if isinstance(x, (list, tuple)):
            return tuple(freeze(v) for v in x)
        if hasattr(x, "tolist"):
            return freeze(x.tolist())
        return x
    return (namespace, *(freeze(p) for p in parts))


def get(key):
    """The stored result for ``key`` or ``None``."""
    store, lock = _store()
    with lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    return None


def put(key, value):
    """Store ``value`` under ``key`` (evicting the oldest beyond ``MAX_ITEMS``)."""
    store, lock = _store()
    with lock:
        store[key] = value
        store.move_to_end(key)
        while len(store) > MAX_ITEMS:
            store.popitem(last=False)
    return value
