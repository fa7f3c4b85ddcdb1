"""Criticality: the order-to-chaos transition of signal propagation, correlation depth ξ_c and trainability.

Composes engine.signal_propagation (mean-field maps, finite-width simulation, training check)
with the figure builders of ui.fig_criticality. A theory page: it does not use the current model.
"""

import numpy as np
import streamlit as st

from engine import signal_propagation as sp
from engine.errors import EngineError
from engine.progress import Progress
from ui import catalog, params, results
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_criticality import (depth_flow_figure, fmt, phase_diagram_figure, reference_frame,
                                trainable_depth_figure)
from ui.progress import partial, run_with_progress
from ui.shell import page_header

INFO = catalog.page_info("criticality.py")
page_header(INFO.title, "A deep random network passes two inputs from layer to layer. Below a critical weight "
            "variance their correlation flows to 1 (**ordered**: every input looks alike deep down); above it, to "
            "c* < 1 (**chaotic**: nearby inputs are torn apart). At the edge, information survives for many "
            "layers: the correlation depth ξ_c diverges, and networks deeper than about 6 ξ_c stop training.",
            source=INFO.source)
st.caption("A theory page: everything here is about random networks with the chosen activation and variances; "
           "the current model in the sidebar is not used.")

TINY = catalog.TINY
ACTIVATIONS = ("tanh", "erf", "sin", "relu", "linear", "sigmoid")
W_RANGE, B_RANGE = (0.1, 5.0), (0.0, 0.5)
GRID = 40 if TINY else 100
C0S = (0.0, 0.3, 0.6, 0.9)
AUTO_SIM = 4.5e6  # width × depth × networks × c0's that run on every change (about 0.5-1 s)


# ------------------------------------------------------------------ cached adapters (pure engine calls)
@st.cache_data(show_spinner=False, max_entries=1024)
def fixed(act: str, w: float, b: float):
    return sp.fixed_point(act, w, b)


@st.cache_data(show_spinner="Computing the phase diagram…", max_entries=16)
def diagram(act: str, n: int):
    return sp.phase_diagram(act, np.linspace(*W_RANGE, n), np.linspace(*B_RANGE, n))


@st.cache_data(show_spinner=False, max_entries=64)
def band_row(act: str, b: float):
    return sp.phase_diagram(act, np.linspace(*W_RANGE, 300), [b])


@st.cache_data(show_spinner=False, max_entries=64)
def flow(act: str, w: float, b: float, q0: float, depth: int):
    return sp.depth_flow(act, w, b, q0, np.array(C0S), depth)


@st.cache_data(show_spinner=False)
def reference_values() -> dict:
    """The engine's numbers for the literature values of ui.fig_criticality.REFERENCES."""
    out = {}
    for act, b in (("tanh", 0.0), ("tanh", 0.05), ("erf", 0.0), ("relu", 0.0)):
        try:
            w = sp.critical_weight_variance(act, b)
        except EngineError as e:
            out[(act, b, "critical σ_w²")] = str(e)
            continue
        out[(act, b, "critical σ_w²")] = w
        out[(act, b, "q* at the critical point")] = sp.fixed_point(act, w, b).q_star
    return out


def critical_or_reason(act: str, b: float):
    """(σ_w² with χ1 = 1, None) or (None, the engine's reason why there is none)."""
    try:
        return sp.critical_weight_variance(act, b), None
    except EngineError as e:
        return None, str(e)


def simulate_fan(act, w, b, width, depth, q0, n_networks, seed, callback=None):
    """simulate_propagation for each c0 of C0S (same seed each), progress over the whole fan.

    Partial results reach ``callback`` as {"args": the settings, "sims": the c0's finished so far}.
    """
    out = []
    args = (act, w, b, width, depth, q0, n_networks, seed)
    for i, c0 in enumerate(C0S):
        def forward(p, i=i):
            return callback(Progress(i * n_networks + p.done, len(C0S) * n_networks, f"c₀ = {C0S[i]}: {p.message}",
                                     {"args": args, "sims": list(out)})) if callback else False
        s = sp.simulate_propagation(act, w, b, width, depth, q0, c0, n_networks=n_networks, seed=seed,
                                    callback=forward)
        out.append(s)
        if s.stopped_early:
            break
    return out


@st.cache_data(show_spinner="Simulating wide random networks…", max_entries=64)
def simulate_cached(act, w, b, width, depth, q0, n_networks, seed):
    return simulate_fan(act, w, b, width, depth, q0, n_networks, seed)


def set_critical():
    """Button callback: move the σ_w² slider onto the critical line at the current σ_b²."""
    act, b = st.session_state["ctl:cr_act"], st.session_state["ctl:cr_b"]
    w, why = critical_or_reason(act, b)
    if w is None:
        st.session_state["cr_msg"] = f"No critical σ_w² for {act} at σ_b² = {b:g}: {why.split(': ', 1)[-1]}"
    elif not W_RANGE[0] <= w <= W_RANGE[1]:
        st.session_state["cr_msg"] = (f"The critical σ_w² of {act} at σ_b² = {b:g} is {w:.4g}, outside this "
                                      f"slider's range {W_RANGE[0]:g}–{W_RANGE[1]:g}.")
    else:
        st.session_state["ctl:cr_w"] = w


# ------------------------------------------------------------------ controls
c1, c2, c3, c4 = st.columns([1.1, 2, 2, 1.2], vertical_alignment="bottom")
with c1:
    act = params.selectbox("Activation φ", key="cr_act", default="tanh", options=ACTIVATIONS)
with c2:
    w = params.slider("Weight variance σ_w²", key="cr_w", default=1.76, min_value=W_RANGE[0], max_value=W_RANGE[1],
                      step=0.01, help="Weights W_ij ~ N(0, σ_w²/fan-in) (C_W in Roberts-Yaida-Hanin).")
with c3:
    b = params.slider("Bias variance σ_b²", key="cr_b", default=0.05, min_value=B_RANGE[0], max_value=B_RANGE[1],
                      step=0.01, help="Biases b_i ~ N(0, σ_b²) (C_b).")
with c4:
    st.button("Critical σ_w²", key="cr_crit", on_click=set_critical, icon=":material/target:",
              help="Put σ_w² exactly on the critical line χ₁ = 1 at this σ_b².")
if "cr_msg" in st.session_state:
    st.warning(st.session_state.pop("cr_msg"), icon=":material/info:")

fp = None
with engine_errors("Fixed point"):
    fp = fixed(act, float(w), float(b))
if fp is None:
    st.stop()

crit_w, crit_why = critical_or_reason(act, float(b))
m = st.columns(6)
m[0].metric("Phase", fp.phase, help="By χ₁: ordered < 1, critical = 1, chaotic > 1.")
m[1].metric("χ₁", f"{fp.chi1:.4f}", help="σ_w² E[φ′(√q* z)²]: how much a small perturbation (and a gradient) "
            "grows per layer.")
m[2].metric("q*", fmt(fp.q_star), help="Fixed point of the q-map: the pre-activation variance deep in the net.")
m[3].metric("c*", fmt(fp.c_star), help="Stable fixed point of the c-map: the correlation two inputs end up with.")
m[4].metric("ξ_c (layers)", fmt(fp.xi_c, 4), help="Correlation depth: c_l approaches c* as e^(−l/ξ_c).")
m[5].metric("6 ξ_c (layers)", fmt(fp.trainable_depth, 3), help="Trainable depth (Schoenholz et al. 2017).")
if crit_w is not None:
    gap = float(w) - crit_w
    where = "on" if abs(gap) < 5e-7 else (f"{abs(gap):.4g} below" if gap < 0 else f"{gap:.4g} above")
    st.caption(f"σ_w² = {float(w):.6g} is {where} the critical value σ_w² = {crit_w:.6g} of {act} at "
               f"σ_b² = {b:g}.")
if fp.note:
    st.info(f"**Convention at this point.** {fp.note}.", icon=":material/info:")

with st.expander("Reference values from the literature beside this engine's", expanded=False):
    st.dataframe(reference_frame(act, reference_values()), hide_index=True, width="stretch",
                 column_config={"difference": st.column_config.NumberColumn(format="%.2e")})
    here = (f"For **{act}** at σ_b² = {b:g} the engine puts the critical line at **σ_w² = {crit_w:.6g}**."
            if crit_w is not None else f"For **{act}** at σ_b² = {b:g} there is no critical σ_w²: "
                                       f"{crit_why.split(': ', 1)[-1]}.")
    st.markdown(here + " Sources: Poole et al. (2016), Schoenholz et al. (2017), Roberts, Yaida & Hanin (2021); "
                "the reference numbers are those collected in the lab's PHYSICS.md, section 7.")

# ------------------------------------------------------------------ 1. phase diagram
st.subheader("1 · Phase diagram: where is the edge of chaos?")
with engine_errors("Phase diagram"):
    pdg = diagram(act, GRID)
    fig, df = phase_diagram_figure(pdg, point=(float(w), float(b)))
    figure_with_downloads(fig, df, f"phase diagram {act}", key="cr_phase")
    notes = ["Colour: the correlation depth ξ_c = −1/ln χ_c, the number of layers over which two inputs remember "
             "how different they were; it diverges on the critical line χ₁ = 1."]
    if np.isinf(pdg.xi_c).any():
        notes.append("ξ_c = ∞ is drawn in the top colour: on the critical line, and where q_l grows without bound "
                     "(ReLU and linear nets with σ_w²κ ≥ 1: the bias-free c-map is then tangent to the identity, so "
                     "correlations approach 1 as a power of depth, not exponentially).")
    if crit_w is not None and not W_RANGE[0] <= crit_w <= W_RANGE[1]:
        notes.append(f"The critical line of {act} lies outside this range (σ_w² = {crit_w:.4g} at σ_b² = {b:g}): "
                     "its slope is small, so χ₁ = σ_w² E[φ′²] needs a large σ_w² to reach 1.")
    st.caption(" ".join(notes))

# ------------------------------------------------------------------ 2. depth flows
st.subheader("2 · Depth flows: q_l and c_l layer by layer")
st.markdown("Two inputs of squared length q₀ per coordinate and correlation c₀ enter the network. The **mean-field "
            "maps** (infinite width) predict their length q_l and correlation c_l in every layer; **green** points "
            "propagate the same pair through finite random networks of the chosen width (error bars: one standard "
            "error over networks; the difference should be O(1/√width)).")
f1, f2, f3, f4, f5, f6 = st.columns([1.2, 1.2, 1.1, 1.2, 1.2, 0.9], vertical_alignment="bottom")
with f1:
    depth = params.select_slider("Depth (layers)", key="cr_depth", default=50, options=[10, 20, 50, 100, 200])
with f2:
    q0 = params.select_slider("Input length q₀", key="cr_q0", default=1.0, options=[0.1, 0.25, 0.5, 1.0, 2.0, 4.0])
with f3:
    simulate = params.toggle("Simulate", key="cr_sim", default=True,
                             help="Overlay a finite-width simulation of random networks.")
with f4:
    width = params.select_slider("Width N", key="cr_width", default=100 if TINY else 1000,
                                 options=[100, 250, 500, 1000, 2000], disabled=not simulate)
with f5:
    n_nets = params.select_slider("Networks", key="cr_nets", default=5 if TINY else 20, options=[5, 10, 20, 50],
                                  disabled=not simulate)
with f6:
    seed = params.number_input("Seed", key="cr_seed", default=0, min_value=0, max_value=2**31 - 1, step=1,
                               disabled=not simulate)

sims = None
sim_args = (act, float(w), float(b), int(width), int(depth), float(q0), int(n_nets), int(seed))
if simulate:
    cost = width * depth * n_nets * len(C0S)
    sim_key = results.make_key("criticality:simulate", *sim_args)
    sims = results.get(sim_key)
    if sims is None and cost <= AUTO_SIM:
        with engine_errors("Simulation"):
            sims = simulate_cached(*sim_args)
    elif sims is None:
        ask = st.empty()
        ask.info(f"This simulation propagates {len(C0S)} input pairs through {n_nets} networks of {depth} layers × "
                 f"{width} neurons: a few seconds. Start it with the button; it is kept for these settings.",
                 icon=":material/schedule:")
        if st.button("Run simulation", key="cr_sim_go", icon=":material/play_arrow:"):
            with engine_errors("Simulation"):
                sims = run_with_progress("cr_sim_run", "Simulating", simulate_fan, *sim_args)
                st.session_state.pop("cr_sim_run:partial", None)
                results.put(sim_key, sims)
                ask.empty()
        elif (part := partial("cr_sim_run")) and part["args"] == sim_args and part["sims"]:
            sims = part["sims"]
            st.caption(f"Showing the simulation as far as it got before Stop ({len(sims)} of {len(C0S)} c₀).")

with engine_errors("Depth flow"):
    fl = flow(act, float(w), float(b), float(q0), int(depth))
    fig, df = depth_flow_figure(fl, sims, trainable_depth=fp.trainable_depth)
    figure_with_downloads(fig, df, f"depth flow {act} w{w:g} b{b:g}", key="cr_flow")
    parts = []
    if sims:
        dev = max(float(np.nanmax(np.abs(s.c_mean - s.c_theory)[1:min(21, s.layer.size)])) for s in sims)
        parts.append(f"Largest |c_l(simulation) − c_l(mean field)| over l ≤ 20: {dev:.3f} at width {width} "
                     f"(1/√N = {1 / np.sqrt(width):.3f}).")
    if fp.phase == "ordered":
        parts.append("Ordered: every correlation flows to c* = 1, inputs become indistinguishable after a few ξ_c "
                     f"(ξ_c = {fmt(fp.xi_c, 4)} layers here).")
    elif fp.phase == "chaotic" and fp.c_star < 1:
        parts.append(f"Chaotic: even c₀ = 0.9 decorrelates towards c* = {fmt(fp.c_star)}.")
    elif fp.phase == "chaotic" and fp.c_star == 1:
        parts.append("χ₁ > 1 makes q_l and gradients grow layer by layer, yet this activation's c-map still takes "
                     "every correlation to 1, as a power of depth rather than exponentially (see the note above).")
    elif fp.phase == "chaotic":
        parts.append("χ₁ > 1 makes q_l grow layer by layer, while c_l keeps the memory of c₀ (a linear net's c-map "
                     "is the identity).")
    else:
        parts.append("Critical: the approach to the fixed point is a power law in depth, not exponential.")
    st.caption(" ".join(parts))

# ------------------------------------------------------------------ 3. trainability
st.subheader("3 · Trainable depth ≈ 6 ξ_c — and a real check")
st.markdown("Schoenholz et al. (2017) found that networks train only when their depth is below about **6 ξ_c**: "
            "the shaded band. Train real networks at your (σ_w², σ_b²) on the digits data set to see whether they "
            "do (SGD with momentum, width and epochs below; a depth *trains* when its test accuracy reaches the "
            "threshold; chance is 0.1).")
runs = st.session_state.setdefault("cr_runs", {})
stopped = partial("cr_train")
if stopped is not None and stopped.depths.size:  # a Stop click interrupted training: keep what finished
    st.session_state.pop("cr_train:partial", None)
    stopped.stopped_early = True
    runs[("stopped",) + results.make_key("criticality:train", act, stopped.fixed.weight_variance,
                                         stopped.fixed.bias_variance, stopped.depths)] = stopped
    st.session_state["cr_last"] = stopped

t1, t2, t3, t4, t5 = st.columns([2, 1, 1, 1, 1.3], vertical_alignment="bottom")
with t1:
    depths_text = st.text_input("Depths to train (hidden layers, comma-separated)", key="cr_depths",
                                value="2, 3" if TINY else "4, 16, 48",
                                help="1 to 200 hidden layers each, e.g. `4, 16, 48`.")
with t2:
    t_width = params.select_slider("Width", key="cr_twidth", default=16 if TINY else 64, options=[16, 32, 64, 128])
with t3:
    epochs = params.select_slider("Epochs", key="cr_epochs", default=1 if TINY else 10, options=[1, 2, 5, 10, 20])
with t4:
    t_seed = params.number_input("Seed ", key="cr_tseed", default=0, min_value=0, max_value=2**31 - 1, step=1)
with t5:
    go_train = st.button("Train these depths", key="cr_train_go", type="primary", icon=":material/play_arrow:",
                         help="About 5-15 s for the default three depths.")
if go_train:
    with engine_errors("Training check"):
        depths = params.parse_numbers(depths_text, "depths")
        key = results.make_key("criticality:train", act, float(w), float(b), depths, int(t_width), int(epochs),
                               int(t_seed))
        res = results.get(key)
        if res is None:
            try:  # a depth whose loss blows up counts as not trained (the engine marks it diverged)
                res = run_with_progress("cr_train", f"Training {act} nets at σ_w² = {w:g}, σ_b² = {b:g}",
                                        sp.trainability_check, act, float(w), float(b), depths,
                                        width=int(t_width), epochs=int(epochs), seed=int(t_seed))
            finally:
                st.session_state.pop("cr_train:partial", None)
            results.put(key, res)
        runs[key] = res
        st.session_state["cr_last"] = res

with engine_errors("Trainable depth"):
    row = band_row(act, float(b))
    here = [r for r in runs.values() if r.fixed.activation == act and r.fixed.bias_variance == float(b)]
    fig, df = trainable_depth_figure(row, here, point=float(w))
    figure_with_downloads(fig, df, f"trainable depth {act} b{b:g}", key="cr_band")
    st.caption(f"Markers: the training runs of this session for {act} at σ_b² = {b:g} (change σ_w² and train again "
               "to fill in the picture). ξ_c = ∞ is drawn at the top of the axis.")
    if fp.chi1 > 1 and np.isinf(fp.xi_c):
        st.caption(f"Caution: here ξ_c = ∞ only because the c-map approaches its fixed point as a power of depth. "
                   f"The 6 ξ_c rule is silent about χ₁ = {fp.chi1:.3g} > 1, which makes q_l and the gradients grow "
                   f"as χ₁^depth (χ₁⁴⁸ ≈ {fp.chi1 ** 48:.2g}); that can stop training first — the check below shows "
                   "whether it does.")

last = st.session_state.get("cr_last")
if last is not None:
    lf = last.fixed
    st.markdown(f"**Last check:** {lf.activation}, σ_w² = {lf.weight_variance:g}, σ_b² = {lf.bias_variance:g}, "
                f"width {last.settings.get('width')}, {last.settings.get('epochs')} epochs, seed "
                f"{last.settings.get('seed')}, threshold {last.threshold:g}"
                + (" — **stopped early**" if last.stopped_early else f" — {last.seconds:.1f} s") + ".")
    table = last.to_frame()[["depth", "train_accuracy", "test_accuracy", "trained", "predicted_trainable_depth"]]
    table["predicted to train (depth ≤ 6ξ_c)"] = table["depth"] <= lf.trainable_depth
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"train_accuracy": st.column_config.NumberColumn(format="%.3f"),
                                "test_accuracy": st.column_config.NumberColumn(format="%.3f"),
                                "predicted_trainable_depth": st.column_config.NumberColumn("6 ξ_c", format="%.1f")})
    diverged = [int(d) for d, x in zip(last.depths, last.diverged) if x]
    if diverged:
        st.caption(f"Depth {', '.join(map(str, diverged))}: the training loss became non-finite (exploding "
                   f"activations or gradients, χ₁ = {lf.chi1:.3g}), so it counts as not trained."
                   + (" 6 ξ_c predicted it would train: the rule looks only at correlations, not at the growth "
                      "χ₁^depth." if min(diverged) <= lf.trainable_depth else ""))
    wrong = table[(table["trained"] != table["predicted to train (depth ≤ 6ξ_c)"]) & ~table["depth"].isin(diverged)]
    if wrong.empty:
        st.caption("Every depth that finished training did what 6 ξ_c predicts.")
    else:
        st.caption("Not as 6 ξ_c predicts at depth " + ", ".join(str(d) for d in wrong["depth"]) + ": the bound is "
                   "a rule of thumb (Schoenholz et al. saw it with longer training), and few epochs or a narrow "
                   "width can fail a trainable depth.")
