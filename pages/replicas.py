"""Replica overlaps: q between independent replicas, layer by layer, against temperature; P(q).

Composes ``engine.replicas`` (parallel tempering with R independent replicas per
temperature, overlaps of every pair, jackknife errors) with the figure builders of
``ui.fig_replicas``. Sampling runs as a sequence of independent runs, one per tick of a
``st.fragment`` timer, pooled in ``st.session_state``: the figures fill in as it goes.
"""

import numpy as np
import streamlit as st

from engine import replicas as rp
from engine.errors import EngineError
from engine.ising import IsingModel
from engine.montecarlo import geometric_ladder, typical_field
from ui import catalog, params, results, state
from ui.downloads import csv_bytes, figure_with_downloads
from ui.errors import engine_errors
from ui.fig_replicas import QUANTITIES, binder_figure, overlap_curves, overlap_heatmap, pq_figure, swap_figure
from ui.plotting import provenance
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("replicas.py")
ACC, RUNNING, ERROR = "rp:acc", "rp:running", "rp:error"
TICK = 1.0  # seconds between live updates (each update adds one run)
SPEED = 2.5e7  # spin updates per second of parallel tempering measured here (106 spins, 20 T, 4 replicas)
AUTO_BUDGET = 1.6 * SPEED  # the first run starts by itself when it takes less than about this (1.6 s)
EXACT_MAX_SPINS = 16  # exact P(q) by enumeration is shown for models this small

page_header(
    INFO.title,
    "Take R copies (replicas) of the network's Ising model, with the same couplings but independent thermal "
    "noise, and compare them spin by spin: the overlap q_ab = (1/N) Σ_i s_i^a s_i^b is 1 if two replicas "
    "froze into the same state, about 0 if they wander independently. Computed layer by layer, "
    "q^(l) shows which layers of the network freeze first as the temperature falls.",
    source=INFO.source)

net = state.current_network()


@st.cache_data(show_spinner=False, max_entries=16)
def exact_pq(digest: str, fields: bool, temperatures: tuple, _model) -> list:
    """Exact P(q^(l)) of two independent replicas (2^N states; only for tiny models)."""
    return rp.exact_overlaps(_model, np.asarray(temperatures)).pq


# ------------------------------------------------------------------ controls
c1, c2, c3, c4 = st.columns(4)
with c1:
    t_lo = params.select_slider("Lowest T / T_typ", key="rp_tlo", default=0.05,
                                options=[0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5],
                                help="Temperatures in units of the typical local field T_typ (rms of Σ_j J_ij s_j "
                                     "over random spins); the ladder is geometric.")
    t_hi = params.select_slider("Highest T / T_typ", key="rp_thi", default=3.0, options=[1.0, 1.5, 2.0, 3.0, 5.0, 10.0])
with c2:
    n_t = params.slider("Temperatures", key="rp_nt", default=6 if TINY else 20, min_value=4, max_value=32,
                        help="Rungs of the parallel-tempering ladder.")
    n_rep = params.slider("Replicas R", key="rp_R", default=4, min_value=2, max_value=8,
                          help="Independent chains per temperature; every pair a < b gives an overlap: R(R-1)/2 pairs.")
with c3:
    n_sweeps = params.select_slider("Sweeps per run", key="rp_sweeps", default=100 if TINY else 2000,
                                    options=[100, 250, 500, 1000, 2000, 4000, 8000],
                                    help="Measured sweeps of each run, after a burn-in of a quarter as many; a sample "
                                         "is kept every second sweep.")
    target = params.slider("Runs", key="rp_runs", default=3 if TINY else 10, min_value=1, max_value=50,
                           help="Independent runs to pool (each from fresh random spins). Runs that differ more "
                                "than their own error bars say are caught by the run jackknife.")
with c4:
    seed = params.number_input("Seed", key="rp_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    fields = params.toggle("Biases as fields", key="rp_fields", default=False,
                           help="The paper has no fields. With the biases as fields the spin-flip symmetry is gone "
                                "and P(q) need not be symmetric.")

model = IsingModel.from_network(net, fields=bool(fields))  # milliseconds: not worth a cache
T = None
with engine_errors("Temperature ladder"):
    t_typ = typical_field(model)
    if t_typ == 0:
        raise EngineError(f"`model` must have some non-zero weight or bias, got {net.name!r} with none: "
                          "without couplings every temperature is infinite and every overlap is that of free spins")
    T = geometric_ladder(t_lo * t_typ, t_hi * t_typ, int(n_t))
if T is None:
    st.stop()

n_sweeps, n_rep, target, seed = int(n_sweeps), int(n_rep), int(target), int(seed)
n_burn = n_sweeps // 4
key = results.make_key("replicas", net.digest(), bool(fields), np.round(T, 12), n_rep, n_sweeps, seed)
acc = st.session_state.get(ACC)
if acc is None or acc["key"] != key:  # new settings: what is stored for them, else nothing yet
    acc = {"key": key, "result": results.get(key)}
    st.session_state[ACC] = acc
    st.session_state[RUNNING] = False


def add_run() -> None:
    """One more independent run, pooled with the previous ones (run k always draws from (seed, k))."""
    res = acc["result"]
    k = 0 if res is None else res.n_runs
    one = rp.replica_overlaps(model, T, n_sweeps, n_replicas=n_rep, n_burn=n_burn, first_run=k, seed=seed)
    acc["result"] = one if res is None else res.merge(one)
    stored = results.get(key)
    if stored is None or stored.n_runs < acc["result"].n_runs:
        results.put(key, acc["result"])


cost = (n_sweeps + n_burn) * n_rep * T.size * model.n_spins
if acc["result"] is None and cost <= AUTO_BUDGET:
    with st.spinner("First run…"), engine_errors("Sampling"):
        add_run()

# ------------------------------------------------------------------ start / stop
running = bool(st.session_state.get(RUNNING))
done = 0 if acc["result"] is None else acc["result"].n_runs


def _start():
    st.session_state[RUNNING] = True


def _stop():
    st.session_state[RUNNING] = False


b1, b2, b3 = st.columns([1, 1, 5])
b1.button("Start", key="rp_start", type="primary", icon=":material/play_arrow:", on_click=_start,
          disabled=running or done >= target,
          help="Add independent runs, one per update, until the number of runs above is reached; the figures "
               "update after each run. Raise 'Runs' to add more.")
b2.button("Stop", key="rp_stop", icon=":material/stop_circle:", on_click=_stop, disabled=not running,
          help="Stop after the run in progress; everything sampled so far is kept.")
b3.caption(f"T_typ = {t_typ:.3g} · ladder {T[0]:.3g} … {T[-1]:.3g} ({T.size} temperatures) · "
           f"{model.n_spins} spins · one run = {n_sweeps + n_burn:,} sweeps of {n_rep} replicas "
           f"(≈ {max(cost / SPEED, 0.1):.1f} s here)"
           + (f" · all {target} runs done: raise **Runs** to add more" if done >= target else ""))
if ERROR in st.session_state:
    st.error(st.session_state.pop(ERROR), icon=":material/error:")
if acc["result"] is None and not running:
    st.info(f"One run of these settings takes about {cost / SPEED:.0f} s, too long to start by itself: press "
            "**Start**.", icon=":material/info:")


# ------------------------------------------------------------------ live panel
def pm(v: float, e: float, digits: int = 3) -> str:
    """``v ± e`` with an error too small to print shown as ``< 10^-digits``."""
    if not np.isfinite(e):
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} ± " + (f"{e:.{digits}f}" if e >= 0.5 * 10.0 ** -digits else f"<{10.0 ** -digits:g}")


def interpretation(res, t_idx: int) -> str:
    """What the numbers say, in words (numbers from the engine; no physics computed here)."""
    s = res.stats
    lo, hi = 0, res.T.size - 1
    names = res.layer_names
    parts = [f"**At the lowest T = {res.T[lo]:.3g}**: q_EA = "
             + ", ".join(f"{n} {pm(s.q_ea[lo, g], s.q_ea_err[lo, g])}" for g, n in enumerate(names)) + "."]
    parts.append(f"**At the highest T = {res.T[hi]:.3g}**: q_EA = "
                 + ", ".join(f"{n} {s.q_ea[hi, g]:.2f} (floor {1 / np.sqrt(res.sizes[g]):.2f})"
                             for g, n in enumerate(names)) + ".")
    w, err, cut = res.central_weight(-1, t_idx)
    parts.append(f"At the selected T = {res.T[t_idx]:.3g} the whole network's P(q) puts weight "
                 f"{pm(w, err)} between the peaks (|q| < q_EA/2 = {cut:.2f}); Binder g = "
                 f"{pm(s.binder[t_idx, -1], s.binder_err[t_idx, -1], 2)}.")
    with np.errstate(invalid="ignore", divide="ignore"):
        asym = np.abs(s.q_mean[:, -1]) / s.q_mean_err[:, -1]
    asym[~np.isfinite(asym)] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        drift = s.q2_drift[:, -1] / s.q2_drift_err[:, -1]
    relaxing = np.flatnonzero(np.abs(np.nan_to_num(drift)) > 4)
    if relaxing.size:
        parts.append("⚠ **Not equilibrated** at T = " + ", ".join(f"{res.T[i]:.3g}" for i in relaxing)
                     + ": ⟨q²⟩ of the later half of the runs differs from the earlier half by more than 4 error "
                       "bars. Use more sweeps per run before reading those temperatures.")
    if res.has_fields:
        parts.append(f"With the biases as fields there is no spin-flip symmetry: ⟨q⟩ of the whole network at the "
                     f"selected T is {pm(s.q_mean[t_idx, -1], s.q_mean_err[t_idx, -1])}, and P(q) need not be "
                     "symmetric.")
    elif asym.max() > 4:
        bad = res.T[np.argmax(asym)]
        parts.append(f"⚠ P(q) is lopsided at T = {bad:.3g} (⟨q⟩ is {asym.max():.0f} error bars from 0): "
                     "without fields it must be symmetric, so the replicas there have not explored both "
                     "spin-flip sectors. Run longer or add runs.")
    return "  \n".join(parts)


live = bool(st.session_state.get(RUNNING))


@st.fragment(run_every=TICK if live else None)
def panel():
    if st.session_state.get(RUNNING):
        res = acc["result"]
        if res is None or res.n_runs < target:
            try:
                add_run()
            except EngineError as e:  # kept for the next full run, which ends the live updates
                st.session_state[ERROR] = f"Sampling: {e}"
                st.session_state[RUNNING] = False
        if acc["result"] is not None and acc["result"].n_runs >= target:
            st.session_state[RUNNING] = False
    if live and not st.session_state.get(RUNNING):
        st.rerun()  # the live run has ended: a full rerun drops the timer and re-enables Start
    res = acc["result"]
    if res is None:
        return
    stats = res.stats
    n_done = res.n_runs
    st.progress(min(1.0, n_done / target),
                text=f"{n_done} of {target} runs · {res.overlaps.n_samples:,} samples × {res.overlaps.n_pairs} "
                     f"replica pairs per temperature · {res.seconds:.1f} s of sampling"
                     + (" · sampling…" if st.session_state.get(RUNNING) else ""))
    swap_min = float(np.nanmin(res.swap_acceptance)) if res.n_runs else float("nan")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Runs pooled", f"{n_done}", help="Independent parallel-tempering runs, each from random spins.")
    m2.metric("Samples per pair", f"{res.overlaps.n_samples:,}")
    m3.metric("Lowest swap acceptance", f"{swap_min:.2f}",
              help="Replica exchange between neighbouring temperatures; near 0 means the ladder is broken there "
                   "and low temperatures may not equilibrate.")
    m4.metric("Jackknife bins / runs", f"{stats.n_bins} / {stats.n_runs}",
              help="Error bars: jackknife over time bins of each run and over independent runs (from 2 runs on); "
                   "the larger of the two is shown.")
    note = provenance(model=res.model_name, N=res.n_spins,
                      T=f"{res.T[0]:.3g}–{res.T[-1]:.3g}", replicas=res.n_replicas, runs=n_done,
                      sweeps=f"{n_sweeps:,} + {n_burn:,} burn-in per run", seed=seed)

    quantity = params.segmented("Heat map shows", key="rp_qty", default="q_EA = √⟨q²⟩", options=list(QUANTITIES))
    fig, df = overlap_heatmap(res, quantity, note=note)
    figure_with_downloads(fig, df, f"overlap heat map {res.model_name}", key="rp_heat")

    G = len(res.layer_names)
    layer_opts = [-1] + list(range(G - 1))
    t_opts = list(range(res.T.size))
    for k, opts, default in (("ctl:rp_layer", layer_opts, -1), ("ctl:rp_t", t_opts, 0)):
        if st.session_state.get(k, default) not in opts:  # the model or the ladder changed
            st.session_state[k] = default
    s1, s2, _ = st.columns([1, 2, 1])
    with s1:
        layer = params.selectbox("P(q) of layer", key="rp_layer", default=-1, options=layer_opts,
                                 format_func=lambda g: f"{res.layer_names[g]} ({res.sizes[g]} spins)")
    with s2:
        t_idx = params.select_slider("at temperature T", key="rp_t", default=0, options=t_opts,
                                     format_func=lambda i: f"{res.T[i]:.3g}")
    exact = None
    if model.n_spins <= EXACT_MAX_SPINS:
        exact = exact_pq(net.digest(), bool(fields), tuple(np.round(T, 12)), model)[layer][t_idx]
    fig, df = pq_figure(res, layer, t_idx, exact=exact, note=note)
    figure_with_downloads(fig, df, f"P(q) {res.layer_names[layer]} T={res.T[t_idx]:.3g}", key="rp_pq")
    fig, df = binder_figure(res, note=note)
    figure_with_downloads(fig, df, f"Binder cumulant {res.model_name}", key="rp_binder")
    st.markdown(interpretation(res, t_idx))
    with st.expander("q against T with error bars, swap acceptance, the full table"):
        curves = quantity if quantity != "Binder g" else "q_EA = √⟨q²⟩"  # the Binder curves are shown above
        fig, df = overlap_curves(res, curves, note=note)
        figure_with_downloads(fig, df, f"{QUANTITIES[curves][0]} against T {res.model_name}", key="rp_curves")
        fig, df = swap_figure(res, note=note)
        figure_with_downloads(fig, df, f"swap acceptance {res.model_name}", key="rp_swap")
        table = res.to_frame()
        st.dataframe(table, hide_index=True, width="stretch", height=260)
        st.download_button("All estimators (CSV)", csv_bytes(table), file_name="replica_overlaps.csv",
                           mime="text/csv", key="rp_table_csv", icon=":material/download:", on_click="ignore")


panel()

# ------------------------------------------------------------------ how to read it
with st.expander("How to read this: replica symmetry, its breaking, and what this page can decide", expanded=False):
    st.markdown(f"""
**P(q).** Collect the overlap of every pair of replicas over the run: its histogram is P(q). Hot, every spin
wanders and P(q) is one narrow bump at 0, a binomial of width 1/√n for a layer of n spins (dotted grey line).
As the temperature falls the replicas freeze; without fields flipping every spin of one replica changes nothing,
so each frozen pair is as likely at +q as at −q and P(q) splits into two peaks at **±q_EA** (Edwards-Anderson).

**Replica symmetric (RS) or broken (RSB)?** If the low-temperature phase is a single state (and its mirror
image), the two peaks are all there is: as the network grows they sharpen and the weight between them goes to
zero. If there are many states, unrelated to each other (Parisi's replica symmetry breaking), two replicas may
fall into different states, and P(q) keeps weight **between** the peaks that does **not** vanish as N grows.

**What this page can and cannot say.** It samples *one* network, here of {model.n_spins} spins. At this size a
finite weight between the peaks, or several sub-peaks, can come from a handful of nearly degenerate low-energy
states of this particular set of weights as well as from RSB; telling the two apart needs the same statistics
for networks of growing size (and many sets of weights), which this page does not do. What it does show,
with error bars: at which temperature each layer freezes (q_EA leaves its floor 1/√n, the Binder cumulant
g = ½(3 − ⟨q⁴⟩/⟨q²⟩²) climbs from ≈ 0 to ≈ 1), which layers freeze first, and whether P(q) at a given
temperature has weight between its peaks.

**What is invariant.** Overlaps do not change if both replicas are transformed by the same sign flips
s_i → ε_i s_i (a gauge transformation; flipping a hidden tanh neuron with its weights changes nothing). The
odd-layer flip is such a gauge: it maps the couplings J to −J, so a network and its sign-flipped twin give the
same overlaps. Flipping *one* replica negates q in every layer at once, so only |q|, q², the Binder cumulant and
products of layer overlaps carry meaning; flipping only some layers of one replica is not a symmetry. With the
biases as fields none of this holds and P(q) may lean to one side.

**Error bars** come from two jackknives, over time bins of each run and over independent runs; the larger is
shown. A lopsided P(q) without fields, or swap acceptance near zero, means the low temperatures are not
equilibrated: add runs or sweeps.
""")
