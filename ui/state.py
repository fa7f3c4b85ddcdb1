"""Per-user state: the current model and the models this browser session trained or uploaded.

Everything here lives in ``st.session_state`` (never in module globals), so two browser
tabs never see each other's models. Zoo models are read-only and shared through a cache;
a session's own models are kept in ``st.session_state["session_models"]``.
"""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from engine.network import Network
from engine.zoo import DEFAULT_MODEL, ZOO_DIR, list_zoo

_CURRENT = "current_model"
PENDING = "pending_model"
_SESSION_MODELS = "session_models"

@st.cache_resource(show_spinner=False)
def zoo_cards() -> list[dict]:
    """The shipped zoo's cards (read once per server process)."""
    return list_zoo(ZOO_DIR)


@st.cache_resource(show_spinner=False, max_entries=128)
def _zoo_network(name: str) -> Network:
    return Network.load(Path(ZOO_DIR) / f"{name}.safetensors")


def zoo_names() -> list[str]:
    return [c["name"] for c in zoo_cards()]


def session_models() -> dict[str, Network]:
    """This session's own models by name (trained or uploaded here)."""
    return st.session_state.setdefault(_SESSION_MODELS, {})


def all_names() -> list[str]:
    """Session models first (newest first), then the zoo."""
    return list(reversed(list(session_models()))) + zoo_names()


def get_network(name: str) -> Network:
    """The model called ``name`` (a session model shadows a zoo model of the same name).

    Networks returned here are shared: treat them as read-only (use ``.copy()`` to change one).
    """
    models = session_models()
    if name in models:
        return models[name]
    return _zoo_network(name)


def default_name() -> str:
    names = zoo_names()
    return DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else "")


def current_name() -> str:
    name = st.session_state.get(_CURRENT)
    return name if name in all_names() else default_name()


def current_network() -> Network:
    """The model every analysis page works on."""
    return get_network(current_name())


def set_current(name: str) -> None:
    """Make ``name`` the current model from the next run on (the caller then calls ``st.rerun()``).

    The sidebar picker has already been drawn in this run, so its value cannot change now;
    the picker applies the pending choice before it draws itself next time.
    """
    st.session_state[_CURRENT] = name
    st.session_state[PENDING] = name


def add_session_model(net: Network, *, make_current: bool = True) -> str:
    """Keep ``net`` in this session under a unique name; return the name."""
    models = session_models()
    base = net.name or "model"
    name, k = base, 2
    while name in models or name in zoo_names():
        name, k = f"{base} ({k})", k + 1
    if name != net.name:
        net = net.copy(name=name)
    models[name] = net
    if make_current:
        set_current(name)
    return name


def card_table_rows(cards: list[dict]) -> list[dict]:
    """Flatten cards into table rows (architecture as text, accuracies as numbers)."""
    rows = []
    for c in cards:
        rows.append({
            "name": c.get("name"),
            "dataset": c.get("dataset", "?"),
            "widths": "-".join(map(str, c.get("widths", []))),
            "activation": "/".join(sorted(set(c.get("activations", ["?"])[:-1] or c.get("activations", ["?"])))),
            "stage": c.get("stage", ""),
            "test_accuracy": c.get("test_accuracy"),
            "train_accuracy": c.get("train_accuracy"),
            "epochs": c.get("epochs"),
            "seed": c.get("seed"),
            "depth": max(len(c.get("widths", [])) - 1, 0),
            "params": c.get("n_params"),
        })
    return rows


def card_of(net: Network) -> dict:
    return json.loads(net.card_json())


# ---------------------------------------------------------------- spin systems
_SPIN_SYSTEMS = "spin_systems"


def spin_systems() -> dict:
    """Spin systems made on other pages in this session (e.g. a trained RBM), by name.

    Each value is ``{"model": IsingModel, "note": str, "marks": {T: label}}``. The Thermodynamics page offers them
    next to the current network, so "an RBM is a bipartite Ising model" can be looked at with
    the same tools as any network.
    """
    return st.session_state.setdefault(_SPIN_SYSTEMS, {})


def add_spin_system(name: str, model, note: str = "", marks: dict | None = None) -> str:
    """Keep an ``IsingModel`` for the Thermodynamics page; return its (unique) name.

    ``marks`` maps temperatures worth marking on its curves to a label (e.g. ``{1.0: "T = 1: the
    RBM's own distribution"}``).
    """
    systems = spin_systems()
    unique, k = name, 2
    while unique in systems:
        unique, k = f"{name} ({k})", k + 1
    systems[unique] = {"model": model, "note": note, "marks": dict(marks or {})}
    return unique
