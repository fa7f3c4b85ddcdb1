"""A network's thermodynamic fingerprint: "quality without data" (``python -m engine analyze``).

Stosic, Stosic & Stosic, "Ising models of deep neural networks", arXiv:2209.08678 (PHYSICS.md
section 1) map a trained network to an Ising model (every neuron a spin s = ±1, every weight a
coupling, ``E(s) = -Σ_l s_{l+1}ᵀ W_l s_l``) and report that, without looking at any data,

* the range of realisable energies ``W = E_max - E_min`` is wider for trained networks than for
  their shuffled twins (every weight swapped with a random weight anywhere in the network),
  and W correlates with task quality (Spearman ≈ -0.8 to -0.96 between W and task *error*);
* the specific heat ``C(T)`` peaks at a higher ``T_c`` for trained networks (9 of 11).

:func:`fingerprint` measures, for one network, every number those claims are about:

``E_min/N``
    by a greedy quench from all spins +1 (the paper's convention, ``e_min_quench_per_spin``) and
    by simulated annealing (:func:`engine.montecarlo.anneal`), the best of which, together with
    the lowest energy the Wang-Landau walk reached, is ``e_min_per_spin``, the best estimate.
``W/N``
    from a Wang-Landau density of states (:func:`engine.wang_landau.wang_landau`): the energy
    range the walk realised (``w_per_spin``), with the walk's convergence (ln f reached,
    ``converged``, the symmetry error max |ln g(E) - ln g(-E)|). For a field-free layered
    (bipartite) model ``g(E) = g(-E)`` exactly -- flipping every spin of the odd layers maps E
    to -E -- so ``E_max = -E_min`` and **W = 2|E_min|: the width is the ground-state energy
    twice**. ``w_ground_per_spin`` is ``E_max - E_min`` from the ground-state searches alone
    (``2|E_min|`` without fields) and ``w_edge_bins`` says how far, in bins, the outermost bins
    the walk visited lie from ``E_min`` and ``E_max``: ≤ 0.5 means the DOS spans exactly
    ``[E_min, E_max]``, a consistency test of the walk and the ground-state search together.
``T_c``, ``C_max/N``
    the peak of ``C(T) = Var(E)/T²`` (a) from the Wang-Landau g(E) (symmetrised when g(E) = g(-E)
    holds exactly, which halves its noise; :func:`engine.thermo.specific_heat_peak`) and (b) from
    parallel tempering (:func:`engine.montecarlo.parallel_tempering`) with error bars: the PT
    C(T) comes with binning/jackknife errors, and :func:`resampled_peak` redraws every C(T_k)
    within its error, relocates the peak each time, and takes the spread as the error of T_c and
    C_max. Both on one range ``T = [0.2, 5] × typical field`` (the rms local field,
    :func:`engine.montecarlo.typical_field`, which a shuffled twin shares with its network:
    same weights, so the same range).
``T_c (paper's convention)``
    argmax of the normalised ``C = Var(x)/T²``, ``x = (E - E_min)/W_ref``, weights
    ``exp(ln g(E)/N - x/T)`` on T in (0, 1] (:func:`engine.thermo.normalised_specific_heat`);
    ``W_ref`` is the model's own W unless ``reference_width`` is given (a shuffled twin is put
    on its trained network's scale, as the paper does).
spectral α
    the WeightWatcher-style baseline (:mod:`engine.spectral`; Martin & Mahoney 2021): the
    power-law exponent of each layer's eigenvalue spectrum, its mean over layers and over the
    *reliable* layers (≥ 50 eigenvalues). Layers with fewer than 6 eigenvalues cannot be fitted.

:func:`zoo_rows` adds, for a zoo model, its fully shuffled twin (f = 1, seed :data:`TWIN_SEED`)
and W for the first b layers (b = 1..L) of the network and of the twin, from the ground state
(W = 2|E_min| as above; b = L uses the same numbers as the full fingerprint).
:func:`compute_zoo` writes every zoo model's rows to ``sample_models/zoo_physics.csv``
(resumable: models whose rows carry the same :data:`CODE_VERSION` and settings are skipped).
:func:`quality_table` joins trained and shuffled rows per model; :func:`rank_correlations`
gives Spearman ρ and its p-value of each indicator against test accuracy.

Budgets (the defaults; :data:`ZOO_SETTINGS`): ln f down to 1e-6 with the 1/t rule (the
walk's wall-time cap, 1800 s for the zoo, is only a safety net so that the numbers do not
depend on the machine's load); parallel tempering 2 chains × 32 temperatures × 8000 measured
sweeps (+2000 burn-in); annealing 16 replicas × 4000 sweeps; T_c errors from 400 resamples.
Measured for the shipped table (one thread, shared 2-core machine): a 106-spin fingerprint takes
3-6 s of CPU, a 330-spin one 18-57 s; the whole zoo (102 fingerprints + 162 sub-network ground
states) 10 minutes of CPU and of wall time (fingerprint-1, before the faster kernels: 11 minutes
of CPU, 35 of wall time under load).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import EngineError, expected
from .ising import IsingModel
from .montecarlo import anneal, parallel_tempering, quench, typical_field
from .network import Network
from .progress import Progress, report
from .random import as_generator
from .spectral import network_alpha
from .thermo import normalised_specific_heat, specific_heat_peak, thermodynamics
from .validation import integer, real
from .wang_landau import wang_landau
from .zoo import ZOO_DIR, list_zoo

#: Bump when a change alters the numbers; ``--zoo`` then recomputes rows of older versions. 2: Exp(1)
#: variates in Wang-Landau and Metropolis; 3: Wang-Landau applies field updates at the end of each layer
#: run; 4: field updates summed four rows at a time and a fixed-point grid position in Wang-Landau
#: (all: the same law, other numbers for the same seed).
CODE_VERSION = "fingerprint-4"
#: The precomputed zoo table the Quality page opens with.
ZOO_CSV = ZOO_DIR / "zoo_physics.csv"
#: Seed of the full shuffle that makes each zoo model's twin.
TWIN_SEED = 0
#: Temperature range of C(T), in units of the typical local field.
T_RANGE = (0.2, 5.0)
#: Budgets of the zoo run and of the CLI. The Wang-Landau time cap is only a safety net: on one idle
#: core no zoo model needs more than ~40 s to reach ln f = 1e-6, so the table does not depend on the
#: machine's load (a wall-time cap that bites under load would make it depend).
ZOO_SETTINGS = dict(seed=0, wl_seconds=1800.0, log_f_final=1e-6, fields=False)
#: Default budgets of the other stages (:func:`fingerprint`).
PT_SWEEPS, N_TEMPERATURES, PT_REPLICAS = 8000, 32, 2
ANNEAL_SWEEPS, ANNEAL_REPLICAS = 4000, 16
N_RESAMPLES = 400
#: Points of the fine temperature grid on which the WL C(T) is evaluated.
N_FINE_T = 241
#: Stage weights of the progress reported to a callback (ground state, Wang-Landau, tempering).
_STAGES = {"ground state": (0.0, 0.05), "Wang-Landau": (0.05, 0.85), "parallel tempering": (0.85, 1.0)}


# ====================================================================================== results

@dataclass
class PeakEstimate:
    """The maximum of a C(T) curve with errors from resampling C within its error bars.

    temperature (T_c) and c_max from the curve itself (:func:`engine.thermo.specific_heat_peak`);
    temperature_err, c_max_err the standard deviations over the resampled curves; at_edge when
    the central peak sits at an end of the grid; edge_fraction the share of resampled peaks
    that did.
    """

    temperature: float
    temperature_err: float
    c_max: float
    c_max_err: float
    at_edge: bool
    edge_fraction: float


@dataclass
class Fingerprint:
    """A network's thermodynamic fingerprint (module docstring); energies and C per spin.

    Temperatures are in the units of the couplings (k_B = 1). NaN marks what was not computed
    (e.g. parallel tempering after a stop, a spectral α of layers too small to fit).
    """

    model: str
    n_spins: int
    widths: list
    fields: bool
    symmetric: bool
    # ground state
    e_min_quench_per_spin: float
    e_min_anneal_per_spin: float
    e_min_per_spin: float
    e_max_per_spin: float
    # width of the density of states
    w_per_spin: float
    w_ground_per_spin: float
    w_edge_bins: float
    wl_log_f: float
    wl_converged: bool
    wl_symmetry_error: float
    wl_n_bins: int
    wl_bin_width: float
    wl_steps: int
    wl_seconds: float
    # specific heat
    typical_field: float
    t_min: float
    t_max: float
    t_c_wl: float
    c_max_wl_per_spin: float
    t_c_wl_at_edge: bool
    t_c_pt: float
    t_c_pt_err: float
    c_max_pt_per_spin: float
    c_max_pt_err_per_spin: float
    t_c_pt_at_edge: bool
    pt_sweeps: int
    pt_swap_min: float
    pt_tau_max: float
    t_c_paper: float
    paper_width_per_spin: float
    # spectral baseline
    alpha_mean: float
    alpha_mean_reliable: float
    alpha_weighted: float
    n_alpha_layers: int
    n_reliable_layers: int
    alpha_layers: list = field(default_factory=list)
    alpha_layer_eigenvalues: list = field(default_factory=list)
    # provenance
    seed: int | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped: bool = False
    code_version: str = CODE_VERSION

    def as_dict(self) -> dict:
        """A JSON-safe dict (NaN and inf become None; numpy scalars become Python numbers)."""
        return {k: _json_safe(v) for k, v in asdict(self).items()}


def _json_safe(v):
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


# ====================================================================================== pieces

def resampled_peak(temperatures, c, c_err, *, n_resamples: int = 400, seed=None) -> PeakEstimate:
    """Peak of ``C(T)`` (n_T,) and its errors from ``c_err`` (n_T,) by parametric resampling.

    Each resample draws ``C*_k = C_k + c_err_k z_k`` (z standard normal, independent per
    temperature: the tempering errors are per-temperature binning errors) and relocates the
    peak with :func:`engine.thermo.specific_heat_peak` (argmax refined by a parabola); the
    standard deviations of the relocated T_c and C_max are the errors. Missing errors (NaN)
    count as zero, and the errors are then NaN.
    """
    T = np.asarray(temperatures, dtype=np.float64)
    C = np.asarray(c, dtype=np.float64)
    E = np.asarray(c_err, dtype=np.float64)
    if T.ndim != 1 or T.size < 1 or C.shape != T.shape or E.shape != T.shape:
        raise expected("temperatures, c, c_err", "three 1-d arrays of one length", (T.shape, C.shape, E.shape))
    n_resamples = integer("n_resamples", n_resamples, low=2)
    if not np.any(np.isfinite(C)):
        return PeakEstimate(math.nan, math.nan, math.nan, math.nan, False, math.nan)
    centre = specific_heat_peak(_Curve(T, C))
    if not np.all(np.isfinite(E)):
        return PeakEstimate(centre.temperature, math.nan, centre.c_max, math.nan, centre.at_edge, math.nan)
    rng = as_generator(seed)
    draws = C + E * rng.standard_normal((n_resamples, T.size))
    peaks = [specific_heat_peak(_Curve(T, d)) for d in draws]
    tc = np.array([p.temperature for p in peaks])
    cm = np.array([p.c_max for p in peaks])
    return PeakEstimate(centre.temperature, float(tc.std(ddof=1)), centre.c_max, float(cm.std(ddof=1)),
                        centre.at_edge, float(np.mean([p.at_edge for p in peaks])))


@dataclass
class _Curve:
    T: np.ndarray
    C: np.ndarray


def negated(model: IsingModel) -> IsingModel:
    """The model with every coupling and field negated: its ground state is the original's E_max."""
    if model.is_layered:
        return IsingModel.from_layers([-w for w in model.layer_weights], fields=-model.fields,
                                      name=f"-({model.name})")
    return IsingModel.from_couplings(-model.couplings(), -model.fields, name=f"-({model.name})")


@dataclass
class GroundState:
    """Ground-state search of one model (total energies): quench from all +1, anneal, and the top."""

    e_quench: float
    e_anneal: float
    e_min: float
    e_max: float
    symmetric: bool


def ground_state(model: IsingModel, *, seed=None, anneal_sweeps: int = ANNEAL_SWEEPS,
                 anneal_replicas: int = ANNEAL_REPLICAS,
                 callback=None) -> GroundState:
    """E_min by a greedy quench from all +1 (the paper) and by annealing; E_max likewise.

    Without fields the layered graph is bipartite, so ``E_max = -E_min`` exactly; otherwise
    E_max is the negated model's ground-state estimate.
    """
    rng = as_generator(seed)
    e_quench = float(quench(model).energy)
    e_anneal = anneal(model, n_sweeps=anneal_sweeps, n_replicas=anneal_replicas, seed=rng,
                      callback=callback).best_energy
    e_min = min(e_quench, e_anneal)
    symmetric = model.is_layered and not model.has_fields
    if symmetric:
        e_max = -e_min
    else:
        neg = negated(model)
        e_max = -min(float(quench(neg).energy),
                     anneal(neg, n_sweeps=anneal_sweeps, n_replicas=anneal_replicas, seed=rng).best_energy)
    return GroundState(e_quench, e_anneal, e_min, e_max, symmetric)


def spectral_alpha(net: Network) -> dict:
    """WeightWatcher-style α per layer and its means (:func:`engine.spectral.network_alpha`)."""
    return network_alpha(net)


class _StagedCallback:
    """Maps each stage's own progress onto one 0..100 bar; remembers a stop request."""

    def __init__(self, callback, wl_seconds):
        self.callback, self.wl_seconds, self.stop = callback, wl_seconds, False

    def stage(self, name):
        lo, hi = _STAGES[name]
        started = time.perf_counter()

        def cb(p: Progress):
            frac = p.fraction
            if name == "Wang-Landau" and self.wl_seconds:  # a time cap can end the walk before ln f does
                frac = max(frac, min(1.0, (time.perf_counter() - started) / self.wl_seconds))
            msg = p.message if p.message.lower().startswith(name.lower()) else f"{name}: {p.message}"
            self.stop = report(self.callback, 100 * (lo + (hi - lo) * frac), 100, msg) or self.stop
            return self.stop

        return cb if self.callback is not None else None


# ====================================================================================== fingerprint

def fingerprint(net, *, seed=0, wl_seconds=120.0, log_f_final=1e-6, fields=False, callback=None,
                reference_width=None, pt_sweeps: int = PT_SWEEPS, n_temperatures: int = N_TEMPERATURES,
                pt_replicas: int = PT_REPLICAS, anneal_sweeps: int = ANNEAL_SWEEPS,
                anneal_replicas: int = ANNEAL_REPLICAS, n_resamples: int = N_RESAMPLES) -> Fingerprint:
    """The thermodynamic fingerprint of ``net`` (an :class:`engine.network.Network`; module docstring).

    Parameters
    ----------
    net : the network; its Ising model has spins on all neurons, couplings = weights.
    seed : int >= 0 or None; every stage draws from its own stream spawned from it.
    wl_seconds : wall-time cap of the Wang-Landau walk (> 0); ``wl_converged`` says if ln f got there.
        Under load a cap that bites makes the numbers depend on the machine; the zoo uses 1800 s.
    log_f_final : the walk's final ln f (0 < log_f_final < 1).
    fields : biases as fields on the neurons they feed (the paper has none).
    callback : gets :class:`engine.progress.Progress` (0..100 over the three stages); returning True
        stops: the current stage returns what it has, later stages are skipped (NaN), ``stopped=True``.
    reference_width : W_ref (total energy) of the paper's normalised C(T) (default: the model's own W).
    pt_sweeps, n_temperatures, pt_replicas : measured sweeps (+25 % burn-in), ladder size and chains of
        the parallel tempering run, on ``T = [0.2, 5] × typical field``, geometric.
    anneal_sweeps, anneal_replicas : the annealing ground-state search.
    n_resamples : resampled C(T) curves for the T_c and C_max errors.
    """
    if not isinstance(net, Network):
        raise expected("net", "an engine.network.Network", type(net).__name__)
    if seed is not None and not isinstance(seed, np.random.Generator):
        seed = integer("seed", seed, low=0)
    wl_seconds = real("wl_seconds", wl_seconds, low=0.0, low_open=True)
    log_f_final = real("log_f_final", log_f_final, low=0.0, high=1.0, low_open=True, high_open=True)
    if not isinstance(fields, (bool, np.bool_)):
        raise expected("fields", "True or False", fields)
    if reference_width is not None:
        reference_width = real("reference_width", reference_width, low=0.0, low_open=True)
    pt_sweeps = integer("pt_sweeps", pt_sweeps, low=10)
    n_temperatures = integer("n_temperatures", n_temperatures, low=3)
    pt_replicas = integer("pt_replicas", pt_replicas, low=1)
    if callback is not None and not callable(callback):
        raise expected("callback", "None or a callable", type(callback).__name__)
    t0, cpu0 = time.perf_counter(), time.process_time()
    g_ground, g_wl, g_pt, g_peak = as_generator(seed).spawn(4)
    model = IsingModel.from_network(net, fields=bool(fields))
    N = model.n_spins
    staged = _StagedCallback(callback, wl_seconds)

    gs = ground_state(model, seed=g_ground, anneal_sweeps=anneal_sweeps, anneal_replicas=anneal_replicas,
                      callback=staged.stage("ground state"))

    dos = wang_landau(model, log_f_final=log_f_final, max_seconds=wl_seconds, seed=g_wl,
                      callback=None if staged.stop else staged.stage("Wang-Landau"),
                      max_steps=1 if staged.stop else None)
    e_min = min(gs.e_min, dos.e_min)
    e_max = -e_min if gs.symmetric else max(gs.e_max, dos.e_max)
    visited = dos.energies[dos.visited]
    edge = max(abs(visited[0] - e_min), abs(visited[-1] - e_max)) / dos.bin_width

    tf = typical_field(model) or 1.0
    t_min, t_max = T_RANGE[0] * tf, T_RANGE[1] * tf
    fine = np.geomspace(t_min, t_max, N_FINE_T)
    thermo_dos = dos.symmetrised() if dos.symmetric else dos
    wl_peak = specific_heat_peak(thermodynamics(thermo_dos, fine))
    paper_w = reference_width if reference_width is not None else dos.width
    paper_peak = (specific_heat_peak(normalised_specific_heat(thermo_dos, np.linspace(0.005, 1.0, 200),
                                                              width=paper_w))
                  if paper_w > 0 else None)

    if staged.stop:
        pt = None
    else:
        ladder = np.geomspace(t_min, t_max, n_temperatures)
        pt = parallel_tempering(model, ladder, pt_sweeps, n_replicas=pt_replicas, seed=g_pt, n_threads=1,
                                callback=staged.stage("parallel tempering"))
    if pt is not None and pt.n_sweeps > 0:
        peak = resampled_peak(pt.T, pt.C, pt.C_err, n_resamples=n_resamples, seed=g_peak)
        swap_min = float(np.nanmin(pt.swap_acceptance)) if pt.swap_acceptance.size else math.nan
        tau_max = float(np.nanmax(pt.tau_int))
        measured = pt.n_sweeps
    else:
        peak = PeakEstimate(math.nan, math.nan, math.nan, math.nan, False, math.nan)
        swap_min = tau_max = math.nan
        measured = 0
    spec = spectral_alpha(net)
    return Fingerprint(
        model=net.name, n_spins=N, widths=list(net.widths), fields=bool(fields), symmetric=gs.symmetric,
        e_min_quench_per_spin=gs.e_quench / N, e_min_anneal_per_spin=gs.e_anneal / N, e_min_per_spin=e_min / N,
        e_max_per_spin=e_max / N, w_per_spin=dos.width / N, w_ground_per_spin=(e_max - e_min) / N,
        w_edge_bins=float(edge), wl_log_f=float(dos.log_f), wl_converged=bool(dos.converged),
        wl_symmetry_error=dos.symmetry_error() if dos.symmetric else math.nan, wl_n_bins=dos.n_bins,
        wl_bin_width=float(dos.bin_width), wl_steps=int(dos.n_steps), wl_seconds=float(dos.seconds),
        typical_field=float(tf), t_min=float(t_min), t_max=float(t_max),
        t_c_wl=wl_peak.temperature, c_max_wl_per_spin=wl_peak.c_max / N, t_c_wl_at_edge=wl_peak.at_edge,
        t_c_pt=peak.temperature, t_c_pt_err=peak.temperature_err, c_max_pt_per_spin=peak.c_max / N,
        c_max_pt_err_per_spin=peak.c_max_err / N, t_c_pt_at_edge=peak.at_edge, pt_sweeps=int(measured),
        pt_swap_min=swap_min, pt_tau_max=tau_max,
        t_c_paper=paper_peak.temperature if paper_peak else math.nan, paper_width_per_spin=paper_w / N,
        **spec, seed=seed if isinstance(seed, int) else None, seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - cpu0, stopped=bool(staged.stop))


# ====================================================================================== the zoo

#: Settings recorded in every row; ``--zoo`` skips a model only if they and the version match.
SETTING_COLUMNS = ("fp_seed", "wl_seconds_cap", "log_f_final", "fields", "code_version")


def card_info(card: dict) -> dict:
    """The card fields a zoo row carries (architecture as ``64-32-10``, hidden activation)."""
    acts = card.get("activations") or ["?"]
    widths = card.get("widths") or []
    return {
        "dataset": card.get("dataset", "?"),
        "architecture": "-".join(map(str, widths)),
        "activation": "/".join(sorted(set(acts[:-1] or acts))),
        "stage": card.get("stage", ""),
        "train_seed": card.get("seed"),
        "epochs": card.get("epochs"),
        "test_accuracy": card.get("test_accuracy"),
        "train_accuracy": card.get("train_accuracy"),
        "n_layers": max(len(widths) - 1, 0),
    }


def fingerprint_row(fp, *, variant: str, info: dict, layers_included=None, settings: dict | None = None) -> dict:
    """One row of the zoo table from a :class:`Fingerprint` (or its ``as_dict()``) or a :class:`GroundState`.

    ``variant``: "trained" or "shuffled"; ``info``: :func:`card_info` of the model (the row is
    filed under the model's name); ``layers_included`` defaults to all layers. Lists become
    ``;``-joined strings (CSV cells). A GroundState (a sub-network's ground-state search;
    ``info`` must then hold its ``n_spins``) fills only the ground-state columns.
    """
    if variant not in ("trained", "shuffled"):
        raise expected("variant", "'trained' or 'shuffled'", variant)
    row = {"model": info.get("name"), "variant": variant,
           "layers_included": info.get("n_layers") if layers_included is None else int(layers_included),
           **{k: v for k, v in info.items() if k != "name"}}
    if isinstance(fp, GroundState):
        n = int(info["n_spins"])
        row.update(n_spins=n, symmetric=fp.symmetric, e_min_quench_per_spin=fp.e_quench / n,
                   e_min_anneal_per_spin=fp.e_anneal / n, e_min_per_spin=fp.e_min / n,
                   e_max_per_spin=fp.e_max / n, w_ground_per_spin=(fp.e_max - fp.e_min) / n)
    else:
        d = dict(fp.as_dict() if isinstance(fp, Fingerprint) else fp)
        d.pop("model", None)
        for key in ("widths", "alpha_layers", "alpha_layer_eigenvalues"):
            if isinstance(d.get(key), (list, tuple)):
                d[key] = ";".join("" if x is None else f"{x:.6g}" for x in d[key])
        row.update(d)
    row.update(settings or {})
    return row


def zoo_rows(net, card: dict | None = None, *, seed=0, wl_seconds=1800.0, log_f_final=1e-6, fields=False,
             callback=None, **fingerprint_kwargs) -> list[dict]:
    """Every table row of one model: its fingerprint, its shuffled twin's, and W for the first b layers.

    Rows: ``variant`` "trained" (the network as it is, whatever its training stage) or
    "shuffled" (all weights shuffled, f = 1, seed :data:`TWIN_SEED`); ``layers_included`` b = L
    for the full fingerprints, b = 1..L-1 for sub-networks (ground state only: E_min, and
    ``w_ground_per_spin`` = 2|E_min|/N without fields). The twin's paper-convention T_c uses
    the trained network's W. Sub-network twins shuffle the sub-network's own weights.
    """
    if not isinstance(net, Network):
        raise expected("net", "an engine.network.Network", type(net).__name__)
    info = card_info(card if card is not None else json.loads(net.card_json()))
    info["name"] = net.name
    settings = {"fp_seed": seed, "wl_seconds_cap": float(wl_seconds), "log_f_final": float(log_f_final),
                "fields": bool(fields), "code_version": CODE_VERSION}
    kw = dict(seed=seed, wl_seconds=wl_seconds, log_f_final=log_f_final, fields=fields, **fingerprint_kwargs)
    twin = net.shuffled(1.0, seed=TWIN_SEED)
    fp = fingerprint(net, callback=callback, **kw)
    fp_twin = fingerprint(twin, reference_width=fp.w_per_spin * fp.n_spins, callback=callback, **kw)
    L = net.n_layers
    rows = [fingerprint_row(fp, variant="trained", info=info, settings=settings),
            fingerprint_row(fp_twin, variant="shuffled", info=info, settings=settings)]
    for b in range(1, L):
        sub = net.first_layers(b)
        for variant, which in (("trained", sub), ("shuffled", sub.shuffled(1.0, seed=TWIN_SEED))):
            model = IsingModel.from_network(which, fields=bool(fields))
            gs = ground_state(model, seed=seed, anneal_sweeps=fingerprint_kwargs.get("anneal_sweeps", ANNEAL_SWEEPS),
                              anneal_replicas=fingerprint_kwargs.get("anneal_replicas", ANNEAL_REPLICAS))
            rows.append(fingerprint_row(gs, variant=variant, layers_included=b,
                                        info={**info, "n_spins": model.n_spins}, settings=settings))
    return rows


def layer_widths(net, *, seed=0, fields=False, anneal_sweeps: int = ANNEAL_SWEEPS,
                 anneal_replicas: int = ANNEAL_REPLICAS) -> list[dict]:
    """W/N and E_min/N of the first b layers (b = 1..L), trained and shuffled, from the ground state.

    The quick version of the sub-network rows of :func:`zoo_rows` for a model outside the zoo
    (b = L included, also from the ground state). Rows: variant, layers_included, n_spins,
    e_min_per_spin, w_ground_per_spin.
    """
    if not isinstance(net, Network):
        raise expected("net", "an engine.network.Network", type(net).__name__)
    out = []
    for b in range(1, net.n_layers + 1):
        sub = net.first_layers(b)
        for variant, which in (("trained", sub), ("shuffled", sub.shuffled(1.0, seed=TWIN_SEED))):
            model = IsingModel.from_network(which, fields=bool(fields))
            gs = ground_state(model, seed=seed, anneal_sweeps=anneal_sweeps, anneal_replicas=anneal_replicas)
            out.append({"variant": variant, "layers_included": b, "n_spins": model.n_spins,
                        "e_min_per_spin": gs.e_min / model.n_spins,
                        "w_ground_per_spin": (gs.e_max - gs.e_min) / model.n_spins})
    return out


def load_zoo_table(path=ZOO_CSV):
    """The zoo table (pandas DataFrame) written by :func:`compute_zoo`; ``#`` lines are comments."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise expected("zoo table", f"an existing file (python -m engine analyze --zoo writes {path.name})", str(path))
    try:
        return pd.read_csv(path, comment="#")
    except ValueError as e:
        raise EngineError(f"{path.name}: not a readable zoo table ({e})") from e


def _done_models(df, settings: dict) -> set:
    """Models whose trained and shuffled full rows exist with these settings and this code version."""
    import pandas as pd

    if df is None or df.empty or not set(SETTING_COLUMNS) <= set(df.columns):
        return set()
    ok = np.ones(len(df), dtype=bool)
    for key in SETTING_COLUMNS:
        col = df[key]
        want = settings[key]
        if isinstance(want, (int, float)) and not isinstance(want, bool):  # relative: ln f spans decades
            ok &= np.isclose(pd.to_numeric(col, errors="coerce"), float(want), rtol=1e-9, atol=0.0)
        else:
            ok &= col.astype(str) == str(want)
    full = df[ok & (df["layers_included"] == df["n_layers"])]
    counts = full.groupby("model")["variant"].nunique()
    return set(counts[counts >= 2].index)


def _write_table(path: Path, df, header: list[str]):
    """Atomic write (temporary file, then rename): a killed run never leaves a half-written table."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as fh:
        for line in header:
            fh.write(f"# {line}\n")
        df.to_csv(fh, index=False)
    os.replace(tmp, path)


def compute_zoo(out=ZOO_CSV, *, folder=ZOO_DIR, only=None, seed=0, wl_seconds=1800.0, log_f_final=1e-6,
                fields=False, progress=True, command="python -m engine analyze --zoo", **fingerprint_kwargs):
    """Compute :func:`zoo_rows` for every zoo model not yet in ``out`` and write the table after each.

    Resumable: a model whose full trained and shuffled rows carry the same settings
    (:data:`SETTING_COLUMNS`, including :data:`CODE_VERSION`) is skipped; rows of a model being
    recomputed replace its old ones. ``only``: a substring of the model names to compute.
    Returns the table (pandas DataFrame).
    """
    import pandas as pd

    out = Path(out)
    cards = [c for c in list_zoo(folder) if only is None or only in c["name"]]
    if not cards:
        raise expected("only", "a substring of at least one zoo model name", only)
    settings = {"fp_seed": seed, "wl_seconds_cap": float(wl_seconds), "log_f_final": float(log_f_final),
                "fields": bool(fields), "code_version": CODE_VERSION}
    df = load_zoo_table(out) if out.exists() else pd.DataFrame()
    done = _done_models(df, settings)
    todo = [c for c in cards if c["name"] not in done]
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="model", desc="zoo fingerprints", file=sys.stderr)
    for card in todo:
        if bar is not None:
            bar.set_postfix_str(card["name"])
        net = Network.load(card["path"])
        rows = pd.DataFrame(zoo_rows(net, card, seed=seed, wl_seconds=wl_seconds, log_f_final=log_f_final,
                                     fields=fields, **fingerprint_kwargs))
        keep = df[df["model"] != card["name"]] if not df.empty else df
        df = pd.concat([keep, rows], ignore_index=True) if not keep.empty else rows
        df = df.sort_values(["model", "variant", "layers_included"], kind="stable").reset_index(drop=True)
        _write_table(out, df, _header(df, command, seed, wl_seconds, log_f_final, fields, fingerprint_kwargs))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if not todo and progress:
        print(f"all {len(cards)} models already in {out} (code version {CODE_VERSION}); nothing to do",
              file=sys.stderr)
    elif progress:
        print(f"computed {len(todo)} models in {time.perf_counter() - started:.0f} s -> {out}", file=sys.stderr)
    return df


def _header(df, command, seed, wl_seconds, log_f_final, fields, kw) -> list[str]:
    full = df[df["layers_included"] == df["n_layers"]]
    g = lambda k, d: kw.get(k, d)  # noqa: E731
    cpu = full["cpu_seconds"].sum() if "cpu_seconds" in full.columns else float("nan")
    return [
        "Thermodynamic fingerprints of the model zoo (engine/fingerprint.py; read with pandas.read_csv(comment='#')).",
        f"Written by: {command}   (code version {CODE_VERSION})",
        f"Budgets: seed {seed}; Wang-Landau ln f -> {log_f_final:g} (1/t rule), safety cap {wl_seconds:g} s per "
        f"walk; parallel tempering {g('pt_replicas', PT_REPLICAS)} chains x {g('n_temperatures', N_TEMPERATURES)} "
        f"temperatures x {g('pt_sweeps', PT_SWEEPS)} sweeps (+25% burn-in) on T = [{T_RANGE[0]:g}, {T_RANGE[1]:g}] x "
        f"typical field; anneal {g('anneal_replicas', ANNEAL_REPLICAS)} replicas x {g('anneal_sweeps', ANNEAL_SWEEPS)} "
        f"sweeps; T_c errors from {g('n_resamples', N_RESAMPLES)} resamples; one thread; fields={bool(fields)}.",
        f"Compute: {cpu:.0f} s of CPU ({full['seconds'].sum():.0f} s wall, shared machine) for "
        f"{full['model'].nunique()} models and their twins; sub-network rows add well under a second each.",
        "Rows: variant trained|shuffled (full shuffle f=1, seed 0), layers_included b (b = n_layers: full "
        "fingerprint; b < n_layers: first b layers, ground state only). Energies and C per spin; T in coupling units.",
    ]


# ====================================================================================== analysis

#: Indicators of the quality table: column -> label (with units).
INDICATORS = {
    "e_min_per_spin": "ground-state energy E_min/N",
    "w_per_spin": "energy width W/N",
    "t_c_pt": "critical temperature T_c (PT)",
    "c_max_pt_per_spin": "specific-heat peak C_max/N (PT)",
    "t_c_paper": "T_c, paper's normalised C(T)",
    "d_e_min_per_spin": "ΔE_min/N (network − shuffled twin)",
    "d_w_per_spin": "ΔW/N (network − shuffled twin)",
    "w_ratio": "W_network / W_shuffled",
    "d_t_c_pt": "ΔT_c (network − shuffled twin, PT)",
    "d_c_max_pt_per_spin": "ΔC_max/N (network − shuffled twin, PT)",
    "alpha_mean": "spectral α (mean over layers)",
    "alpha_mean_reliable": "spectral α (reliable layers only)",
    "typical_field": "weight scale: rms local field (trivial baseline)",
    "w_scaled": "W/N ÷ weight scale",
}


def quality_table(df):
    """One row per model: the trained fingerprint, the twin's, and trained − shuffled differences.

    From the zoo table (:func:`load_zoo_table`), full networks only (b = L). Twin columns get
    the suffix ``_shuffled``; differences are ``d_<column>``; ``w_ratio`` = W_trained/W_shuffled;
    ``w_scaled`` = (W/N) / typical field, W in units of the weight scale; ``d_t_c_pt_err``
    combines both T_c errors in quadrature.
    """
    import pandas as pd

    need = {"model", "variant", "layers_included", "n_layers"}
    if not need <= set(df.columns):
        raise expected("zoo table", f"columns {sorted(need)}", sorted(df.columns)[:8])
    full = df[df["layers_included"] == df["n_layers"]].copy()
    for c in full.columns:  # JSON rows carry None for NaN; keep numbers numeric
        if full[c].dtype == object and c not in ("model", "variant", "dataset", "architecture", "activation",
                                                  "stage", "widths", "alpha_layers", "alpha_layer_eigenvalues",
                                                  "code_version"):
            converted = pd.to_numeric(full[c], errors="coerce")
            if converted.notna().sum() >= full[c].notna().sum():
                full[c] = converted
    trained = full[full["variant"] == "trained"].set_index("model")
    twin = full[full["variant"] == "shuffled"].set_index("model")
    numeric = [c for c in ("e_min_per_spin", "e_min_quench_per_spin", "w_per_spin", "w_ground_per_spin", "t_c_wl",
                           "t_c_pt", "t_c_pt_err", "c_max_wl_per_spin", "c_max_pt_per_spin", "c_max_pt_err_per_spin",
                           "t_c_paper", "alpha_mean", "alpha_mean_reliable") if c in full.columns]
    out = trained.join(twin[numeric].add_suffix("_shuffled"), how="left")
    for c in ("e_min_per_spin", "e_min_quench_per_spin", "w_per_spin", "t_c_wl", "t_c_pt", "c_max_wl_per_spin",
              "c_max_pt_per_spin", "t_c_paper"):
        if c in numeric:
            out[f"d_{c}"] = out[c] - out[f"{c}_shuffled"]
    if "w_per_spin" in numeric:
        out["w_ratio"] = out["w_per_spin"] / out["w_per_spin_shuffled"]
    if "w_per_spin" in numeric and "typical_field" in out.columns:
        # the rms local field sqrt(mean_i Σ_j J_ij²) grows with the weights during training: W in its
        # units asks whether W says more than the weights' size (a shuffled twin has the same scale)
        out["w_scaled"] = out["w_per_spin"] / pd.to_numeric(out["typical_field"], errors="coerce")
    if "t_c_pt_err" in numeric:
        out["d_t_c_pt_err"] = np.hypot(out["t_c_pt_err"], out["t_c_pt_err_shuffled"])
    if "c_max_pt_err_per_spin" in numeric:
        out["d_c_max_pt_err_per_spin"] = np.hypot(out["c_max_pt_err_per_spin"], out["c_max_pt_err_per_spin_shuffled"])
    out["group"] = out["architecture"].astype(str) + " " + out["activation"].astype(str)
    return out.reset_index()


def consistency_checks(table) -> dict:
    """Counts of the fingerprints' self-checks over rows of full fingerprints (zoo-table rows with
    ``layers_included == n_layers``, either variant; or a :func:`quality_table`).

    ``n``: fingerprints; ``w_match``: those whose Wang-Landau W equals the ground-state width (2|E_min| without
    fields) to within one bin; ``wl_converged``; ``tc_agree``: T_c from g(E) within 3σ of
    tempering's (σ: tempering only; g(E) has a binning error too); ``quench_gap_median``:
    median of E_min/N(quench from all +1) − E_min/N(best), how far the paper's quench is
    from the ground state; ``symmetry_error_max`` of the walks.
    """
    import pandas as pd

    t = table
    num = lambda c: pd.to_numeric(t[c], errors="coerce")  # noqa: E731
    mismatch = (num("w_per_spin") - num("w_ground_per_spin")).abs() * num("n_spins") / num("wl_bin_width")
    dev = (num("t_c_wl") - num("t_c_pt")).abs() / num("t_c_pt_err")
    return {
        "n": int(len(t)),
        "w_match": int((mismatch <= 1).sum()),
        "wl_converged": int(t["wl_converged"].astype(bool).sum()),
        "symmetry_error_max": float(num("wl_symmetry_error").max()),
        "tc_agree": int((dev <= 3).sum()),
        "tc_compared": int(dev.notna().sum()),
        "quench_gap_median": float((num("e_min_quench_per_spin") - num("e_min_per_spin")).median()),
        "quench_gap_max": float((num("e_min_quench_per_spin") - num("e_min_per_spin")).max()),
    }


def rank_correlations(table, columns=None, target: str = "test_accuracy"):
    """Spearman ρ and its two-sided p-value (scipy.stats.spearmanr) of each column against ``target``.

    Rows with a missing value in either column are left out (``n`` says how many remain);
    ρ is NaN with fewer than 3 rows or a constant column. Returns a DataFrame with columns
    indicator, label, n, rho, p.
    """
    import pandas as pd
    from scipy.stats import spearmanr

    if target not in table.columns:
        raise expected("target", f"a column of the table ({sorted(table.columns)[:6]}...)", target)
    columns = [c for c in (columns or INDICATORS) if c in table.columns]
    rows = []
    y_all = pd.to_numeric(table[target], errors="coerce").to_numpy(dtype=float)
    for c in columns:
        x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y_all)
        n = int(ok.sum())
        rho = p = math.nan
        if n >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y_all[ok]) > 0:
            res = spearmanr(x[ok], y_all[ok])
            rho, p = float(res.statistic), float(res.pvalue)
        rows.append({"indicator": c, "label": INDICATORS.get(c, c), "n": n, "rho": rho, "p": p})
    return pd.DataFrame(rows, columns=["indicator", "label", "n", "rho", "p"])


# ====================================================================================== command line

def cli(argv=None) -> int:
    """``python -m engine analyze MODEL.safetensors`` (JSON on stdout) or ``--zoo`` (the CSV)."""
    parser = argparse.ArgumentParser(
        prog="python -m engine analyze",
        description="Print a model's thermodynamic fingerprint as JSON (E_min/N, W/N, T_c, C_max/N, spectral "
                    "alpha), or with --zoo compute every zoo model (+ shuffled twin + sub-networks) into "
                    "sample_models/zoo_physics.csv (resumable).")
    parser.add_argument("model", nargs="?", help="a .safetensors model (with its JSON card beside it)")
    parser.add_argument("--seed", type=int, default=ZOO_SETTINGS["seed"], help="random seed (default 0)")
    parser.add_argument("--seconds", type=float, default=ZOO_SETTINGS["wl_seconds"],
                        help="wall-time cap of the Wang-Landau walk per model; a safety net (default 1800)")
    parser.add_argument("--log-f", type=float, default=ZOO_SETTINGS["log_f_final"],
                        help="final ln f of the Wang-Landau walk (default 1e-6)")
    parser.add_argument("--fields", action="store_true", help="biases as fields (the paper has none)")
    parser.add_argument("--zoo", action="store_true", help="compute every zoo model into the CSV (resumable)")
    parser.add_argument("--out", default=str(ZOO_CSV),
                        help="CSV written by --zoo (default sample_models/zoo_physics.csv)")
    parser.add_argument("--only", default=None, help="with --zoo: only models whose name contains this")
    args = parser.parse_args(argv)
    try:
        if args.zoo:
            if args.model:
                raise EngineError("give either a model file or --zoo, not both")
            parts = ["python -m engine analyze --zoo"] + [f"--{k} {v}" for k, v in (
                ("seed", args.seed), ("seconds", args.seconds), ("log-f", args.log_f)) if v is not None]
            compute_zoo(args.out, only=args.only, seed=args.seed, wl_seconds=args.seconds, log_f_final=args.log_f,
                        fields=args.fields, command=" ".join(parts) + (" --fields" if args.fields else ""))
            return 0
        if not args.model:
            raise EngineError("give a model file (MODEL.safetensors) or --zoo")
        net = Network.load(args.model)
        from tqdm import tqdm

        with tqdm(total=100, unit="%", desc=net.name, file=sys.stderr, leave=False,
                  bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} {postfix}") as bar:
            def callback(p):
                bar.n = p.done
                bar.set_postfix_str(p.message[:60], refresh=True)
                return False

            fp = fingerprint(net, seed=args.seed, wl_seconds=args.seconds, log_f_final=args.log_f,
                             fields=args.fields, callback=callback)
        print(json.dumps(fp.as_dict(), indent=2))
        return 0
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


__all__ = ["Fingerprint", "PeakEstimate", "GroundState", "fingerprint", "resampled_peak", "ground_state",
           "spectral_alpha", "negated", "fingerprint_row", "zoo_rows", "layer_widths", "compute_zoo", "load_zoo_table",
           "quality_table", "consistency_checks", "rank_correlations", "card_info", "cli", "CODE_VERSION",
           "ZOO_CSV", "INDICATORS",
           "TWIN_SEED", "ZOO_SETTINGS"]
