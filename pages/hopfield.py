"""Hopfield network: store and recall patterns, the storage capacity α_c ≈ 0.138 and the (α, T) phase diagram.

Composes ``engine.hopfield`` (storage, recall, capacity experiment, AGS theory) with the
figure builders of ``ui.fig_hopfield``. The current network model of the sidebar is not used.
"""
import math

import numpy as np
import streamlit as st

from engine import hopfield as hf
from ui import catalog, params, results
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_hopfield import (capacity_figure, energy_trace, overlap_traces, pattern_name, pattern_overlap_matrix,
                             phase_diagram_figure, phase_points_summary, recall_animation, recall_strip,
                             stored_patterns)
from ui.plotting import provenance
from ui.progress import partial as partial_result
from ui.progress import run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("hopfield.py")

page_header(
    INFO.title,
    "N neurons s_i = ±1 store P patterns ξ^μ in symmetric couplings (Hebbian rule "
    "w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ, w_ii = 0). The energy E = -½ Σ_ij w_ij s_i s_j has a minimum near every "
    "stored pattern as long as the storage ratio α = P/N is small: started from a corrupted pattern, "
    "asynchronous updates s_i ← sgn(h_i), h_i = Σ_j w_ij s_j, never raise E and slide back to the memory. "
    "The overlap m_μ = (1/N) Σ_i ξ_i^μ s_i measures how well pattern μ is recalled (1 = perfectly).",
    source=INFO.source)

VIEWS = ["Recall", "Capacity", "Phase diagram"]
view = params.segmented("View", key="hf_view", default="Recall", options=VIEWS,
                        help="Recall: one network at work. Capacity: how many patterns fit (T = 0). "
                             "Phase diagram: storage ratio against temperature, theory and simulation.")


def _seeds(seed: int, n: int):
    """``n`` independent generators from one user seed (patterns, noise and dynamics must not share a stream)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(n)]


# ================================================================================ recall
@st.cache_data(show_spinner=False, max_entries=16)  # ≤ 8 MB each (pseudo-inverse couplings at N = 1024)
def recall_run(source, digits, n_patterns, n_neurons, rule, upscale, noise, temperature, n_sweeps, start, seed):
    """Store the patterns, corrupt pattern ``start`` with ``noise`` and run the recall (milliseconds)."""
    g_patterns, g_noise, g_run = _seeds(seed, 3)
    if source == "digits":
        xi, shape, labels = hf.digit_patterns(list(digits), upscale=upscale)
    else:
        xi = hf.random_patterns(n_patterns, n_neurons, seed=g_patterns)
        side = math.isqrt(n_neurons)
        shape = (side, side) if side * side == n_neurons else None
        labels = [""] * xi.shape[0]  # unlabelled: shown as ξk
    net = hf.store(xi, image_shape=shape, labels=labels, rule=rule)
    cue = hf.corrupt(net.patterns[start], noise, seed=g_noise)
    fps = 8 if temperature == 0 else 1  # T > 0: the Ising engine records whole sweeps
    res = hf.recall(net, cue, temperature=temperature, n_sweeps=n_sweeps, frames_per_sweep=fps, target=start,
                    seed=g_run)
    return net, res


DIGITS = list(range(10))
N_OPTIONS = [36, 64, 100, 144, 256, 400, 576, 1024]


def digits_control():
    """Which digits to store: pills mirrored in the URL as ``hf_digits=0,1`` (a bad URL value is ignored)."""
    return params.bound(st.pills, "Digits to store", key="hf_digits", default=[0, 1], options=DIGITS,
                        selection_mode="multi",
                        help="Binarised class-mean images of scikit-learn's 8×8 digits (ink = +1).")


def recall_view():
    c0, c1 = st.columns([1, 3])
    with c0:
        source = params.segmented("Patterns", key="hf_src", default="digits", options=["digits", "random"],
                                  help="Digits are strongly correlated; random patterns are what the capacity "
                                       "theory is about.")
    with c1:
        if source == "digits":
            digits = sorted(digits_control() or [])
            P, N = len(digits), None
        else:
            digits = []
            d1, d2 = st.columns(2)
            with d1:
                P = params.slider("Patterns P", key="hf_P", default=20, min_value=1, max_value=100)
            with d2:
                N = params.select_slider("Neurons N", key="hf_N", default=400, options=N_OPTIONS)
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        rule_label = params.segmented("Storage rule", key="hf_rule", default="Hebbian",
                                      options=["Hebbian", "pseudo-inverse"],
                                      help="Hebbian: w = (1/N) Σ ξξᵀ. Pseudo-inverse (projection) rule: "
                                           "w = (1/N) ξᵀ Q⁻¹ ξ with Q_μν = ξ^μ·ξ^ν/N; every stored pattern is "
                                           "a fixed point even when the patterns are correlated.")
        rule = "hebbian" if rule_label == "Hebbian" else "pseudo_inverse"
        upscale = 1
        if source == "digits":
            upscale = params.slider("Upscale", key="hf_up", default=2, min_value=1, max_value=3,
                                    help="Repeat each digit pixel k×k: N = 64k² neurons, the same overlaps, "
                                         "bigger images.")
    with c2:
        noise = params.slider("Noise p (flipped pixels of the cue)", key="hf_noise", default=0.15, min_value=0.0,
                              max_value=0.5, step=0.01)
        T = params.slider("Temperature T", key="hf_T", default=0.0, min_value=0.0, max_value=1.5, step=0.05,
                          help="T = 0: deterministic asynchronous updates, stop at a fixed point. T > 0: heat-bath "
                               "sweeps P(s_i = +1) = 1/(1 + e^{-2h_i/T}) through the Ising engine.")
    with c3:
        options = list(range(max(P, 1)))
        if st.session_state.get("ctl:hf_start", 0) not in options:
            st.session_state["ctl:hf_start"] = 0
        labels = [str(d) for d in digits] if source == "digits" else [""] * len(options)
        start = params.selectbox("Cue: corrupt pattern", key="hf_start", default=0, options=options,
                                 format_func=lambda k: pattern_name(k, labels[k]) if k < len(labels) else str(k))
        n_sweeps = params.slider("Sweeps (at most)", key="hf_sweeps", default=20, min_value=2, max_value=100,
                                 help="T = 0 stops earlier at a fixed point (a sweep without a flip).")
    with c4:
        seed = params.number_input("Seed", key="hf_seed", default=0, min_value=0, max_value=2**31 - 1, step=1,
                                   help="Seeds the random patterns, the noise of the cue and the update order.")

    got = None
    with engine_errors("Storing and recalling the patterns"):
        net, res = recall_run(source, tuple(digits), P, N, rule, upscale, float(noise), float(T), int(n_sweeps),
                              int(start), int(seed))
        got = (net, res, dict(patterns="digits " + ",".join(map(str, digits)) if source == "digits"
                              else "random", N=net.n_neurons, P=net.n_patterns, rule=rule_label,
                              noise=float(noise), T=float(T), seed=int(seed)))
        st.session_state["hf:recall"] = got
    if got is None:
        got = st.session_state.get("hf:recall")
        if got is None:
            return
        st.caption("Showing the previous valid run; the settings above are not valid.")
    net, res, prov = got
    note = provenance(**prov)
    mu = res.target
    m_end = res.final_overlaps
    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric("α = P/N", f"{net.alpha:.3f}", help=f"P = {net.n_patterns} patterns, N = {net.n_neurons} neurons; "
                                                f"α_c ≈ {hf.ALPHA_C} for random patterns")
    k2.metric(f"Overlap m with ξ{mu}", f"{res.overlaps[0, mu]:.2f} → {m_end[mu]:.2f}",
              help="At the cue and at the end of the run.")
    k3.metric("Closest at the end", pattern_name(res.retrieved, net.labels[res.retrieved]),
              help="The stored pattern with the largest |m_μ| at the end (m < 0: its mirror image -ξ).")
    if res.temperature == 0:
        k4.metric("Sweeps", f"{res.n_sweeps}", "fixed point" if res.converged else "not converged",
                  delta_color="off", delta_arrow="off",
                  help="A fixed point: a whole sweep without a flip; no single flip lowers E.")
    else:
        k4.metric("Sweeps (T > 0)", f"{res.n_sweeps}", help="At T > 0 the state keeps fluctuating.")
    k5.metric("E/N at the end", f"{res.energy_per_neuron[-1]:.3f}",
              f"{res.energy_per_neuron[-1] - res.energy_per_neuron[0]:+.3f} from the cue", delta_color="off",
              delta_arrow="off")

    if net.rule == "hebbian" and net.n_patterns > 1:
        q = net.pattern_overlaps()[~np.eye(net.n_patterns, dtype=bool)]
        failed = res.retrieved != mu or m_end[mu] < 0.95
        if failed and np.abs(q).max() > 0.3:
            st.info(f"The cue did not return to ξ{mu}: the stored patterns overlap by up to {np.abs(q).max():.2f} "
                    "(matrix below; random patterns overlap by about 1/√N), so with the Hebbian rule their "
                    "minima merge into mixture states. The pseudo-inverse rule decorrelates them.",
                    icon=":material/lightbulb:")
        elif failed and res.temperature == 0 and net.alpha > hf.ALPHA_C:
            st.info(f"α = {net.alpha:.3f} is above α_c ≈ {hf.ALPHA_C}: the memories are drowned by the cross-talk "
                    "of the other patterns (see the Capacity view).", icon=":material/lightbulb:")

    if net.image_shape is not None:
        imgs = net.as_images(net.patterns)
        fig, df = stored_patterns(imgs, net.labels, start=mu, note=note)
        figure_with_downloads(fig, df, "hopfield stored patterns", key="hf_stored")
        states = net.as_images(res.states)
        fig, df = recall_strip(imgs[mu], states, res.times, res.overlaps[:, mu], note=note)
        figure_with_downloads(fig, df, "hopfield recall frames", key="hf_strip")
    a, b = st.columns([2, 3])
    with a:
        if net.image_shape is not None:
            fig = recall_animation(states, res.times, res.overlaps[:, mu], res.energy_per_neuron, note=note,
                                   narrow=True)
            figure_with_downloads(fig, res.to_frame(), "hopfield recall animation", key="hf_anim")
        else:
            st.caption("N is not a square: no images for this network.")
    with b:
        fig, df = overlap_traces(res.times, res.overlaps, net.labels, target=mu, note=note, narrow=True)
        figure_with_downloads(fig, df, "hopfield overlaps", key="hf_m")
    a, b = st.columns(2)
    with a:
        fig, df = energy_trace(res.times, res.energy_per_neuron, temperature=res.temperature,
                               converged=res.converged, note=note, narrow=True)
        figure_with_downloads(fig, df, "hopfield energy", key="hf_E")
        st.caption("At T = 0 every asynchronous update lowers E or keeps it: the trace never rises. "
                   "At T > 0 thermal noise lets E fluctuate, and a memory is kept only while T is below the "
                   "retrieval line (Phase diagram view).")
    with b:
        fig, df = pattern_overlap_matrix(net.pattern_overlaps(), net.labels, note=note, narrow=True)
        figure_with_downloads(fig, df, "hopfield pattern overlaps", key="hf_Q")
        st.caption("Binarised digits share most of their background: they overlap by 0.4-0.75, so with the "
                   "Hebbian rule only two of them (e.g. 0 and 1) are recalled; three or more merge into "
                   "mixture states. The pseudo-inverse rule retrieves all ten (upscale 2, 20% noise).")
    with st.expander("Things to try"):
        st.markdown(
            "- Store the digits **0, 1, 4** with the Hebbian rule and start from any of them: the network ends in "
            "a mixture. Switch to the **pseudo-inverse** rule: each digit is recalled.\n"
            "- Raise the **noise** to 0.4 and beyond: the cue falls into another basin, or into the mirror "
            "image -ξ (m = -1), which has the same energy.\n"
            "- **Random** patterns, N = 400: P = 20 (α = 0.05) recalls perfectly; P = 80 (α = 0.2) does not.\n"
            "- Raise **T**: at α ≈ 0.05 the overlap stays high up to T ≈ 0.5 and is lost near T ≈ 0.6; for "
            "α → 0 the recalled overlap is the Curie-Weiss magnetisation m = tanh(m/T).")


# ============================================================================== capacity
CAPACITY_ALPHAS = np.round(np.linspace(0.02, 0.30, 12), 4)


@st.cache_data(show_spinner=False)
def capacity_theory():
    """AGS replica-symmetric m(α) at T = 0 up to α_c (about 0.2 s), and α_c itself."""
    alpha_c = hf.ags_critical_alpha(0.0)
    a = np.linspace(0.02, alpha_c, 50)
    return a, np.array([hf.ags_retrieval(x, 0.0).m for x in a]), alpha_c


def capacity_view():
    st.markdown(
        "For each α, P = αN random patterns are stored (Hebbian rule); zero-temperature recall starts at stored "
        "patterns (optionally corrupted) and runs to a fixed point. Amit, Gutfreund & Sompolinsky (1985): for "
        f"N → ∞ the recalled overlap stays near 1 up to **α_c ≈ {hf.ALPHA_C}** and then jumps to a spin-glass "
        "state with m ≈ 0.")
    c1, c2, c3, c4, c5 = st.columns(5)
    with c1:
        N = params.select_slider("Neurons N", key="hf_cap_N", default=100 if TINY else 500,
                                 options=[100, 200, 300, 500, 700, 1000])
    with c2:
        draws = params.slider("Pattern draws", key="hf_cap_D", default=3 if TINY else 5, min_value=3, max_value=10,
                              help="Independent sets of random patterns per α; the error bars are the standard "
                                   "error over draws.")
    with c3:
        probes = params.slider("Probes per draw", key="hf_cap_R", default=5 if TINY else 10, min_value=5,
                               max_value=20, help="Stored patterns used as starting points in each draw.")
    with c4:
        noise = params.slider("Starting noise", key="hf_cap_p", default=0.0, min_value=0.0, max_value=0.2, step=0.01)
    with c5:
        seed = params.number_input("Seed", key="hf_cap_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    settings = dict(N=int(N), draws=int(draws), probes=int(probes), noise=float(noise), seed=int(seed))
    key = results.make_key("hopfield-capacity", CAPACITY_ALPHAS, settings)
    go_ = st.button("Run the capacity experiment", key="hf_cap_go", type="primary", icon=":material/play_arrow:",
                    help=f"12 storage ratios × {draws} draws × {probes} probes (about 1-3 s at N = 500).")
    if go_:
        with engine_errors("Capacity experiment"):
            st.session_state["hf:cap_running"] = settings
            with (slot := st.empty()).container():  # emptied afterwards: the bar and Stop button go away
                res = run_with_progress("hf_cap", "Capacity experiment", hf.capacity_curve, int(N), CAPACITY_ALPHAS,
                                        n_draws=int(draws), n_probes=int(probes), noise=float(noise), seed=int(seed))
            slot.empty()
            st.session_state.pop("hf_cap:partial", None)
            results.put(key, res)
            st.session_state["hf:cap"] = (settings, res)
    stored = results.get(key)
    raw = partial_result("hf_cap")  # left by a stopped run (a finished run removes it)
    shown, part = None, None
    if stored is not None:
        shown = (settings, stored)
    elif raw is not None and len(raw):
        part = (CAPACITY_ALPHAS[:len(raw)], raw)
        shown = (st.session_state.get("hf:cap_running", settings), None)
        st.warning(f"Stopped after {len(raw)} of {len(CAPACITY_ALPHAS)} storage ratios: the single probes so far "
                   "are drawn (nominal α), without means.", icon=":material/stop_circle:")
    elif "hf:cap" in st.session_state:
        shown = st.session_state["hf:cap"]
        st.caption("Showing the last run, with the settings in its subtitle; press **Run** for the current ones.")
    ta, tm, alpha_c = capacity_theory()
    if shown is None:
        st.info("Press **Run** to simulate; the AGS theory curve is drawn already.", icon=":material/info:")
        note = provenance(theory="AGS replica-symmetric, T = 0")
        res = None
    else:
        s, res = shown
        note = provenance(N=s["N"], draws=s["draws"], probes=s["probes"], starting_noise=s["noise"], T=0.0,
                          rule="Hebbian", seed=s["seed"])
    fig, df = capacity_figure(ta, tm, alpha_c, result=res, partial=part if res is None else None, note=note)
    figure_with_downloads(fig, df, "hopfield capacity", key="hf_cap_fig")
    st.caption("Averaged over probes and pattern draws; single patterns survive above α_c at finite N. "
               "Error bars: standard error of the mean over the independent pattern draws.")
    if res is not None:
        above = res.alphas > alpha_c + 0.01
        if np.any(above):
            st.markdown(
                f"**What comes out** at N = {res.n_neurons}: below α_c the mean final overlap is "
                f"{np.nanmin(res.m_mean[res.alphas < alpha_c]):.3f} or more; at α = {res.alphas[above][0]:.3f} it is "
                f"{res.m_mean[above][0]:.2f} ± {np.nan_to_num(res.m_err[above][0]):.2f} and "
                f"{res.retrieved_fraction[above][0]:.0%} of the probes still end with m ≥ {res.threshold:g}. "
                "The drop sharpens as N grows (try N = 1000 against N = 100); the theory's jump is the N → ∞ limit. "
                f"Well above α_c the runs stop in spin-glass-like local minima that keep a residual overlap "
                f"(m = {res.m_mean[-1]:.2f} at α = {res.alphas[-1]:.2f}) with the starting pattern; the theory's m = 0 "
                "is the overlap of the equilibrium spin-glass state, not of the nearest local minimum.")


# ========================================================================= phase diagram
@st.cache_data(show_spinner=False)
def ags_theory():
    """The AGS lines (about 3 s, once per server process) and the top of the RS re-entrance."""
    diagram = hf.ags_phase_diagram(30)
    bulge = max((hf.ags_critical_alpha(t), t) for t in (0.01, 0.02, 0.03))
    return diagram, bulge


def phase_view():
    with st.spinner("Solving the AGS equations (a few seconds, once per server)…"):
        ags, (a_peak, t_peak) = ags_theory()
    c1, c2, c3, c4, c5 = st.columns(5)
    with c1:
        N = params.select_slider("Neurons N", key="hf_pd_N", default=100 if TINY else 200, options=[100, 200, 400])
    with c2:
        draws = params.slider("Pattern draws", key="hf_pd_D", default=1 if TINY else 2, min_value=1, max_value=5)
    with c3:
        probes = params.slider("Probes per draw", key="hf_pd_R", default=2 if TINY else 4, min_value=1, max_value=8)
    with c4:
        sweeps = params.select_slider("Sweeps per run", key="hf_pd_S", default=20 if TINY else 60,
                                      options=[20, 40, 60, 100, 200],
                                      help="Heat-bath sweeps per run at T > 0; m is averaged over the second half.")
    with c5:
        seed = params.number_input("Seed", key="hf_pd_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    settings = dict(N=int(N), draws=int(draws), probes=int(probes), sweeps=int(sweeps), seed=int(seed))
    key = results.make_key("hopfield-phase-points", settings)
    go_ = st.button("Simulate the grid", key="hf_pd_go", type="primary", icon=":material/play_arrow:",
                    help="6 storage ratios × 6 temperatures; runs start at stored patterns (about 3-6 s at N = 200).")
    if go_:
        with engine_errors("Phase-diagram simulation"):
            with (slot := st.empty()).container():
                pts = run_with_progress("hf_pd", "Simulating the (α, T) grid", hf.phase_diagram_points, int(N),
                                        n_draws=int(draws), n_probes=int(probes), n_sweeps=int(sweeps),
                                        seed=int(seed))
            slot.empty()
            results.put(key, pts)
            st.session_state["hf:pd"] = (settings, pts)
    pts, s = results.get(key), settings
    if pts is None and "hf:pd" in st.session_state:
        s, pts = st.session_state["hf:pd"]
        st.caption("Showing the last simulation, with the settings in its subtitle.")
    note = provenance(theory="AGS replica-symmetric")
    if pts is not None:
        note = provenance(simulation=f"N = {s['N']}", draws=s["draws"], probes=s["probes"], sweeps=s["sweeps"],
                          rule="Hebbian", seed=s["seed"], T="0-1")
    fig, df = phase_diagram_figure(ags, points=pts, note=note)
    figure_with_downloads(fig, df, "hopfield phase diagram", key="hf_pd_fig")
    st.markdown(
        f"**Lines** (replica-symmetric AGS theory, N → ∞). Left of **T_M** retrieval states exist: at T = 0 up to "
        f"α_c = {ags.alpha_c:.4f}. Left of **T_c** they are the global minima of the free energy (α < "
        f"{ags.alpha_global[0]:.3f} at T = 0); between T_c and T_M they are metastable, yet a network started at a "
        "pattern stays there. Below **T_g = 1 + √α** the spin-glass state (q > 0, m = 0) exists; above it the "
        "network is a paramagnet. Along α → 0 retrieval ends at T = 1 (Curie-Weiss).")
    st.caption(
        f"The replica-symmetric T_M line is slightly re-entrant: α_M(T) rises from {ags.alpha_c:.4f} at T = 0 to "
        f"{a_peak:.4f} near T = {t_peak:g} before falling, too small to see at this scale. This is an artefact of "
        "the replica-symmetric approximation (AGS 1987); replica-symmetry breaking corrections are not drawn. "
        "Simulation points (circles: m ≥ 0.5, crosses: m < 0.5) start at a stored pattern, so they test where "
        "retrieval states exist (T_M), not where they are global minima; m is averaged over the second half of "
        "the sweeps, then over probes and draws.")
    if pts is not None:
        text = phase_points_summary(pts, ags.alpha_c)
        if text:
            st.markdown(f"**What comes out:** {text}")


{"Recall": recall_view, "Capacity": capacity_view, "Phase diagram": phase_view}[view]()
