"""Thermal machine: one thermal deep learning machine, run live — aging, accuracy, liquid and solid layers.

Composes ``engine.thermal_machine.run`` (Langevin MD of representations and weights, replicas
split at t_w) with the figure builders of ``ui.fig_thermal``. Opens on a precomputed run from
``sample_models/phase_diagram/``; **Run** starts a live one with progress and Stop (the partial
run is kept and flagged). Huang, Chan, Yoshino, Zhang & Jin, arXiv:2506.06789 (2025);
PHYSICS.md section 5.
"""
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

from engine import thermal_machine as tm
from engine.data import DATASETS
from engine.errors import EngineError
from engine.sweep import load_results
from engine.thermal_machine import ONE_OVER_E, MachineConfig
from ui import catalog, params, results
from ui import fig_thermal as ft
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.progress import partial, run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("thermal_machine.py")
SHIPPED = Path(__file__).resolve().parents[1] / "sample_models" / "phase_diagram"
EXAMPLE = dict(N=3, L=10, seed=1)  # the shipped run shown before a live one: ln α = 4.5, the clearest profile
STEP_OPTIONS = [200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000]
LAST, RUNNING = "th:last", "th:running"

page_header(
    INFO.title,
    "A deep network whose **hidden representations** S_l (one copy per training image) and **weights** J_l are "
    "all physical degrees of freedom in (−1, 1), moved by Langevin dynamics at a tiny temperature. The input "
    "image and the label are clamped; the energy E_l = √(Σ [S_l − tanh(J_l S_(l−1))]²) is zero when every layer "
    "reproduces the next. The machine learns by cooling down, ages, and at the waiting time t_w is copied into "
    "replicas: layers where replicas stay together are **solid**, those where they drift apart are **liquid**.",
    source=INFO.source)

with st.expander("For students: what liquid and solid layers are, and what the integrator does", expanded=False):
    st.markdown(f"""
**Liquid and solid.** After learning, many networks fit the training data equally well. Copy the machine into
R replicas at t_w, give each fresh random velocities, and let them run. In a **solid** layer every replica keeps
the same representation (their overlap q_l stays high): the data pin that layer down. In a **liquid** layer the
replicas wander off to different but equally good representations (q_l decays towards 0). The rule used here
and in the paper: liquid if q*_l = q_l at the last time is below 1/e ≈ {ONE_OVER_E:.3f}. The solid depth
ξ_s = L − (number of liquid layers). The paper finds the layers next to the input and the output solid and the
centre liquid, the solid part growing like ln α with the storage ratio α = M/N (training images per neuron).

**The integrator, literally.** v ← v + F Δt, r ← r + v Δt with F = −∂H/∂r − η v + √(η(2−η) k_BT) ξ, Δt = 0.01,
k_BT = 10⁻⁵. Read literally, the friction removes only η·Δt of the velocity per step, so the energy released by
learning heats the machine and is carried away slowly: it runs hotter than k_BT at first, then cold (its kinetic
temperature ends near k_BT·Δt). Times are counted in **MD steps** (time units = steps × Δt).

**Why watch mean |S_l|.** A per-step damping of η (instead of η·Δt) drives the centre layers to a trivial
solution with |S| ≈ 0.01–0.05: their raw overlap is tiny, so they look "liquid", but the sign network built from
them fails the test set. The amplitude figure marks that zone; the cosine-normalised overlaps, which ignore
amplitudes, are the other check.

**Two networks from one set of weights.** The *tanh network* runs tanh(J_l S) forward — what the machine's
energy asks for. The *sign network* S_l = sgn(J_l S_(l−1)) is the paper's test: it only works if the hidden
representations are far from 0.
""")

# ------------------------------------------------------------------ controls
c1, c2, c3, c4 = st.columns(4)
with c1:
    dataset = params.selectbox("Data set", key="th_ds", default="digits", options=DATASETS,
                               format_func=ft.dataset_label,
                               help="digits: scikit-learn 8×8 digits 0 vs 1, pixels ≥ 8 → +1 else −1 (64 inputs). "
                                    "teacher-student: 20 random ±1 inputs labelled by a random tanh network.")
    M = params.number_input("Training examples M", key="th_M", default=40 if TINY else 120, min_value=2,
                            max_value=5000, step=10,
                            help="At most 270 for digits 0/1 (all of its training images) and 450 for "
                                 "teacher-student; the engine checks.")
    N = params.number_input("Hidden width N", key="th_N", default=4 if TINY else 8, min_value=1, max_value=64, step=1)
with c2:
    L = params.slider("Depth L (weight layers)", key="th_L", default=4 if TINY else 6, min_value=2, max_value=16)
    eta = params.select_slider("Friction η", key="th_eta", default=1e-2,
                               options=[1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1],
                               help="0.01 by default; the paper's 0.001 anneals 10× slower.")
    energy = params.segmented("Energy H", key="th_E", default="sqrt", options=["sqrt", "squared"],
                              format_func={"sqrt": "Σ E_l (paper)", "squared": "Σ E_l²"}.get,
                              help="The square root keeps the force finite near zero energy (the integrator "
                                   "chatters around the minimum); the squared energy is a comparison.")
with c3:
    t_w = params.select_slider("t_w: steps before the split", key="th_tw", default=500 if TINY else 20_000,
                               options=STEP_OPTIONS, format_func=lambda v: f"{v:,}")
    t_run = params.select_slider("t_run: steps after it", key="th_trun", default=500 if TINY else 20_000,
                                 options=STEP_OPTIONS, format_func=lambda v: f"{v:,}")
    n_rep = params.slider("Replicas", key="th_R", default=4, min_value=2, max_value=8,
                          help="≥ 2 for overlaps; ≥ 4 for a meaningful dendrogram.")
with c4:
    seed = params.number_input("Seed", key="th_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    config = MachineConfig(dataset=dataset, M=int(M), N=int(N), L=int(L), eta=float(eta), t_w=int(t_w),
                           t_run=int(t_run), n_replicas=int(n_rep), energy=energy, n_times=10 if TINY else 30)
    estimate = ft.estimated_seconds([config], threads=os.cpu_count() or 1)
    st.caption(f"α = M/N = {M / N:.3g} (ln α = {np.log(M / N):.2f}) · ≈ {max(estimate, 0.1):.0f} s here "
               "(replicas on all cores, idle; up to 2× under load)")
    go = st.button("Run", key="th_go", type="primary", icon=":material/play_arrow:",
                   help="Learn for t_w steps, split into replicas, run t_run more. Stop keeps the run so far.")

key = results.make_key("thermal", config.to_json(), int(seed))
if go:
    with engine_errors("Running the machine"):
        st.session_state[RUNNING] = (config, int(seed))  # still set on the next run = it was interrupted
        try:
            res = run_with_progress("th_run", f"Thermal machine, {config.t_w + config.t_run:,} steps", tm.run,
                                    config, int(seed))
        except EngineError:
            st.session_state.pop(RUNNING, None)
            raise
        st.session_state.pop(RUNNING, None)
        st.session_state.pop("th_run:partial", None)
        results.put(key, res)
        st.session_state[LAST] = res
stopped = partial("th_run")
if stopped is not None and not go:  # Stop (or another widget) interrupted a run after the split: keep it
    st.session_state[LAST] = replace(stopped, stopped=True)
    st.session_state.pop("th_run:partial", None)
    st.session_state.pop(RUNNING, None)
elif st.session_state.get(RUNNING) and not go:
    cfg0, _ = st.session_state.pop(RUNNING)
    st.warning(f"The run was stopped before the split at t_w = {cfg0.t_w:,} steps: there are no replicas yet, so "
               "nothing was kept. Stop after the split keeps the run so far.", icon=":material/stop_circle:")


# ------------------------------------------------------------------ what is shown
@st.cache_data(show_spinner=False, max_entries=4)
def example_run(folder: str):
    """The shipped run of EXAMPLE as (per-layer table, curves), or None if it is not readable."""
    res = load_results(folder)
    f = res.frame
    if f.empty:
        return None
    pick = f[(f["N"] == EXAMPLE["N"]) & (f["L"] == EXAMPLE["L"]) & (f["seed"] == EXAMPLE["seed"])]
    if pick.empty:
        pick = f[f["L"] == f["L"].max()]
    job = pick["job"].iloc[0]
    return f[f["job"] == job].sort_values("layer").reset_index(drop=True), res.curves(job)


found = results.get(key)
if found is not None:
    st.session_state[LAST] = found
shown = st.session_state.get(LAST)
layers = curves = None
if shown is not None:
    layers, curves = shown.to_frame(), shown.series_frame()
    source = "live"
else:
    with engine_errors("Reading the shipped example"):
        ex = example_run(str(SHIPPED))
        if ex is None:
            raise EngineError("the shipped example in sample_models/phase_diagram/ is missing or unreadable")
        layers, curves = ex
    source = "shipped"
    if layers is None:
        st.info("Press **Run** to start a machine.", icon=":material/info:")
        st.stop()
meta = ft.run_meta(layers)
L_shown = int(meta["L"])

if source == "shipped":
    st.info(f"Showing a **precomputed run** from sample_models/phase_diagram/ (digits 0/1, M = {meta['M']}, "
            f"N = {meta['N']}, L = {L_shown}, η = {meta['eta']:g}, t_w = t_run = {meta['t_w']:,} steps, "
            f"{meta['n_replicas']} replicas, seed {meta['seed']}; about a minute of computing). Press **Run** for "
            f"a live machine with the settings above (≈ {max(estimate, 0.1):.0f} s); the replica clustering and "
            "P(Q) need a live run.", icon=":material/info:")
elif shown.config != config or shown.seed != int(seed):
    st.caption("Showing the run made last in this session, with the settings in the figures' subtitles; press "
               "**Run** for the current ones.")
if source == "live" and shown.stopped:
    last = int(shown.times[-1]) if len(shown.times) else 0
    st.warning(f"**Stopped run**: stopped at step {last:,} of {shown.config.t_w + shown.config.t_run:,}. The curves "
               "end early and q*, τ and the clustering are taken at the last measured time, not after the full "
               "t_run.", icon=":material/stop_circle:")


# ------------------------------------------------------------------ numbers
def at_step(series: str, step: int) -> float:
    s = curves[(curves["series"].astype(str) == series) & (curves["step"] == step)]
    return float(s["value"].iloc[0]) if len(s) else float("nan")


def last_of(series: str) -> tuple[float, float]:
    s = curves[curves["series"].astype(str) == series]
    return (float(s["value"].iloc[-1]), float(s["err"].iloc[-1])) if len(s) else (float("nan"), float("nan"))


row = layers.iloc[0]
acc_s, acc_s_err = last_of("acc_sign")
acc_t, acc_t_err = last_of("acc_tanh")
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("H/H(0) at the end", f"{row['energy_ratio']:.2g}", help="Energy relative to the random start.")
m2.metric("Test accuracy, sign net", f"{acc_s:.2f}" + (f" ± {acc_s_err:.2f}" if np.isfinite(acc_s_err) else ""),
          help="Mean ± s.e. over the replicas at the last time.")
m3.metric("Test accuracy, tanh net", f"{acc_t:.2f}" + (f" ± {acc_t_err:.2f}" if np.isfinite(acc_t_err) else ""))
m4.metric("Solid depth ξ_s (raw)", f"{int(row['xi_s'])} of {L_shown}",
          help=f"Cosine rule: {int(row['xi_s_cosine'])}.")
m5.metric("CPU time", f"{row['cpu_seconds']:.1f} s" if np.isfinite(row["cpu_seconds"]) else "—")

# ------------------------------------------------------------------ before and after the split
st.subheader("Learning and aging")
fig, df = ft.aging_figure(curves, meta)
figure_with_downloads(fig, df, "thermal machine energy", key="th_energy")
a, b = st.columns(2)
with a:
    fig, df = ft.accuracy_figure(curves, meta)
    figure_with_downloads(fig, df, "thermal machine accuracy", key="th_acc")
with b:
    fig, df = ft.amplitude_figure(curves, meta)
    figure_with_downloads(fig, df, "thermal machine mean abs S", key="th_abs")

st.subheader("After the split: correlations, the liquid/solid profile, relaxation times")
has_lags = curves["series"].astype(str).isin(["c", "q"]).any()
if not has_lags:
    st.info("This run ended before t_w: there are no replicas, so no overlaps.", icon=":material/info:")
else:
    cosine = params.toggle("Cosine-normalised overlaps", key="th_cos", default=False,
                           help="Σ x y / √(Σ x² Σ y²) instead of the raw mean of x·y: it starts at 1 in every layer "
                                "(as the paper's plots do) and ignores the amplitude |S|.")
    fig, df = ft.correlation_figure(curves, meta, cosine=cosine)
    figure_with_downloads(fig, df, f"thermal machine correlations{' cosine' if cosine else ''}", key="th_corr")
    a, b = st.columns(2)
    with a:
        fig, df = ft.profile_figure(layers, meta, cosine=cosine)
        figure_with_downloads(fig, df, "thermal machine q_star profile", key="th_profile")
    with b:
        fig, df = ft.tau_figure(layers, meta)
        figure_with_downloads(fig, df, "thermal machine relaxation times", key="th_tau")
        st.caption("The raw c_l starts at the mean S_l² of the layer, not at 1, so a layer with small amplitudes "
                   "starts below 1/e (NaN) although it may hardly move; the cosine c_l starts at 1 and measures "
                   "decorrelation alone. ∞: still above 1/e when the run ended.")

    # ---------------------------------------------------------------- what it shows, in words
    hidden = layers[layers["layer"] < L_shown]
    liquid_col = "liquid_cosine" if cosine else "liquid"
    q_col = "q_star_cosine" if cosine else "q_star"
    solid = ~hidden[liquid_col].to_numpy(dtype=bool)
    shape = ("**solid-liquid-solid**" if solid[0] and solid[-1] and (~solid).any() else
             "**all solid**" if solid.all() else "**all liquid**" if not solid.any() else
             "solid next to the input only" if solid[0] and not solid[-1] else
             "solid next to the output only" if solid[-1] and not solid[0] else "mixed")
    amp = hidden["mean_abs_s"].to_numpy(dtype=float)
    t_w_shown = int(meta["t_w"])
    acc_split = at_step("acc_sign", t_w_shown)
    parts = [
        f"Profile ({'cosine' if cosine else 'raw'} q*): {shape} — solid layers "
        f"{ft.layer_ranges([int(v) for v in hidden['layer'][solid]]) or 'none'}, liquid "
        f"{ft.layer_ranges([int(v) for v in hidden['layer'][~solid]]) or 'none'}; q*_1 = {hidden[q_col].iloc[0]:.2f}, "
        f"q*_{L_shown - 1} = {hidden[q_col].iloc[-1]:.2f}, ξ_s = {int(row['xi_s_cosine' if cosine else 'xi_s'])}.",
        f"Mean |S_l| at the end: {amp.min():.2f}–{amp.max():.2f}"
        + (f" — **layers {ft.layer_ranges([int(v) for v in hidden['layer'][amp < 0.05]])} are near the collapsed "
           "solution (|S| < 0.05)**: their small raw q* says little." if (amp < 0.05).any() else
           " (no layer near the collapsed 0.01–0.05)."),
        f"Sign-network test accuracy {acc_split:.2f} at t_w → {acc_s:.2f} at the end; tanh network "
        f"{at_step('acc_tanh', t_w_shown):.2f} → {acc_t:.2f}."
        + (" The sign network loses accuracy after the split while the tanh network keeps it — consistent with "
           "replicas moving along directions where the tanh constraints barely change but the signs do (the "
           "shipped sweep's README discusses this)." if acc_s < acc_split - 0.1
           and acc_t >= at_step("acc_tanh", t_w_shown) - 0.05 else ""),
    ]
    tau = hidden["tau"].to_numpy(dtype=float)
    never = ft.layer_ranges([int(v) for v in hidden["layer"][np.isinf(tau)]])
    at_once = ft.layer_ranges([int(v) for v in hidden["layer"][np.isnan(tau)]])
    if never or at_once:
        parts.append("τ_l: " + "; ".join(
            ([f"∞ in layers {never} (c_l still above 1/e after t_run = {int(meta['t_run']):,} steps)"] if never else [])
            + ([f"NaN in layers {at_once} (c_l already below 1/e at the first measured lag)"] if at_once else []))
            + ".")
    st.markdown(ft.markdown_safe("  \n".join(parts)))

# ------------------------------------------------------------------ replica clustering and P(Q)
st.subheader("Replicas: clustering and the distribution of overlaps")
if source != "live" or shown.Q_ab.shape[-1] < 2:
    st.info("The replica-by-replica overlaps Q^ab are kept only for a live run: press **Run** (4 replicas or more "
            "give a meaningful dendrogram).", icon=":material/info:")
else:
    k1, k2, k3 = st.columns([1, 2, 1])
    with k1:
        kind = params.segmented("Overlaps of", key="th_kind", default="weights", options=["weights", "spins"],
                                format_func={"weights": "weights Q^ab", "spins": "spins q^ab"}.get)
    n_layers = L_shown if kind == "weights" else L_shown - 1
    with k2:
        opts = list(range(1, n_layers + 1))
        if st.session_state.get("ctl:th_layer") not in opts:
            st.session_state.pop("ctl:th_layer", None)
        layer = params.select_slider("Layer", key="th_layer", default=(n_layers + 1) // 2, options=opts)
    with k3:
        cos_ab = params.toggle("Cosine-normalised", key="th_cos_ab", default=True)
    with engine_errors("Clustering the replicas"):
        clus = shown.clustering(int(layer), kind=kind, cosine=bool(cos_ab))
        a, b = st.columns(2)
        with a:
            fig, df = ft.dendrogram_figure(clus, meta, cosine=bool(cos_ab))
            figure_with_downloads(fig, df, f"dendrogram {kind} layer {layer}", key="th_dendro")
        with b:
            ab = (shown.Q_ab_cos if cos_ab else shown.Q_ab) if kind == "weights" else \
                (shown.q_ab_cos if cos_ab else shown.q_ab)
            fig, df = ft.overlap_distribution_figure(ab, meta, layer=int(layer), kind=kind, cosine=bool(cos_ab))
            figure_with_downloads(fig, df, f"P(Q) {kind}", key="th_pq")
        R = shown.Q_ab.shape[-1]
        st.caption(f"{R} replicas → {R * (R - 1) // 2} pairs per layer: P(Q) is a handful of values, not a smooth "
                   "distribution. Liquid layers: every pair near 0 (one peak). Solid layers: pairs near 1, or "
                   "groups (hierarchical clusters in the dendrogram)."
                   + (" With fewer than 4 replicas the dendrogram has too few leaves to show a hierarchy." if R < 4
                      else ""))
