"""Thermodynamics: U, C, S, F per spin from g(E) and from parallel tempering; T_c; trained vs shuffled.

Composes engine.montecarlo (ladders, parallel tempering), engine.thermo (canonical averages from a
density of states, the C(T) peak, the paper's normalised convention) and ui.spin_systems (models,
cached runs shared with the Ising page) with the figure builders of ui.fig_ising.
PHYSICS.md sections 1-3.
"""
from dataclasses import replace

import numpy as np
import streamlit as st

from engine.montecarlo import TemperingResult, geometric_ladder, parallel_tempering, tune_ladder, typical_field
from engine.thermo import normalised_specific_heat, specific_heat_peak, thermodynamics
from engine.wang_landau import wang_landau
from ui import catalog, params, results, state
from ui import spin_systems as ss
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_ising import normalised_c_figure, pt_diagnostics_figure, specific_heat_figure, thermo_figure
from ui.plotting import provenance
from ui.shell import page_header

INFO = catalog.page_info("thermodynamics.py")
page_header(INFO.title, "Heat the spin system of a network and watch its internal energy U, specific heat C, entropy "
            "S and free energy F change with temperature — computed two independent ways that must agree: from the "
            "density of states g(E) (Wang-Landau) and by parallel tempering (Monte Carlo, with error bars). The peak "
            "of C(T) marks the critical temperature T_c.", source=INFO.source)

AUTO_PT = 1.2e8  # spin updates (all systems) that run by themselves on a change: about a second here
MIN_INDEPENDENT = 100
T_FACTORS = (0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
SWEEP_OPTIONS = (1000, 2000, 5000, 10000, 20000, 50000)
N_FINE = 200  # temperatures of the curves computed from g(E)

# ------------------------------------------------------------------ which spin system
sys_name, entry = ss.spin_system_choice("th_sys")

c1, c2, c3, c4, c5, c6 = st.columns([1.1, 1, 1, 1.3, 1, 0.9], vertical_alignment="bottom")
with c1:
    n_t = params.slider("Temperatures", key="th_nt", default=8 if ss.TINY else 32, min_value=8, max_value=64,
                        help="Rungs of the parallel-tempering ladder (geometric unless tuned).")
with c2:
    t_lo = params.select_slider("T min × field", key="th_tlo", default=0.05, options=T_FACTORS,
                                help="Lowest temperature, in units of the typical local field "
                                     "sqrt(mean_i Σ_j J_ij²) of this model.")
with c3:
    t_hi = params.select_slider("T max × field", key="th_thi", default=3.0, options=T_FACTORS,
                                help="Highest temperature, in units of the typical local field.")
with c4:
    n_sweeps = params.select_slider("Sweeps", key="th_sweeps", default=1000 if ss.TINY else 5000,
                                    options=SWEEP_OPTIONS, help="Measured sweeps per replica (plus 25% burn-in).")
with c5:
    n_rep = params.slider("Replicas", key="th_rep", default=2, min_value=1, max_value=8,
                          help="Independent tempering chains; they run in parallel threads.")
with c6:
    seed = int(params.number_input("Seed", key="th_seed", default=0, min_value=0, max_value=2**31 - 1, step=1,
                                   help="Seeds the shuffle, the sampling and Wang-Landau."))

twin, fields, normalised = None, False, False
if entry is None:
    net = state.current_network()
    d1, d2, d3, d4 = st.columns([1.2, 2, 1.2, 1.4], vertical_alignment="bottom")
    with d1:
        with_twin = params.toggle("Shuffled twin", key="th_twin", default=True,
                                  help="The same weights shuffled (the paper's untrained control), on the same ladder.")
    with d2:
        f = params.slider("Shuffled fraction f", key="th_f", default=1.0, min_value=0.01, max_value=1.0, step=0.01,
                          disabled=not with_twin)
    with d3:
        fields = params.toggle("Biases as fields", key="th_fields", default=False)
    with d4:
        normalised = params.toggle("Paper's normalised C(T)", key="th_norm", default=False,
                                   help="x = (E − E_min)/W_trained, weights exp(ln g/N − x/T), C = Var(x)/T² on "
                                        "T in (0, 1] (needs g(E)).")
    main = ss.network_system(net, fields=fields)
    twin = ss.network_system(net, fraction=f, seed=seed, fields=fields) if with_twin else None
    model_label = state.current_name()
else:
    main = ss.session_system(sys_name, entry)
    model_label = sys_name
    normalised = params.toggle("Paper's normalised C(T)", key="th_norm", default=False)
    st.info(f"**{sys_name}** ({main.n_spins} spins). {main.note} A spin system made on another page has no shuffled "
            "twin here.", icon=":material/info:")
systems = [main] + ([twin] if twin is not None else [])

# ------------------------------------------------------------------ the temperature ladder
tf = typical_field(main.model)
lo_t, hi_t = t_lo * tf, t_hi * tf
tuned = st.session_state.setdefault("th:tuned", {})
ladder_key = results.make_key("thermo:ladder", main.digest, lo_t, hi_t, int(n_t), seed)
l1, l2 = st.columns([1, 4], vertical_alignment="center")
tune = l1.button("Tune ladder", key="th_tune", icon=":material/tune:",
                 help="Two short tempering runs, then temperatures redistributed for about equal swap acceptance "
                      "(denser where C(T) is large).")
ladder = None
with engine_errors("Temperature ladder"):
    ladder = geometric_ladder(lo_t, hi_t, int(n_t))
    if tune:
        with st.spinner("Tuning the ladder…"):
            tuned[ladder_key] = tune_ladder(main.model, lo_t, hi_t, int(n_t), seed=seed)
    if ladder_key in tuned:
        ladder = tuned[ladder_key]
    st.session_state["th:last_ladder"] = (main.digest, ladder)
if ladder is None:  # bad input: keep showing the last valid ladder of this system, change nothing
    last = st.session_state.get("th:last_ladder")
    if last is None or last[0] != main.digest:
        st.stop()
    ladder = last[1]
    st.caption("Showing the results for the last valid temperature range.")
kind = "tuned" if ladder_key in tuned and np.array_equal(ladder, tuned[ladder_key]) else "geometric"
l2.caption(f"{len(ladder)} temperatures ({kind}) from T = {ladder[0]:.3g} to {ladder[-1]:.3g}; the typical local "
           f"field of this model is {tf:.3g}.")
refs = ss.reference_temperatures(main)
for t_ref, why in refs.items():
    if not ladder[0] <= t_ref <= ladder[-1]:
        st.caption(f"{why} — T = {t_ref:g} lies outside this range; widen it to see it.")

note = provenance(model=model_label, T=f"{ladder[0]:.3g}–{ladder[-1]:.3g} ({len(ladder)}, {kind})", seed=seed,
                  sweeps=n_sweeps, replicas=n_rep, f=(f if twin is not None else None),
                  fields=("biases" if fields else None))

# ------------------------------------------------------------------ parallel tempering
st.subheader("U, C, S and F against temperature")


def pt_key(s):
    return results.make_key("thermo:pt", s.digest, np.round(ladder, 12), int(n_sweeps), int(n_rep), seed)


def slim(run):
    """Drop the per-sweep energy trace and samples before keeping a run (they are the bulk of it)."""
    return replace(run, energies=run.energies[:0], samples=run.samples[:0], sample_sweeps=run.sample_sweeps[:0])


stopped_pt = st.session_state.setdefault("th:pt_stopped", {})
for job, part in ss.take_stopped("th_pt"):  # a Stop click interrupted a run: keep what it measured
    stopped_pt[job] = slim(replace(part, stopped=True))
have = {s.digest: ss.stored(pt_key(s), TemperingResult) for s in systems}
missing = [s for s in systems if have[s.digest] is None]
cost = sum(len(ladder) * n_rep * 1.25 * n_sweeps * s.n_spins for s in missing)
p1, p2 = st.columns([1.4, 4], vertical_alignment="center")
go_pt = p1.button("Run parallel tempering", key="th_pt_go", type="primary", icon=":material/play_arrow:")
w1, w2 = st.columns([1.4, 4], vertical_alignment="center")
with st.expander("Wang-Landau settings for g(E)", expanded=False):
    settings = ss.wl_controls("th", seed=seed)
    st.caption("The same settings and seed as on the Ising page find the g(E) computed there; otherwise the best "
               "g(E) stored for this model is used and named above the figure.")
progress_slot = st.container()  # progress bars above the live figure
live = st.empty()  # live C(T) while sampling; then the figure
if missing and (go_pt or cost <= AUTO_PT):
    with engine_errors("Parallel tempering"):
        done = [{"label": s.label, "role": s.role, "run": have[s.digest]} for s in systems
                if have[s.digest] is not None]
        for i, s in enumerate(missing):
            def draw(run, s=s):
                running = {"label": f"{s.label} (running…)", "role": s.role, "run": run}
                fig_live = specific_heat_figure(done + [running], note=note)
                live.plotly_chart(fig_live, width="stretch", key=ss.chart_key("th_live"))

            with progress_slot:
                run = ss.run_live(ss.run_key("th_pt", i), f"Parallel tempering: {s.label} ({s.n_spins} spins, "
                                  f"{len(ladder)} temperatures)", parallel_tempering, s.model, ladder, int(n_sweeps),
                                  job=pt_key(s), draw=draw, n_replicas=int(n_rep), seed=seed)
            have[s.digest] = results.put(pt_key(s), slim(run))
            done.append({"label": s.label, "role": s.role, "run": have[s.digest]})
            # the finished curves stay up while the next system burns in
            live.plotly_chart(specific_heat_figure(done, note=note), width="stretch", key=ss.chart_key("th_live"))
elif missing:
    p2.caption(f"About {cost / 1e6:.0f} million spin updates: press **Run parallel tempering** (live C(T), Stop keeps "
               "what has been measured).")
pt = {s.digest: have[s.digest] if have[s.digest] is not None else stopped_pt.get(pt_key(s)) for s in systems}
times = [f"{s.label} {pt[s.digest].seconds:.2f} s" + (" (stopped)" if pt[s.digest].stopped else "")
         for s in systems if pt[s.digest] is not None]
if times:
    p2.caption(f"C(T) over {len(ladder)} temperatures with error bars, {n_rep} replicas × {n_sweeps} sweeps: "
               + ", ".join(times) + " (the interactive budget is 3 s per system).")

# ------------------------------------------------------------------ density of states
for job, part in ss.take_stopped("th_wl"):
    ss.keep_stopped(job[0], job[1], part)
found = {s.digest: ss.find_dos(s.digest, settings, fallback=True) for s in systems}
need = [s for s in systems if found[s.digest][0] is None or not found[s.digest][0].converged]
go_wl = w1.button("Compute g(E)", key="th_wl_go", icon=":material/play_arrow:", disabled=not need,
                  help=f"Wang-Landau, at most {settings.max_seconds:g} s per system.")
T_fine = np.geomspace(ladder[0], ladder[-1], N_FINE)
if go_wl and need:
    with engine_errors("Wang-Landau"):
        for i, s in enumerate(need):
            def draw(dos, s=s):
                th_live = thermodynamics(dos, T_fine).per_spin()
                fig_live, _ = thermo_figure([{"label": f"{s.label} (running…)", "role": s.role, "th": th_live}],
                                            [{"label": x.label, "role": x.role, "run": pt[x.digest]}
                                             for x in systems if x is s and pt[x.digest] is not None], note=note)
                live.plotly_chart(fig_live, width="stretch", key=ss.chart_key("th_wl_live"))

            with progress_slot:
                dos = ss.run_live(ss.run_key("th_wl", i), f"Wang-Landau: {s.label} ({s.n_spins} spins)",
                                  wang_landau, s.model, job=(s.digest, settings, s.label), draw=draw,
                                  log_f_final=settings.log_f_final, bin_width=ss.bin_width(s, settings),
                                  max_seconds=settings.max_seconds, n_windows=settings.n_windows, seed=settings.seed)
            ss.store_dos(s.digest, settings, dos)
            found[s.digest] = (ss.find_dos(s.digest, settings)[0], settings.key())
dos = {d: v[0] for d, v in found.items()}
msgs = []
for s in systems:
    d, k = found[s.digest]
    if d is None:
        msgs.append(f"{s.label}: no g(E) yet")
    else:
        used = ss.settings_from_key(k).describe()
        msgs.append(f"{s.label}: {used}" + ("" if d.converged else f" — **unconverged** (ln f = {d.log_f:.1e})"))
w2.caption("g(E) used — " + "; ".join(msgs) + ".")

# ------------------------------------------------------------------ curves
dos_curves, peaks, unresolved, exact = [], [], [], []
for s in systems:
    d = dos[s.digest]
    if d is None:
        continue
    th = thermodynamics(d, T_fine)
    pk = specific_heat_peak(th)
    dos_curves.append({"label": s.label, "role": s.role, "th": th.per_spin(), "peak": pk, "dos": d})
    peaks.append({"label": s.label, "role": s.role, "T": pk.temperature, "at_edge": pk.at_edge})
    if not d.exact_levels and (t_un := ss.unresolved_below(th, d.bin_width)) is not None:
        unresolved.append({"label": s.label, "T": t_un})
for s in systems:
    if s.n_spins <= ss.EXACT_MAX_SPINS:
        with engine_errors("Exact enumeration"):
            exact.append({"label": s.label, "role": s.role,
                          "th": ss.exact_thermo(s.model, s.digest, tuple(T_fine)).per_spin()})
pt_curves = [{"label": s.label, "role": s.role, "run": pt[s.digest]} for s in systems if pt[s.digest] is not None]
pt_peaks = {s.digest: specific_heat_peak(pt[s.digest]) for s in systems
            if pt[s.digest] is not None and np.isfinite(pt[s.digest].C).any()}
if not peaks:  # no g(E) yet: mark the tempering estimate of T_c
    peaks = [{"label": s.label, "role": s.role, "T": pt_peaks[s.digest].temperature,
              "at_edge": pt_peaks[s.digest].at_edge} for s in systems if s.digest in pt_peaks]

if dos_curves or pt_curves or exact:
    fig, df = thermo_figure([{k: c[k] for k in ("label", "role", "th")} for c in dos_curves], pt_curves, exact=exact,
                            peaks=peaks, ref_temperatures={t: w for t, w in refs.items()
                                                           if ladder[0] <= t <= ladder[-1]},
                            unresolved=unresolved[:1], note=note)
    with live.container():
        figure_with_downloads(fig, df, f"thermodynamics {model_label}", key="th_main")
    parts = ["Circles with error bars: parallel tempering (U and C; one standard error, by binning)."]
    parts.append("Lines: from g(E) (U, C, S, F)." if dos_curves else
                 "S and F need the density of states: press **Compute g(E)** (or run Wang-Landau on the Ising page).")
    if exact:
        parts.append("Black/grey dashes: exact enumeration of all 2^N states.")
    if unresolved:
        parts.append(f"Grey band (T < {unresolved[0]['T']:.3g}): the thermal energy spread T·sqrt(C) is smaller than "
                     "one energy bin of g(E), so the binned g(E) cannot resolve it there — trust parallel tempering "
                     "(narrower bins help).")
    if refs:
        parts.append("Pink line: T = 1, where the RBM's own distribution is this spin system's Boltzmann distribution.")
    st.caption(" ".join(parts))

# ------------------------------------------------------------------ T_c and agreement
cols = st.columns(len(systems))
for col, s in zip(cols, systems):
    with col:
        st.markdown(f"**{s.label}** ({s.n_spins} spins)")
        a, b_ = st.columns(2)
        dc = next((c for c in dos_curves if c["label"] == s.label), None)
        if dc is not None:
            a.metric("T_c from g(E)", f"{dc['peak'].temperature:.3g}",
                     help=f"argmax of C(T) (C_max/N = {dc['peak'].c_max / s.n_spins:.3g}).")
        if s.digest in pt_peaks:
            pk = pt_peaks[s.digest]
            b_.metric("T_c from tempering", f"{pk.temperature:.3g}", help="argmax of C over the ladder, refined by a "
                      f"parabola (C_max/N = {pk.c_max / s.n_spins:.3g}).")
        if dc is None and s.digest not in pt_peaks:
            st.caption("No tempering run or g(E) yet for this system.")
        edge = [w for w, p in (("g(E)", dc["peak"] if dc else None), ("tempering", pt_peaks.get(s.digest)))
                if p is not None and p.at_edge]
        if edge:
            st.warning(f"The C(T) maximum ({', '.join(edge)}) sits at the edge of the temperature range: the true "
                       "peak may lie outside it. Widen the range.", icon=":material/warning:")
        run = pt[s.digest]
        if dc is not None and run is not None and np.isfinite(run.C_err).all():
            th = thermodynamics(dc["dos"], run.T)
            ok = np.ones(run.T.size, dtype=bool)
            if unresolved:
                ok &= run.T > unresolved[0]["T"]
            if ok.any():
                z = np.abs(th.C[ok] - run.C[ok]) / np.maximum(run.C_err[ok], 1e-300)
                st.caption(f"g(E) vs tempering: C agrees within 2 error bars at {int((z <= 2).sum())} of "
                           f"{int(ok.sum())} resolved temperatures (largest deviation {z.max():.1f} σ).")
if len(systems) == 2 and dos_curves and len(dos_curves) == 2:
    t0, t1 = dos_curves[0]["peak"].temperature, dos_curves[1]["peak"].temperature
    st.markdown(f"From g(E): T_c of the trained network is **{t0:.3g}**, of its shuffled twin **{t1:.3g}** — the "
                + ("trained network has the higher T_c, as in 9 of 11 models in the paper." if t0 > t1 else
                   "shuffled twin has the higher (or equal) T_c: the opposite of what the paper found for most "
                   "models."))

# ------------------------------------------------------------------ paper's normalised convention
if normalised:
    st.subheader("The paper's normalised C(T)")
    ref = dos[main.digest]
    if ref is None:
        st.info(f"Needs the density of states of {main.label}: press **Compute g(E)**.", icon=":material/schedule:")
    else:
        T_n = np.linspace(0.01, 1.0, 100)
        curves = []
        with engine_errors("Normalised specific heat"):
            for s in systems:
                d = dos[s.digest]
                if d is None:
                    continue
                res = normalised_specific_heat(d, T_n, e_min=ref.e_min, width=ref.width)
                curves.append({"label": s.label, "role": s.role, "res": res, "peak": specific_heat_peak(res)})
            norm_note = provenance(model=model_label, reference=f"E_min, W of {main.label}", T="0.01–1", seed=seed)
            fig, df = normalised_c_figure(curves, note=norm_note)
            figure_with_downloads(fig, df, f"normalised specific heat {model_label}", key="th_norm_fig")
            st.caption(f"Every system uses {main.label}'s E_min = {ref.e_min:.4g} and W = {ref.width:.4g} (total), "
                       "as in Stosic et al.; ln g is divided by N, so this is the paper's construction, not the "
                       "Boltzmann distribution of the spins.")

# ------------------------------------------------------------------ diagnostics
if pt_curves:
    st.subheader("Is the sampling trustworthy?")
    fig, df = pt_diagnostics_figure(pt_curves, note=note, min_independent=MIN_INDEPENDENT)
    figure_with_downloads(fig, df, f"tempering diagnostics {model_label}", key="th_diag")
    flags = []
    for c in pt_curves:
        run = c["run"]
        low = run.T[run.n_independent < MIN_INDEPENDENT]
        if low.size:
            flags.append(f"{c['label']}: fewer than {MIN_INDEPENDENT} independent samples at T = "
                         + ", ".join(f"{t:.3g}" for t in low[:6]) + ("…" if low.size > 6 else ""))
        poor = np.flatnonzero(run.swap_acceptance < 0.1)
        if poor.size:
            flags.append(f"{c['label']}: swap acceptance below 0.1 between T = {run.T[poor[0]]:.3g} and "
                         f"{run.T[poor[0] + 1]:.3g}" + (f" and {poor.size - 1} more pairs" if poor.size > 1 else ""))
    if flags:
        st.warning("Error bars may be too small: " + "; ".join(flags) + ". More sweeps, more temperatures or "
                   "**Tune ladder** help.", icon=":material/warning:")
    else:
        st.caption(f"Every temperature has at least {MIN_INDEPENDENT} independent samples (n = sweeps × replicas / "
                   "2τ_int) and every neighbouring pair swaps at least 10% of the time.")

# ------------------------------------------------------------------ ground state
st.subheader("Ground state: quench (paper) vs anneal (best)")
with engine_errors("Ground states"):
    gstates = ss.ground_states(systems, seed)
    cols = st.columns(len(systems))
    for col, s, g in zip(cols, systems, gstates):
        n = g.n_spins
        with col:
            st.markdown(f"**{s.label}**")
            a, b_, c_ = st.columns(3)
            a.metric("quench E/N", f"{g.e_quench / n:.4f}", help="Greedy zero-T flips from all spins +1 (the paper).")
            b_.metric("anneal E/N", f"{g.e_anneal / n:.4f}",
                      help="Best of 8 annealed replicas (1000 sweeps), quenched.")
            d = dos[s.digest]
            if g.exact_min is not None:
                c_.metric("exact E_min/N", f"{g.exact_min / n:.4f}")
            elif d is not None:
                c_.metric("walk E_min/N", f"{d.e_min / n:.4f}", help="The lowest energy the Wang-Landau walk reached.")
    st.caption("Annealing is an upper bound on the true ground-state energy; the quench from all +1 stops in the first "
               "local minimum it meets, which is what the paper reports.")

# ------------------------------------------------------------------ what this means
with st.expander("What this means", icon=":material/school:"):
    st.markdown(
        "**Temperature** here is how much random flipping the spins tolerate: at T → 0 the system sits in its ground "
        "state, at high T every spin pattern is equally likely. **U(T)** is the average energy; **C(T) = dU/dT** "
        "measures how many spin patterns open up per unit of heating — it peaks where the system changes fastest, "
        "at T_c. **S(T)** counts the accessible patterns (ln of their number; at most N ln 2 ≈ 0.693 per spin) and "
        "**F = U − TS** balances energy against entropy.\n\n"
        "Two independent methods: *parallel tempering* simulates the spins at each temperature (statistical error "
        "bars), while *Wang-Landau* first learns how many patterns have each energy, g(E), and then gets every "
        "temperature at once by reweighting. Where both are trustworthy they must agree — a check on both. Stosic et "
        "al. report that trained networks have the higher T_c (9 of 11 models): their couplings cooperate, so it "
        "takes more heat to disorder them.")
    lines = []
    for s in systems:
        dc = next((c for c in dos_curves if c["label"] == s.label), None)
        pk = pt_peaks.get(s.digest)
        parts = []
        if dc is not None:
            parts.append(f"T_c = {dc['peak'].temperature:.3g} from g(E)")
        if pk is not None:
            parts.append(f"T_c = {pk.temperature:.3g} from tempering")
        if parts:
            lines.append(f"- **{s.label}** ({s.n_spins} spins): " + ", ".join(parts) + ".")
    if lines:
        st.markdown(f"**This system ({model_label}, seed {seed})** — computed on this page:\n" + "\n".join(lines))
