"""Network as a Hamiltonian: a random MLP as an energy function over its inputs (PHYSICS.md section 6).

Composes engine.input_hamiltonian (the spherical spin-glass theory of the network's NNGP mixture ξ,
and the finite-width Langevin simulation) with the figure builders of ui.fig_input_hamiltonian.
A theory page: it does not use the current model.
"""
import math

import numpy as np
import streamlit as st

from engine import input_hamiltonian as ih
from engine.activations import ACTIVATIONS as SIMULABLE
from engine.errors import EngineError
from ui import catalog, fig_input_hamiltonian as figs
from ui import params, results
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.progress import run_with_progress
from ui.shell import page_header

INFO = catalog.page_info("input_hamiltonian.py")
page_header(INFO.title, "Fix the weights of a random network and read its output as an **energy over its inputs**: "
            "H(x) = √N0 · (network output) on the sphere |x|² = N0, inputs drawn with probability "
            "$\\propto e^{-\\beta H(x)}$. "
            "Is the landscape one smooth valley — **replica symmetric (RS)**: two inputs drawn at the same "
            "temperature always have the same overlap — or does it **break replica symmetry**: two overlaps "
            "(1RSB, many equivalent valleys) or a continuum (full RSB, valleys within valleys)? At infinite width "
            "the network is a spherical mixed p-spin glass whose mixture ξ(q) is the network's covariance kernel.",
            source=INFO.source)
st.caption("A theory page: everything here is about random networks with the chosen activation, depth and "
           "variances; the current model in the sidebar is not used.")

TINY = catalog.TINY
ACTIVATIONS = ("tanh", "relu", "sin", "erf", "linear", "shaped_tanh", "shaped_relu", "sigmoid")
BETAS = np.geomspace(0.1, 20, 60)  # the theory's grid
OVERVIEW_ACTS, OVERVIEW_DEPTHS = ("linear", "tanh", "relu", "sin", "erf"), (1, 2, 3, 5)
REFERENCE = (1.0, 0.0)  # (C_W, C_b) of the overview that is computed without asking
MAX_SIM_BETAS = 8  # temperatures per simulation (one P(q) panel each)
#: Rough throughput of the sampler on this shared machine (floating-point operations per second and
#: seconds per Langevin step of overhead), fitted to the engine author's runs; only for the estimate.
FLOPS_PER_S, STEP_OVERHEAD_S = 5e9, 6e-5


# ------------------------------------------------------------------ cached adapters (pure engine calls)
@st.cache_resource(show_spinner=False, max_entries=64)
def covariance_table(act: str, depth: int, cw: float, cb: float) -> ih.TabulatedCovariance:
    """ξ and ξ' tabulated once per setting (read-only; every theory call below reuses it)."""
    return ih.TabulatedCovariance(ih.nngp_kernel(act, depth, cw, cb))


@st.cache_data(show_spinner=False, max_entries=128)
def kernel_frame(act: str, depth: int, cw: float, cb: float):
    return ih.nngp_kernel(act, depth, cw, cb).to_frame(np.linspace(0.0, 1.0, 201))


@st.cache_data(show_spinner=False, max_entries=128)
def theory(act: str, depth: int, cw: float, cb: float) -> dict:
    """Thermodynamics on the β grid, the AT point, the zero-temperature solution and the verdict."""
    t = covariance_table(act, depth, cw, cb)
    return {"thermo": ih.thermodynamics(t, BETAS), "at": ih.at_point(t), "gs": ih.ground_state(t),
            "verdict": ih.classify(act, depth, cw, cb)}


@st.cache_data(show_spinner=False, max_entries=128)
def theory_at(act: str, depth: int, cw: float, cb: float, betas: tuple) -> dict:
    """The theory at a simulation's temperatures: thermodynamics and P(q) per β."""
    t = covariance_table(act, depth, cw, cb)
    return {"thermo": ih.thermodynamics(t, np.array(betas)),
            "overlaps": [ih.overlap_distribution(t, b) for b in betas]}


def overview_key(cw: float, cb: float) -> tuple:
    return results.make_key("inputham:verdicts", OVERVIEW_ACTS, OVERVIEW_DEPTHS, cw, cb)


def overview(cw: float, cb: float):
    """The verdict table (5 activations × 4 depths), kept process-wide once computed (~5 s)."""
    df = results.get(overview_key(cw, cb))
    if df is None:
        df = results.put(overview_key(cw, cb), ih.verdict_table(OVERVIEW_ACTS, OVERVIEW_DEPTHS, cw, cb))
    return df


def parse_betas(text: str) -> tuple:
    """The β ladder typed by the user; the engine checks that it is positive and increasing."""
    return params.parse_numbers(text, "β ladder", float, max_count=MAX_SIM_BETAS)


def rough_seconds(n0, ratio, depth, n_betas, n_draws, n_steps, n_chains=4, n_descents=8, descent_steps=300):
    """A rough run time: matrix-product work (forward + backward, as the engine budgets it) plus per-step overhead."""
    width = max(1, round(ratio * n0))
    per_row = 6 * (n0 * width + (depth - 1) * width * width + width)
    flops = n_draws * per_row * (n_steps * n_betas * n_chains + 2 * descent_steps * n_descents)
    return flops / FLOPS_PER_S + n_draws * (n_steps + descent_steps) * STEP_OVERHEAD_S


def simulate_live(settings: dict, live, th: dict, setting: str, callback):
    """ih.simulate with the energy figure redrawn in ``live`` after every finished weight draw."""
    def cb(p):
        stop = callback(p)
        if p.data is not None and p.data.n_draws:
            fig, _ = figs.thermo_figure(th["thermo"], th["at"], setting=setting, sim=p.data)
            live.plotly_chart(fig, width="stretch", key=f"ih_live_{p.data.n_draws}")
        return stop

    return ih.simulate(**settings, callback=cb)


def figure(name: str, key, build):
    """``build()`` -> (figure, frame), rebuilt only when ``key`` (what the figure shows) changes.

    Building a Plotly figure costs 0.1-0.3 s on a loaded machine; reruns caused by other widgets
    (the simulation's controls, Run, Stop) reuse this session's figures instead.
    """
    store = st.session_state.setdefault("ih_figures", {})
    if name not in store or store[name][0] != key:
        store[name] = (key, build())
    return store[name][1]


def percent(x: float) -> str:
    return "0" if x == 0 else (f"{100 * x:.2g} %" if x >= 1e-4 else f"{x:.1e}")


# ------------------------------------------------------------------ controls
c1, c2, c3, c4 = st.columns([1.2, 1.6, 1.6, 1.6])
with c1:
    act = params.selectbox("Activation σ", key="ih_act", default="tanh", options=ACTIVATIONS,
                           help="shaped_tanh: √L·tanh(x/√L); shaped_relu: slopes 1 ± 1/√L; L = the depth.")
with c2:
    depth = params.slider("Depth L (hidden layers)", key="ih_L", default=1, min_value=1, max_value=10,
                          help="L hidden layers, so L + 1 weight matrices.")
with c3:
    cw = params.slider("Weight variance C_W", key="ih_cw", default=1.0, min_value=0.5, max_value=5.0, step=0.05,
                       help="W_ij ~ N(0, C_W / fan-in).")
with c4:
    cb = params.slider("Bias variance C_b", key="ih_cb", default=0.0, min_value=0.0, max_value=0.5, step=0.01,
                       help="b_i ~ N(0, C_b).")
depth, cw, cb = int(depth), round(float(cw), 6), round(float(cb), 6)
SETTING = figs.setting_note(act, depth, cw, cb)

th = None
with engine_errors("Theory"):
    th = theory(act, depth, cw, cb)
if th is None:
    st.stop()
gs, verdict, at = th["gs"], th["verdict"], th["at"]

m = st.columns(6)
m[0].metric("Verdict (T = 0)", verdict.verdict, help="Replica symmetry of the ground state at infinite width, "
            "certified by the first-order condition of the (convex) zero-temperature functional.")
m[1].metric("Ground state GS", f"{gs.energy:.5f}", help="GS = max H/N0 as N0 → ∞: the lowest energy density "
            "⟨H⟩/N0 any input reaches is −GS.")
m[2].metric("RS value √ξ′(1)", f"{gs.rs_energy:.5f}", help="What replica symmetry would give for GS.")
m[3].metric("RSB lowers GS by", percent(gs.rsb_gain), help="(RS value − GS)/GS: how much breaking replica "
            "symmetry matters at T = 0.")
m[4].metric("ξ″(1)/ξ′(1)", figs.fmt(gs.at_ratio), help="The zero-temperature AT condition: RS is locally stable "
            "at T = 0 only if ≤ 1. ReLU-type kinks make ξ″ diverge at q = 1.")
m[5].metric("AT point T_AT", "none" if not math.isfinite(at.beta) else f"{at.temperature:.4g}",
            help="de Almeida-Thouless: the temperature below which the RS solution is unstable (searched for "
                 "β ≤ 1000).")
st.caption(f"**Diagnostic.** {verdict.diagnostic}.")
st.info(verdict.note, icon=":material/info:")

tab_theory, tab_sim, tab_overview = st.tabs([":material/functions: Theory", ":material/casino: Simulation vs theory",
                                             ":material/table_chart: Overview & the paper"])

# ------------------------------------------------------------------ theory
with tab_theory:
    st.markdown("**1 · The kernel.** Two inputs with overlap q = x·x′/N0 give outputs with covariance N0·ξ(q). "
                "Expanding ξ(q) = Σ c_p q^p makes H a sum of p-spin interactions over the inputs: ξ linear means "
                "an ordinary field (trivial landscape), curvature ξ″ means interactions that can make valleys.")
    with engine_errors("Kernel"):
        fig, df = figure("kernel", (act, depth, cw, cb),
                         lambda: figs.kernel_figure(kernel_frame(act, depth, cw, cb), setting=SETTING))
        figure_with_downloads(fig, df, f"kernel {act} L{depth} cw{cw:g} cb{cb:g}", key="ih_kernel")

    st.markdown("**2 · Finite temperature.** The mean energy and the overlap of two independently drawn inputs, "
                "from the replica solution (Crisanti-Sommers). Shaded: temperatures where replica symmetry is "
                "broken; dashed: the RS answer where it is no longer right; ◆: the de Almeida-Thouless point.")
    thermo = th["thermo"]
    fig, df = figure("thermo", (act, depth, cw, cb), lambda: figs.thermo_figure(thermo, at, setting=SETTING))
    figure_with_downloads(fig, df, f"thermodynamics {act} L{depth} cw{cw:g} cb{cb:g}", key="ih_thermo")
    phases = sorted(set(thermo.phase), key=figs.PHASES.index)
    where = ("RS over the whole range shown" if phases == ["RS"] else
             f"replica symmetry breaks from β = {thermo.beta_rsb:.3g} (T = {1 / thermo.beta_rsb:.3g}) on the grid, "
             f"as {' then '.join(p for p in phases if p != 'RS')}")
    at_text = ("no AT instability for β ≤ 1000" if not math.isfinite(at.beta) else
               f"the RS branch becomes unstable at β_AT = {at.beta:.4g} (T_AT = {at.temperature:.4g})"
               + (", beyond the plotted range" if at.beta > BETAS[-1] else ""))
    st.caption(f"{where[0].upper() + where[1:]}; {at_text}. Energies are ⟨H⟩/N0 under $e^{{-\\beta H}}$; "
               f"at β → ∞ they approach −GS = {-gs.energy:.4f}.")

    st.markdown("**3 · Entropy.** How much of the sphere of inputs lies at energy E (log of the volume per input "
                "dimension, relative to the whole sphere). It falls to −∞ at the ground state.")
    fig, df = figure("entropy", (act, depth, cw, cb), lambda: figs.entropy_figure(thermo, at, gs, setting=SETTING))
    figure_with_downloads(fig, df, f"entropy {act} L{depth} cw{cw:g} cb{cb:g}", key="ih_entropy")

    st.markdown("**4 · Zero temperature.** GS is the minimum of a convex functional over concave, non-increasing "
                "χ(q) (Chen & Sen 2017). A flat χ is RS; one kink is 1RSB; a smoothly bending χ is full RSB.")
    fig, df = figure("ground", (act, depth, cw, cb), lambda: figs.ground_state_figure(gs, setting=SETTING))
    figure_with_downloads(fig, df, f"ground state {act} L{depth} cw{cw:g} cb{cb:g}", key="ih_gs")
    if gs.verdict == "full-RSB-like" and math.isfinite(gs.support[0]):
        conc = {True: "ξ″^(−1/2) is concave there, as a continuum requires",
                False: "but ξ″^(−1/2) is not concave there, so it is at best a discretised approximation",
                None: ""}[gs.concave_on_support]
        st.caption(f"α grows over q ∈ [{gs.support[0]:.3f}, {gs.support[1]:.3f}]" + (f"; {conc}." if conc else "."))

# ------------------------------------------------------------------ simulation
with tab_sim:
    st.markdown("A concrete random network of finite width, inputs sampled from $e^{-\\beta H}$ by Langevin dynamics "
                "on the sphere with parallel tempering over the β ladder (4 chains per β), averaged over independent "
                "weight draws; then 8 gradient descents per draw look for the ground state. **Green** is the "
                "simulation (± one standard error over draws), **black** the infinite-width theory of the tab "
                "before (N0 → ∞). The run uses the activation, depth and variances chosen above.")
    can_simulate = act in SIMULABLE
    if not can_simulate:
        st.info(f"The simulation runs activations {', '.join(SIMULABLE)}; {act} is theory-only on this page.",
                icon=":material/info:")
    s1, s2, s3, s4, s5, s6 = st.columns([1, 1.2, 1.4, 1.1, 1.3, 0.9])
    with s1:
        n0 = params.select_slider("Input dimension N0", key="ih_n0", default=16 if TINY else 32, options=[16, 32, 64])
    with s2:
        ratio = params.select_slider("Width ratio N1/N0", key="ih_ratio", default=1 if TINY else 4,
                                     options=[1, 4, 16, 64], help="Every hidden layer has N1 = ratio·N0 neurons; "
                                     "the theory is the limit ratio → ∞.")
    with s3:
        betas_text = params.bound(st.text_input, "β ladder (comma-separated)", key="ih_betas", default="0.5, 1, 2",
                                  help=f"1 to {MAX_SIM_BETAS} inverse temperatures, increasing.")
    with s4:
        n_draws = params.select_slider("Weight draws", key="ih_draws", default=2 if TINY else 4,
                                       options=[2, 4, 8, 16, 32])
    with s5:
        n_steps = params.select_slider("Langevin steps", key="ih_steps", default=200 if TINY else 2000,
                                       options=[200, 500, 1000, 2000, 4000, 8000],
                                       help="Per draw; the first half is burn-in. Step size η = 0.01.")
    with s6:
        seed = params.number_input("Seed", key="ih_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)

    try:
        ladder = parse_betas(betas_text)
    except EngineError:
        ladder = None  # reported when Run is pressed
    sim_key = None
    if ladder is not None:
        sim_key = results.make_key("inputham:simulate", act, depth, cw, cb, int(n0), int(ratio), ladder,
                                   int(n_draws), int(n_steps), int(seed))
        est = rough_seconds(int(n0), int(ratio), depth, len(ladder), int(n_draws), int(n_steps))
        secs = f"{est:.1f}" if est < 10 else f"{est:.0f}"
        msg = (f"Hidden width {int(round(ratio * n0))}, {len(ladder)} temperatures × 4 chains, {n_draws} draws × "
               f"{n_steps} steps: roughly {secs} s (a rough estimate; longer while the machine is busy)")
        if est > 30:
            st.warning(msg + ". Wide networks are slow (N1/N0 = 64 with N0 = 64 and 32 draws took about 150 s "
                       "under load); Stop keeps the draws that finished.", icon=":material/hourglass_top:")
        else:
            st.caption(msg + ".")
    go_sim = st.button("Run simulation", key="ih_sim_go", type="primary", icon=":material/play_arrow:",
                       disabled=not can_simulate)
    bar, live = st.empty(), st.empty()

    stopped = st.session_state.pop("ih_sim:partial", None)
    if stopped is not None:  # a Stop click interrupted the run: keep the finished draws
        st.session_state["ih_sim_last"] = (st.session_state.get("ih_sim_running"), stopped)
    if go_sim:
        with engine_errors("Simulation"):
            ladder = parse_betas(betas_text)
            settings = dict(activation=act, depth=depth, n0=int(n0), width_ratio=float(ratio), weight_variance=cw,
                            bias_variance=cb, betas=ladder, n_draws=int(n_draws), n_steps=int(n_steps),
                            seed=int(seed))
            st.session_state["ih_sim_running"] = sim_key
            with bar.container():  # (so that the bar and Stop button go away when the run ends)
                res = run_with_progress("ih_sim", "Sampling inputs", simulate_live, settings, live, th, SETTING)
            st.session_state.pop("ih_sim:partial", None)
            bar.empty()
            live.empty()
            if res.complete:
                results.put(sim_key, res)
            st.session_state["ih_sim_last"] = (sim_key, res)

    shown_key, shown = (sim_key, results.get(sim_key)) if sim_key is not None else (None, None)
    if shown is None and "ih_sim_last" in st.session_state:
        shown_key, shown = st.session_state["ih_sim_last"]
    if shown is None:
        st.info("Press **Run simulation** to sample inputs of random networks with these settings "
                "(the defaults take about a second).", icon=":material/play_circle:")
    else:
        s_setting = figs.setting_note(shown.activation, shown.depth, shown.weight_variance, shown.bias_variance)
        if shown_key != sim_key:
            st.info(f"Showing your last run ({s_setting}; {figs.sim_note(shown)}), with the theory for *its* "
                    "settings. The controls have changed since: press **Run simulation** for the current ones.",
                    icon=":material/history:")
        if not shown.complete:
            st.warning(f"Stopped early: {shown.n_draws} weight draws finished.", icon=":material/stop_circle:")
        with engine_errors("Theory for the simulation"):
            s_th = theory(shown.activation, shown.depth, shown.weight_variance, shown.bias_variance)
            s_at = theory_at(shown.activation, shown.depth, shown.weight_variance, shown.bias_variance,
                             tuple(float(b) for b in shown.beta))
            comp = figs.comparison_frame(shown, s_at["thermo"], s_at["overlaps"])

            shown_id = (shown_key, shown.n_draws, shown.complete)
            fig, df = figure("sim_thermo", shown_id, lambda: figs.thermo_figure(
                s_th["thermo"], s_th["at"], setting=s_setting, sim=shown, theory_at_sim=s_at["thermo"]))
            figure_with_downloads(fig, df, "simulation energy and overlap", key="ih_sim_thermo")
            sig = comp["|gap| / s.e."].to_numpy(float)
            worst = float(np.nanmax(sig)) if np.isfinite(sig).any() else math.nan
            head = (f"Mean |⟨H⟩/N0 (simulation) − theory| = {comp['gap'].abs().mean():.4f} over {len(comp)} "
                    f"temperatures (largest {figs.fmt(worst, 2)} standard errors). ")
            if worst <= 3:
                body = ("That is within the simulation's error bars. The theory is the limit N0 → ∞ at infinite "
                        "width: a gap of order 1/N0 remains even at a large width ratio, and the gap shrinks as "
                        "N1/N0 grows (reference below).")
            else:
                swaps = np.asarray(shown.swap_acceptance, float)
                swap = (f" (tempering swap acceptance down to {np.nanmin(swaps):.2f})"
                        if np.isfinite(swaps).any() else "")
                body = (f"That is more than the error bars allow. This network (N0 = {shown.n0}, N1/N0 = "
                        f"{shown.width_ratio:g}) is not yet the infinite-width, N0 → ∞ system of the theory, which "
                        "matters most for strongly non-linear settings (large C_W, deep nets, sin), and chains that "
                        f"have not equilibrated bias ⟨H⟩ upward{swap}. Raise N1/N0 or the number of steps: "
                        "if the gap shrinks, that was the reason.")
            st.caption(head + body)
            st.dataframe(comp, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.4f") for c in comp.columns
                                        if c not in ("β", "theory phase")})

            fig, df = figure("sim_pq", shown_id,
                             lambda: figs.overlap_figure(shown, s_at["overlaps"], setting=s_setting))
            figure_with_downloads(fig, df, "simulation overlap distribution", key="ih_sim_pq")
            notes = ["Bars: the histogram of x·x′/N0 over all pairs of the 4 chains at each β and all kept samples; "
                     "black lines: the theory's overlap values (length and number ∝ weight)."]
            if shown.n_draws < 2:
                notes.append("With one weight draw P(q) has no error bars.")
            if any(o.phase != "RS" for o in s_at["overlaps"]):
                notes.append("Where the theory breaks replica symmetry the peaks are only resolved once N0 is "
                             "large and the chains equilibrate between valleys (watch the swap acceptance).")
            else:
                notes.append(f"The theory is RS at every β here: one peak, of width about 1/√N0 = "
                             f"{1 / math.sqrt(shown.n0):.2f} at N0 = {shown.n0}.")
            st.caption(" ".join(notes))

            fig, df = figure("sim_gs", shown_id, lambda: figs.descent_figure(shown, s_th["gs"], setting=s_setting))
            figure_with_downloads(fig, df, "simulation ground states", key="ih_sim_gs")
            mean, err, spread = shown.ground_energy
            with np.errstate(all="ignore"):
                best = float(np.nanmean(np.nanmin(shown.ground_energies, axis=1))) if shown.n_draws else math.nan
            st.caption(f"Descents end at H/N0 = {mean:.4f} ± {figs.fmt(err, 2)} (mean over draws ± s.e.; spread "
                       f"{figs.fmt(spread, 2)} over all descents); the lowest of each draw averages {best:.4f}, "
                       f"against the theory's −GS = {-s_th['gs'].energy:.4f}. Gradient descent stops in the nearest "
                       "minimum, above the global one, and at finite N0 the global minimum itself fluctuates between "
                       "draws.")

    with st.expander("Reference: how the gap closes with width (measured by benchmarks/bench_input_hamiltonian.py)"):
        st.markdown(f"tanh, C_W = 1, C_b = 0, one hidden layer (RS at every β), N0 = 64, 32 weight draws, "
                    f"β = 0.5, 1, 2, 4, measured on a shared machine. The descent minima approach the theory's "
                    f"−GS = −{figs.BENCHMARK_GS} as the width grows.")
        st.dataframe(figs.BENCHMARK_WIDTH_GAP, hide_index=True)

# ------------------------------------------------------------------ overview and the paper
with tab_overview:
    st.markdown(f"**Which random networks break replica symmetry?** The zero-temperature verdict at infinite width "
                f"for {len(OVERVIEW_ACTS)} activations × {len(OVERVIEW_DEPTHS)} depths. Each cell: the verdict, "
                "the ground state GS and how much breaking replica symmetry lowers it (often very little).")
    ref = None
    with engine_errors("Verdict table"), st.spinner(
            f"Classifying {len(OVERVIEW_ACTS) * len(OVERVIEW_DEPTHS)} networks (about 5 s, once per server)…"):
        ref = overview(*REFERENCE)
    current = ref if (cw, cb) == REFERENCE else results.get(overview_key(cw, cb))
    if current is None:
        if st.button(f"Classify at C_W = {cw:g}, C_b = {cb:g}", key="ih_over_go", icon=":material/table_chart:",
                     help="About 5 s; kept for these variances."):
            with engine_errors("Verdict table"), st.spinner("Classifying…"):
                current = overview(cw, cb)
        else:
            st.caption(f"Shown for C_W = {REFERENCE[0]:g}, C_b = {REFERENCE[1]:g}; press the button for the "
                       "variances chosen above.")
    table = current if current is not None else ref
    if table is not None:
        r0 = table.iloc[0]
        fig, df = figure("verdicts", (r0["weight_variance"], r0["bias_variance"]), lambda: figs.verdict_figure(table))
        figure_with_downloads(fig, df, f"verdicts cw{r0['weight_variance']:g} cb{r0['bias_variance']:g}",
                              key="ih_verdicts")
        with st.expander("The numbers behind each verdict"):
            st.dataframe(table[["activation", "depth", "verdict", "ground_energy", "rs_energy", "rsb_gain",
                                "rs_margin", "at_ratio", "one_rsb_violation", "beta_at", "diagnostic"]],
                         hide_index=True, width="stretch",
                         column_config={"rsb_gain": st.column_config.NumberColumn(format="%.2e"),
                                        "rs_margin": st.column_config.NumberColumn(format="%.2e"),
                                        "one_rsb_violation": st.column_config.NumberColumn(format="%.2e")})
            st.caption("rs_margin = min_s [ξ(1) − ξ(s) − ξ′(1)(1 − s²)/2] (≥ 0 exactly when RS holds at T = 0); "
                       "at_ratio = ξ″(1)/ξ′(1); one_rsb_violation: the 1RSB solution's first-order-condition "
                       "residual (≈ 0 when 1RSB is exact); beta_at: the AT point on the RS branch.")

    if ref is not None:
        def row(a, d):
            return ref[(ref["activation"] == a) & (ref["depth"] == d)].iloc[0]

        def onset(a):
            """'RS at L = 1, 2, then 1RSB from L = 3 with GS lowered by 1e-09 to 2e-05', read from the table."""
            rows = ref[ref["activation"] == a]
            rs, broken = rows[rows["verdict"] == "RS"], rows[rows["verdict"] != "RS"]
            parts = [f"RS at L = {', '.join(str(int(d)) for d in rs['depth'])}"] if len(rs) else []
            if len(broken):
                parts.append(f"{' / '.join(dict.fromkeys(broken['verdict']))} from L = {int(broken['depth'].min())} "
                             f"with GS lowered by {broken['rsb_gain'].min():.0e} to {broken['rsb_gain'].max():.0e}")
            return ", then ".join(parts)

        relu1, lin1 = row("relu", 1), row("linear", 1)
        st.subheader("Where this theory and the paper differ")
        st.markdown(
            f"The numbers below are this solver's, at C_W = {REFERENCE[0]:g}, C_b = {REFERENCE[1]:g} (the table's "
            "reference). Winer & Hanin's classification comes from PHYSICS.md (the paper's full text was not "
            "available): **sin → full RSB; shallow tanh and ReLU, and deep shaped MLPs → RS; linear exactly "
            "solvable.**\n\n"
            f"- **sin.** Here: {onset('sin')} — never a continuum. The mixture of a sin network is sinh-like, "
            "and ξ″^(−1/2) is then convex, while a full-RSB continuum needs it concave. PHYSICS.md notes that a "
            "computation in this infinite-width (GP) limit has been seen to give 1RSB rather than the paper's full "
            "RSB; this solver agrees with that, not with the paper.\n"
            "- **ReLU.** Here: full-RSB-like at every depth, because ξ″(q) diverges like (1 − q)^(−1/2) as q → 1, "
            "so the T = 0 condition ξ″(1) ≤ ξ′(1) fails. The effect is small: at L = 1 the RS ground state is "
            f"{100 * relu1['rsb_gain']:.2g} % too high, and replica symmetry breaks only below T ≈ "
            f"1/{relu1['beta_at']:.0f} = {1 / relu1['beta_at']:.3f}. At the temperatures a simulation here can "
            "equilibrate (β of a few), shallow ReLU looks RS, as the paper says.\n"
            f"- **tanh and erf.** tanh: {onset('tanh')}; erf: {onset('erf')}. The breaking is real in the sense of "
            "the solver's certificate but tiny; the paper's \"shallow tanh is RS\" agrees.\n"
            "- **Shaped activations** (select them above): shaped tanh keeps ξ nearly linear with depth; the "
            "shaped ReLU keeps ReLU's kink, so ξ″ diverges at q = 1 and RS fails at T = 0 as for ReLU, unlike "
            "the paper's deep shaped MLPs.\n"
            f"- **linear.** ξ is linear in q: RS with GS = C_W^((L+1)/2), here {lin1['ground_energy']:.4g} "
            f"at C_W = {REFERENCE[0]:g}.\n\n"
            "**Finite width.** Everything in the table is the infinite-width (GP) limit with N0 → ∞. The paper "
            "works at finite width, where the hidden-layer overlaps of low-energy inputs tilt away from the "
            "kernel's values, so its classification can differ from this one for that reason alone. The "
            "simulation tab shows width ratios N1/N0 = 1 to 64; at N0 ≤ 64 its energies carry errors of about "
            "10⁻², so it cannot resolve RSB effects of a few parts in 10⁵.")
