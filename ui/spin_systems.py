"""Spin systems for the Ising and Thermodynamics pages: cached adapters, no physics of their own.

* **Builders.** A network's Ising model and its variants (trained, shuffled twin with fraction f,
  the first b layers and their shuffled twin), built once per server process and identified by
  a content digest of the couplings (:func:`model_digest`), so a result computed for a model on
  one page is found again on the other.
* **Which spin system.** The current network, or a spin system made on another page of this
  session (``ui.state.spin_systems()``, e.g. a trained RBM): :func:`spin_system_choice`.
* **Cheap numbers** (< 1 s, on every change, ``st.cache_data``): greedy quench from all +1 (the
  paper's ground state), simulated annealing (the best estimate), the energy range they imply,
  exact enumeration for tiny models, and the width W against the shuffled fraction and depth.
* **Long runs** (Wang-Landau, parallel tempering) start from a button, redraw a figure live from
  the engine's callback data, can be stopped (the partial result is kept and marked), and are
  stored in ``ui.results`` keyed by (model digest, settings, seed): :func:`run_live`,
  :func:`take_stopped`, :func:`find_dos`, :func:`store_dos`.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, fields as dataclass_fields, replace

import numpy as np
import pandas as pd
import streamlit as st

from engine.exact import exact_density_of_states, exact_thermodynamics
from engine.ising import IsingModel
from engine.thermo import DensityOfStates
from engine.montecarlo import anneal, quench
from engine.network import Network
from engine.wang_landau import default_bin_width, symmetry_gauge

from . import catalog, params, results, state
from .progress import run_with_progress

TINY = catalog.TINY
#: Exact enumeration (2^N states) is instant up to this many spins; it is then the reference.
EXACT_MAX_SPINS = 22
#: Shuffled fractions and shuffle seeds of the width sweep (anneal-based, cheap).
SWEEP_FRACTIONS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
SWEEP_SEEDS = 3
CURRENT = "current network"


# ====================================================================== builders

def model_digest(model: IsingModel) -> str:
    """A short content hash of an Ising model's couplings and fields (cache keys)."""
    h = hashlib.sha256()
    h.update(np.asarray(model.layer_sizes if model.is_layered else [-1, model.n_spins], dtype=np.int64).tobytes())
    for a in (model.indptr, model.indices, model.data, model.fields):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


@dataclass
class System:
    """One spin system on a page: its label and role (colour), model, digest, and the network it
    came from (None for a session spin system such as an RBM)."""

    label: str
    role: str  # trained | shuffled | first | first_shuffled | session
    model: IsingModel
    digest: str
    network: Network | None = None
    note: str = ""
    marks: dict = field(default_factory=dict)  # temperature -> label, e.g. T = 1 for an RBM

    @property
    def n_spins(self) -> int:
        return self.model.n_spins

    @property
    def symmetric(self) -> bool:
        """g(E) = g(-E) exactly (no fields, bipartite graph)."""
        return symmetry_gauge(self.model) is not None

    @property
    def name(self) -> str:
        return self.model.name


def _engine_token() -> int:
    """Changes when Streamlit re-imports the engine after a source file changed (development
    server): cached objects made by the old classes would then fail the engine's type checks."""
    return id(IsingModel)


@st.cache_resource(show_spinner=False, max_entries=256)
def _variant(_net: Network, net_digest: str, fraction: float, seed: int, b: int, fields: bool, token: int):
    """(IsingModel, digest) of the first ``b`` layers of ``_net``, a fraction shuffled."""
    net = _net.first_layers(b) if b < _net.n_layers else _net
    if fraction > 0:
        net = net.shuffled(fraction, seed=seed)
    model = IsingModel.from_network(net, fields=fields)
    return model, model_digest(model)


def network_system(net: Network, *, fraction: float = 0.0, seed: int = 0, b: int | None = None,
                   fields: bool = False, role: str | None = None, label: str | None = None) -> System:
    """The Ising model of ``net`` (first ``b`` layers, a ``fraction`` of the weights shuffled)."""
    b = net.n_layers if b is None else int(b)
    model, digest = _variant(net, net.digest(), float(fraction), int(seed), b, bool(fields), _engine_token())
    first = b < net.n_layers
    if role is None:
        role = ("first_shuffled" if first else "shuffled") if fraction > 0 else ("first" if first else "trained")
    if label is None:
        base = f"first {b} layer{'s' if b > 1 else ''}" if first else ""
        shuf = f"shuffled f={fraction:g}" if fraction > 0 else ""
        label = ", ".join(x for x in (base, shuf) if x) or "trained"
    return System(label=label, role=role, model=model, digest=digest, network=net)


def network_systems(net: Network, *, fraction: float, seed: int, b: int, fields: bool) -> list[System]:
    """Trained, its shuffled twin, and (when b < L) the first b layers and their shuffled twin."""
    out = [network_system(net, fields=fields), network_system(net, fraction=fraction, seed=seed, fields=fields)]
    if b < net.n_layers:
        out += [network_system(net, b=b, fields=fields),
                network_system(net, fraction=fraction, seed=seed, b=b, fields=fields)]
    return out


def session_system(name: str, entry: dict) -> System:
    model = entry["model"]
    return System(label=name, role="session", model=model, digest=_digest_of(model), note=entry.get("note", ""),
                  marks=dict(entry.get("marks") or {}))


def _digest_of(model: IsingModel) -> str:
    # session spin systems are few and small; the digest is cheap but worth remembering per object
    memo = st.session_state.setdefault("spin:digests", {})
    key = id(model)
    if key not in memo or memo[key][0] is not model:
        memo[key] = (model, model_digest(model))
    return memo[key][1]


def spin_system_choice(key: str, label: str = "Spin system") -> tuple[str, dict | None]:
    """The selector "current network / <each session spin system>"; returns (name, entry or None)."""
    systems = state.spin_systems()
    options = [CURRENT] + list(systems)
    if len(options) == 1:
        return CURRENT, None
    name = params.selectbox(label, key=key, default=CURRENT, options=options,
                            help="The current network (sidebar), or a spin system made on another page of this "
                                 "session, e.g. a trained RBM from the Boltzmann page.")
    return name, (systems.get(name) if name != CURRENT else None)


def reference_temperatures(system: System) -> dict[float, str]:
    """Temperatures worth marking on this system's curves (given by the page that made it)."""
    return dict(system.marks)


# ====================================================================== cheap numbers

@dataclass
class GroundState:
    """Ground-state estimates of one system (total energies).

    e_quench: greedy zero-T descent from all +1 (the paper's convention); e_anneal: the best of
    simulated annealing (an upper bound on E_min); e_max: the highest energy, -min(E_min found)
    by symmetry for field-free bipartite models, else from annealing -E; exact_min / exact_max by
    enumeration when N <= EXACT_MAX_SPINS.
    """

    n_spins: int
    e_quench: float
    e_anneal: float
    e_max: float
    symmetric: bool
    seconds: float
    exact_min: float | None = None
    exact_max: float | None = None

    @property
    def e_min(self) -> float:
        return min(self.e_quench, self.e_anneal)

    @property
    def width(self) -> float:
        """W = E_max - E_min from the estimates (a lower bound on the true width)."""
        return self.e_max - self.e_min


def _negated(model: IsingModel) -> IsingModel:
    """The same spins with every coupling and field of opposite sign: its minimum is -E_max."""
    if model.is_layered:
        return IsingModel.from_layers([-w for w in model.layer_weights], fields=-model.fields, name=model.name)
    return IsingModel.from_couplings(-model.couplings(), -model.fields, name=model.name)


@st.cache_data(show_spinner=False, max_entries=1024)
def ground_state(_model: IsingModel, digest: str, seed: int) -> GroundState:
    t0 = time.perf_counter()
    q = quench(_model)
    a = anneal(_model, seed=seed)
    symmetric = symmetry_gauge(_model) is not None
    e_min = min(q.energy, a.best_energy)
    if symmetric:
        e_max = -e_min
    else:
        neg = _negated(_model)
        e_max = -min(quench(neg).energy, anneal(neg, seed=seed).best_energy)
    exact = exact_dos(_model, digest, None) if _model.n_spins <= EXACT_MAX_SPINS else None
    return GroundState(n_spins=_model.n_spins, e_quench=float(q.energy), e_anneal=float(a.best_energy),
                       e_max=float(e_max), symmetric=symmetric, seconds=time.perf_counter() - t0,
                       exact_min=None if exact is None else exact.e_min,
                       exact_max=None if exact is None else exact.e_max)


def ground_states(systems: list[System], seed: int) -> list[GroundState]:
    return [ground_state(s.model, s.digest, int(seed)) for s in systems]


def ground_state_rows(systems: list[System], states: list[GroundState]) -> pd.DataFrame:
    """One row per system: energies per spin (quench, anneal, exact), widths W/N."""
    rows = []
    for s, g in zip(systems, states):
        n = g.n_spins
        rows.append({
            "system": s.label, "role": s.role, "spins": n,
            "E_quench/N": g.e_quench / n, "E_anneal/N": g.e_anneal / n,
            "E_exact/N": None if g.exact_min is None else g.exact_min / n,
            "E_max/N": g.e_max / n, "W/N": g.width / n,
            "W_exact/N": None if g.exact_min is None else (g.exact_max - g.exact_min) / n,
            "g(E)=g(-E)": g.symmetric, "seconds": g.seconds,
        })
    return pd.DataFrame(rows)


@st.cache_data(show_spinner="Sweeping the shuffled fraction and the depth (annealing)…", max_entries=64)
def width_sweep(_net: Network, net_digest: str, fields: bool, seed: int) -> pd.DataFrame:
    """W/N (from the anneal ground state) against the shuffled fraction f and against depth b.

    Rows: sweep ("fraction" or "layers"), x (f or b), variant ("trained" / "shuffled"), shuffle
    seed, W/N, E_min/N. Fractions use SWEEP_SEEDS shuffle seeds (seed, seed+1, ...); depths use
    full shuffles (f = 1) with ``seed``.
    """
    rows = []
    for f in SWEEP_FRACTIONS:
        for k in range(SWEEP_SEEDS if f > 0 else 1):
            s = network_system(_net, fraction=f, seed=seed + k, fields=fields)
            g = ground_state(s.model, s.digest, seed + k)
            rows.append({"sweep": "fraction", "x": f, "variant": "shuffled" if f > 0 else "trained",
                         "seed": seed + k, "W/N": g.width / g.n_spins, "E_min/N": g.e_min / g.n_spins})
    for b in range(1, _net.n_layers + 1):
        for f, variant in ((0.0, "trained"), (1.0, "shuffled")):
            s = network_system(_net, fraction=f, seed=seed, b=b, fields=fields)
            g = ground_state(s.model, s.digest, seed)
            rows.append({"sweep": "layers", "x": b, "variant": variant, "seed": seed,
                         "W/N": g.width / g.n_spins, "E_min/N": g.e_min / g.n_spins})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=256)
def exact_dos(_model: IsingModel, digest: str, bin_width: float | None):
    """Exact g(E) by enumeration (N <= EXACT_MAX_SPINS), on the Wang-Landau binning rule or ``bin_width``."""
    return exact_density_of_states(_model, bin_width=bin_width)


@st.cache_data(show_spinner=False, max_entries=256)
def exact_thermo(_model: IsingModel, digest: str, temperatures: tuple):
    """Exact U, C, S, F over every state (no binning), N <= EXACT_MAX_SPINS."""
    return exact_thermodynamics(_model, np.asarray(temperatures))


# ====================================================================== Wang-Landau settings and store

@dataclass(frozen=True)
class WLSettings:
    """What determines a Wang-Landau result (and its cache key), plus the time budget."""

    log_f_final: float = 1e-6
    bin_factor: float = 1.0
    n_windows: int = 1
    seed: int = 0
    max_seconds: float = 15.0

    def key(self) -> tuple:
        return (self.log_f_final, self.bin_factor, self.n_windows, self.seed)

    def describe(self) -> str:
        bins = "default bins" if self.bin_factor == 1 else f"bins ×{self.bin_factor:g}"
        win = f", {self.n_windows} windows" if self.n_windows > 1 else ""
        return f"Wang-Landau to ln f = {self.log_f_final:.0e}, {bins}{win}, seed {self.seed}"


LOG_F_OPTIONS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
BUDGET_OPTIONS = (5, 10, 15, 30, 60, 120, 300, 600)
BIN_OPTIONS = (0.5, 0.75, 1.0, 1.5, 2.0)


def wl_controls(prefix: str, *, seed: int) -> WLSettings:
    """Wang-Landau controls (four columns) with the engine author's defaults."""
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        lnf = params.select_slider("Stop at ln f", key=f"{prefix}_lnf", default=1e-4 if TINY else 1e-6,
                                   options=LOG_F_OPTIONS, format_func=lambda v: f"{v:.0e}",
                                   help="Wang-Landau's modification factor ln f is refined (halved, then 1/t) "
                                        "until it reaches this value. Smaller = more accurate and slower: ~100 "
                                        "spins reach 1e-6 in about 15 s.")
    with c2:
        budget = params.select_slider("Time budget (s)", key=f"{prefix}_sec", default=5 if TINY else 15,
                                      options=BUDGET_OPTIONS,
                                      help="Per system. A run that hits it is kept but marked unconverged.")
    with c3:
        windows = params.segmented("Energy windows", key=f"{prefix}_win", default=1, options=(1, 2),
                                   help="2 = two overlapping windows walked in parallel (replica-exchange "
                                        "Wang-Landau) and joined where their slopes agree.")
    with c4:
        factor = params.select_slider("Bin width × default", key=f"{prefix}_bin", default=1.0, options=BIN_OPTIONS,
                                      help="The default bin is the rms single-flip energy change (about one bin "
                                           "per flip); exact levels for integer couplings.")
    return WLSettings(float(lnf), float(factor), int(windows), int(seed), float(budget))


@st.cache_data(show_spinner=False, max_entries=512)
def _default_bin_width(_model: IsingModel, digest: str) -> float:
    return default_bin_width(_model)


def bin_width(system: System, settings: WLSettings) -> float | None:
    """The bin width to pass to the engine (None = its default rule, exact levels kept)."""
    if settings.bin_factor == 1.0:
        return None
    return settings.bin_factor * _default_bin_width(system.model, system.digest)


_DOS = "ising:dos"
_DOS_INDEX = "ising:dos-index"
_STOPPED = "spin:dos_stopped"  # this session's stopped (partial) runs, never shared


def dos_key(digest: str, settings: WLSettings) -> tuple:
    return results.make_key(_DOS, digest, *settings.key())


def stored(key, cls):
    """``results.get(key)`` as an instance of the current ``cls`` (a dataclass).

    A development server re-imports the engine when a source file changes; results kept from
    before are then instances of the old class, which the engine's type checks refuse.
    """
    obj = results.get(key)
    if obj is None or isinstance(obj, cls):
        return obj
    return cls(**{f.name: getattr(obj, f.name) for f in dataclass_fields(cls)})


def _better(a, b):
    """The more trustworthy of two DOS estimates (converged first, then the smaller ln f)."""
    if a is None or b is None:
        return a if b is None else b
    if a.converged != b.converged:
        return a if a.converged else b
    return a if a.log_f <= b.log_f else b


def store_dos(digest: str, settings: WLSettings, dos) -> None:
    """Keep a finished run (never replacing a converged one by an unconverged one)."""
    key = dos_key(digest, settings)
    results.put(key, _better(results.get(key), dos))
    st.session_state.get(_STOPPED, {}).pop(key, None)
    index_key = results.make_key(_DOS_INDEX, digest)
    known = list(results.get(index_key) or [])
    if settings.key() not in known:
        results.put(index_key, known + [settings.key()])


def keep_stopped(digest: str, settings: WLSettings, dos) -> None:
    """A run interrupted by Stop: keep its partial DOS in this session, marked unconverged."""
    st.session_state.setdefault(_STOPPED, {})[dos_key(digest, settings)] = replace(dos, converged=False)


def find_dos(digest: str, settings: WLSettings, *, fallback: bool = False):
    """(dos, settings key it was computed with) for this model, or (None, None).

    The exact settings first (finished or stopped run); with ``fallback`` any other stored run
    of the same model (converged first, then the smallest ln f).
    """
    key = dos_key(digest, settings)
    found = _better(stored(key, DensityOfStates), st.session_state.get(_STOPPED, {}).get(key))
    if found is not None or not fallback:
        return found, (settings.key() if found is not None else None)
    best, best_key = None, None
    for k in results.get(results.make_key(_DOS_INDEX, digest)) or []:
        d = stored(results.make_key(_DOS, digest, *k), DensityOfStates)
        if d is not None and _better(best, d) is d:
            best, best_key = d, k
    return best, best_key


def settings_from_key(k: tuple, max_seconds: float = 15.0) -> WLSettings:
    return WLSettings(*k, max_seconds=max_seconds)


# ====================================================================== live runs

def run_live(key: str, label: str, fn, /, *args, job, draw=None, **kwargs):
    """``ui.progress.run_with_progress`` plus a live redraw: ``draw(p.data)`` on every report.

    ``job`` (anything) is remembered until the run returns, so that after a Stop click
    :func:`take_stopped` can say what the partial result belongs to. Use :func:`run_key` for
    ``key`` when one button starts several runs.
    """
    st.session_state[f"{key}:job"] = job

    def with_draw(*a, callback, **kw):
        def cb(p):
            stop = callback(p)
            if draw is not None and p.data is not None:
                draw(p.data)
            return stop
        return fn(*a, callback=cb, **kw)

    # run_with_progress clears its bar by emptying a container, which leaves the bar on screen;
    # a placeholder around it removes bar and Stop button once the run is over
    slot = st.empty()
    try:
        with slot.container():
            out = run_with_progress(key, label, with_draw, *args, **kwargs)
    finally:
        slot.empty()
    st.session_state.pop(f"{key}:job", None)
    st.session_state.pop(f"{key}:partial", None)
    return out


def run_key(prefix: str, i: int) -> str:
    """The progress key of the i-th run started from one button (each run has its own Stop button)."""
    return f"{prefix}#{i}"


def take_stopped(prefix: str) -> list:
    """[(job, partial result)] of runs under ``prefix`` that a Stop click interrupted. Call once per
    script run, before starting new runs."""
    out = []
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{prefix}#") and k.endswith(":job")]:
        key = k.removesuffix(":job")
        job = st.session_state.pop(k)
        part = st.session_state.pop(f"{key}:partial", None)
        if part is not None:
            out.append((job, part))
    return out


def chart_key(prefix: str) -> str:
    """A fresh element key for one live redraw (Streamlit refuses two charts with one key in a run)."""
    n = st.session_state.get("spin:live_counter", 0) + 1
    st.session_state["spin:live_counter"] = n
    return f"{prefix}_{n}"


# ====================================================================== diagnostics for figures

def symmetry_residual(dos) -> pd.DataFrame:
    """ln g(E) - ln g(-E) on the visited bins whose mirror bin is visited too (E, E/N, residual)."""
    v = dos.visited
    e, lg = dos.energies[v], dos.log_g[v]
    if e.size == 0:
        return pd.DataFrame({"E": [], "E/N": [], "residual": []})
    order = np.argsort(e)
    e, lg = e[order], lg[order]
    j = np.clip(np.searchsorted(e, -e), 0, e.size - 1)
    tol = 1e-6 * max(dos.bin_width, 1e-12)
    ok = np.abs(e[j] + e) <= tol
    return pd.DataFrame({"E": e[ok], "E/N": e[ok] / dos.n_spins, "residual": lg[ok] - lg[j[ok]]})


def log_g_difference(dos, reference) -> float | None:
    """max |ln g - ln g_ref| over the bins both visit, for two DOS on the same grid (else None).

    Both are normalised to Σ g = 2^N, so no constant needs fixing.
    """
    if reference.energies.size == 0 or not np.isclose(dos.bin_width, reference.bin_width):
        return None
    k = (dos.energies - reference.energies[0]) / dos.bin_width
    idx = np.rint(k).astype(np.int64)
    ok = (np.abs(k - idx) < 1e-6) & (idx >= 0) & (idx < reference.energies.size) & dos.visited
    ok[ok] &= reference.visited[idx[ok]]
    if not ok.any():
        return None
    return float(np.max(np.abs(dos.log_g[ok] - reference.log_g[idx[ok]])))


def unresolved_below(th, bin_width: float) -> float | None:
    """Highest temperature of the grid where the canonical energy spread T sqrt(C) is below one bin.

    There the binned g(E) cannot resolve the thermal fluctuations (every state of a bin sits at
    its centre), so C(T) and U(T) from the DOS are unreliable; None when no such temperature.
    """
    spread = np.asarray(th.T) * np.sqrt(np.clip(np.asarray(th.C, dtype=float), 0.0, None))
    low = np.flatnonzero(spread < bin_width)
    if low.size == 0:
        return None
    # the unresolved region is the low-T end: take the contiguous run from the first grid point
    run = low[low == np.arange(low.size)]
    return float(th.T[run[-1]]) if run.size else None
