"""Ising energy landscape: the current network as a spin system, trained vs shuffled vs its first b layers.

Composes ui.spin_systems (cached model builders, quench/anneal, Wang-Landau store) with the
figure builders of ui.fig_ising. Stosic, Stosic & Stosic, arXiv:2209.08678 (PHYSICS.md 1-3).
"""
import numpy as np
import pandas as pd
import streamlit as st

from engine.wang_landau import wang_landau
from ui import catalog, params, state
from ui import spin_systems as ss
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_ising import dos_figure, ground_state_figure, symmetry_figure, width_sweep_figure
from ui.plotting import provenance
from ui.shell import page_header

INFO = catalog.page_info("ising.py")
page_header(INFO.title, r"Every neuron is a spin $s = \pm 1$ and every weight a coupling: "
            r"$E(s) = -\sum_l s_{l+1}^{\top} W_l\, s_l$. "
            "Is the energy landscape of a *trained* network different from that of the same weights *shuffled*? "
            "Compare ground states, the width W of realisable energies and the density of states g(E).",
            source=INFO.source)
SYMMETRY_FLAG = 0.5  # |ln g(E) - ln g(-E)| above this (g off by a factor 1.6) flags a DOS as not yet symmetric

net = state.current_network()
name = state.current_name()
L = net.n_layers

# ------------------------------------------------------------------ controls
c1, c2, c3, c4 = st.columns([2, 1, 2, 1.3], vertical_alignment="bottom")
with c1:
    f = params.slider("Shuffled fraction f", key="is_f", default=1.0, min_value=0.01, max_value=1.0, step=0.01,
                      help="The untrained control: this fraction of all weights (layers pooled) is permuted at "
                           "random. f = 1 is a full shuffle; the weight distribution is kept exactly.")
with c2:
    seed = int(params.number_input("Seed", key="is_seed", default=0, min_value=0, max_value=2**31 - 1, step=1,
                                   help="Seeds the shuffle, the annealing and Wang-Landau."))
with c3:
    if L > 2:
        b = params.slider("First b layers", key="is_b", default=1, min_value=1, max_value=L - 1,
                          help="Also compare the sub-network made of the first b weight layers (and its own "
                               "shuffled twin): how does structure build up with depth?")
    else:
        b = 1 if L == 2 else L
        st.caption(f"Sub-network: the first layer only ({net.describe()} has {L} weight layers)." if L == 2 else
                   "A single weight layer: no sub-networks.")
with c4:
    fields = params.toggle("Biases as fields", key="is_fields", default=False,
                           help="E gains −Σ b·s. The paper uses no fields; with fields g(E) = g(−E) no longer "
                                "holds.")

# ------------------------------------------------------------------ 1. ground states (cheap: every change)
st.subheader("1 · Ground states and the energy width")
systems, table, sym = [], None, True
with engine_errors("Ground states"):
    systems = ss.network_systems(net, fraction=f, seed=seed, b=b, fields=fields)
    gstates = ss.ground_states(systems, seed)
    table = ss.ground_state_rows(systems, gstates)
    sym = bool(table["g(E)=g(-E)"].all())
if table is None:
    st.stop()
by_role = {r["role"]: r for r in table.to_dict("records")}
tr, sh = by_role["trained"], by_role["shuffled"]
m = st.columns(5)
m[0].metric("Spins N", f"{tr['spins']}", help="All neurons, inputs and outputs included.")
m[1].metric("E_min/N trained (anneal)", f"{tr['E_anneal/N']:.4f}",
            help=f"Greedy quench from all +1 (the paper's convention): {tr['E_quench/N']:.4f}.")
m[2].metric("E_min/N shuffled (anneal)", f"{sh['E_anneal/N']:.4f}",
            help=f"Greedy quench from all +1: {sh['E_quench/N']:.4f}.")
m[3].metric("W/N trained", f"{tr['W/N']:.4f}")
ratio = tr["W/N"] / sh["W/N"] if sh["W/N"] > 0 else float("nan")
m[4].metric("W trained / W shuffled", f"{ratio:.3f}", help="The paper found 1.1 to 4.7 (10 of 11 transformers).")
fig, df = ground_state_figure(table, note=provenance(model=name, f=f, seed=seed, fields="biases" if fields else "none",
                                                     anneal="1000 sweeps × 8 replicas"))
figure_with_downloads(fig, df, f"ground states {name}", key="is_gs")
took = float(table["seconds"].sum())
if sym:
    st.caption("Without fields the layered graph is bipartite: flipping every spin of the odd layers maps E → −E, "
               "so g(E) = g(−E) and **W = E_max − E_min = 2|E_min| exactly — the width is the ground-state "
               f"energy twice**. W here uses the lowest energy found (quench or anneal): a lower bound on the true W. "
               f"Computed in {took:.2f} s.")
else:
    st.caption("With biases as fields E → −E is no longer a symmetry: E_max comes from annealing −E (the same "
               f"spins with every coupling and field negated), and no g(E) = g(−E) is expected. Computed in "
               f"{took:.2f} s.")
if table["E_exact/N"].notna().any():
    gap = (table["E_anneal/N"] - table["E_exact/N"]).abs().max()
    st.caption(f"This model is small enough ({tr['spins']} spins) to enumerate all 2^N states: black diamonds are the "
               f"exact ground state and width; annealing is off by at most {gap:.2e} per spin.")

with st.expander("How the width erodes with the shuffled fraction and builds up with depth", expanded=False):
    sweep = None
    with engine_errors("Width sweep"):
        sweep = ss.width_sweep(net, net.digest(), fields, seed)
    if sweep is not None:
        fig, df = width_sweep_figure(sweep, note=provenance(model=name, seeds=f"{seed}–{seed + ss.SWEEP_SEEDS - 1}",
                                                            fields="biases" if fields else "none"))
        figure_with_downloads(fig, df, f"width sweep {name}", key="is_sweep")
        st.caption("Each point is an annealing ground state (cheap; a lower bound on W). The paper reports that W "
                   "falls quickly with f and saturates near f ≈ 0.2, and that the trained–shuffled gap appears for "
                   "the whole network rather than single layers. What this model shows is summarised in *What this "
                   "means* below.")

# ------------------------------------------------------------------ 2. density of states (button)
st.subheader("2 · Density of states g(E) by Wang-Landau")
st.markdown("A random walk in energy that learns g(E) (Wang & Landau 2001, with the 1/t refinement). Curves update "
            "live; **Stop** keeps what has been learned, marked *unconverged*. Finished runs are kept for everyone, so "
            "a rerun with the same settings is instant (and the Thermodynamics page uses them).")
settings = ss.wl_controls("is", seed=seed)
label_of = {s.role: s.label for s in systems}  # roles are stable when f or b change, labels are not
if any(r not in label_of for r in st.session_state.get("is_wl_sys", [])):  # a model with fewer layers
    st.session_state["is_wl_sys"] = [r for r in st.session_state["is_wl_sys"] if r in label_of]
chosen = st.multiselect("Systems to compute", list(label_of), default=list(label_of)[:2], key="is_wl_sys",
                        format_func=label_of.get,
                        help="Each is one Wang-Landau run, one after the other, within the time budget each.")
chosen_systems = [s for s in systems if s.role in chosen]

for job, part in ss.take_stopped("is_wl"):  # a Stop click interrupted a run: keep its partial g(E), unconverged
    ss.keep_stopped(job[0], job[1], part)
    st.info(f"Stopped: the partial g(E) of **{job[2]}** (ln f = {part.log_f:.1e}) is kept and marked unconverged.",
            icon=":material/stop_circle:")

go_wl = st.button("Run Wang-Landau", key="is_wl_go", type="primary", icon=":material/play_arrow:",
                  help=f"At most {settings.max_seconds:g} s per system; systems already converged are skipped.")
progress_slot = st.container()  # progress bars above the live figure
live = st.empty()


def dos_of(system):
    return ss.find_dos(system.digest, settings)[0]


def curves_for(extra=None):
    out = []
    for s in chosen_systems:
        d = extra[1] if extra is not None and extra[0] is s else dos_of(s)
        if d is not None:
            out.append({"label": s.label, "role": s.role, "dos": d, "live": extra is not None and extra[0] is s})
    return out


note = provenance(model=name, f=f, seed=seed, fields="biases" if fields else "none", run=settings.describe())
if go_wl:
    with engine_errors("Wang-Landau"):
        for i, s in enumerate(chosen_systems):
            have = dos_of(s)
            if have is not None and have.converged:
                continue

            def draw(dos, s=s):
                fig_live, _ = dos_figure(curves_for((s, dos)), note=note, title="Density of states ln g(E)/N (live)")
                live.plotly_chart(fig_live, width="stretch", key=ss.chart_key("is_live"))

            with progress_slot:
                dos = ss.run_live(ss.run_key("is_wl", i), f"Wang-Landau {i + 1} of {len(chosen_systems)}: {s.label} "
                                  f"({s.n_spins} spins)", wang_landau, s.model, job=(s.digest, settings, s.label),
                                  draw=draw, log_f_final=settings.log_f_final, bin_width=ss.bin_width(s, settings),
                                  max_seconds=settings.max_seconds, n_windows=settings.n_windows, seed=settings.seed)
            ss.store_dos(s.digest, settings, dos)

curves = curves_for()
exact = []
for s in chosen_systems:
    if s.n_spins <= ss.EXACT_MAX_SPINS:
        d = dos_of(s)
        with engine_errors("Exact enumeration"):
            exact.append({"label": s.label, "system": s, "dos": ss.exact_dos(s.model, s.digest, d.bin_width if d
                                                                                 else ss.bin_width(s, settings))})
by_label = {r["system"]: r for r in table.to_dict("records")}
marks = []
shown = {c["label"] for c in curves} | {e["label"] for e in exact}
if sym:
    for s in chosen_systems:
        if s.label in shown:
            e = by_label[s.label]["E_anneal/N"]
            marks.append({"label": f"{s.label}: ±E_min(anneal)/N", "role": s.role, "x": [e, -e]})

with live.container():
    if not curves:
        st.info("No Wang-Landau density of states for these systems and settings yet: press **Run Wang-Landau** "
                f"(at most {settings.max_seconds:g} s per system)."
                + (" Meanwhile the exact g(E), by enumerating all 2^N states, is shown." if exact else ""),
                icon=":material/schedule:")
    if curves or exact:
        fig, df = dos_figure(curves, exact=[{"label": e["label"], "dos": e["dos"]} for e in exact], marks=marks,
                             note=note)
        figure_with_downloads(fig, df, f"density of states {name}", key="is_dos")

# ------------------------------------------------------------------ the numbers of each run
rows, residuals = [], []
for c in curves:
    d = c["dos"]
    s = next(x for x in chosen_systems if x.label == c["label"])
    n = d.n_spins
    row = by_label[s.label]
    ex = next((e["dos"] for e in exact if e["label"] == s.label), None)
    err_exact = ss.log_g_difference(d, ex) if ex is not None else None
    rows.append({
        "system": s.label, "spins": n,
        "W/N (Wang-Landau)": d.width / n, "E_min/N (walk)": d.e_min / n,
        "E_min/N (anneal)": row["E_anneal/N"], "2|E_min(anneal)|/N": 2 * abs(row["E_anneal/N"]) if sym else None,
        "max |ln g(E) − ln g(−E)|": d.symmetry_error() if d.symmetric else None,
        "max |ln g − ln g_exact|": err_exact,
        "converged": d.converged, "ln f": d.log_f, "bins": d.n_bins, "steps": d.n_steps, "seconds": d.seconds,
        "windows": d.n_windows,
    })
    if d.symmetric:
        residuals.append({"label": s.label, "role": s.role, "frame": ss.symmetry_residual(d)})
if rows:
    runs = pd.DataFrame(rows)
    st.dataframe(runs.dropna(axis=1, how="all"), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in runs.columns
                                if "/N" in c or "ln g" in c} | {
                     "ln f": st.column_config.NumberColumn(format="%.1e"),
                     "steps": st.column_config.NumberColumn(format="%.3g"),
                     "seconds": st.column_config.NumberColumn(format="%.1f")})
    for r, c in zip(rows, curves):
        d = c["dos"]
        if not d.converged:
            why = ("hit the time budget" if d.seconds >= 0.95 * settings.max_seconds else "was stopped")
            st.warning(f"**{r['system']}**: not converged — the walk {why} after {d.seconds:.1f} s with ln f = "
                       f"{d.log_f:.1e} (target {settings.log_f_final:.0e}). The curve is an estimate; raise the time "
                       "budget or use two windows.", icon=":material/warning:")
        elif d.symmetric and (asym := r["max |ln g(E) − ln g(−E)|"]) is not None and asym > SYMMETRY_FLAG:
            st.warning(f"**{r['system']}**: g(E) and g(−E) differ by up to a factor {np.exp(asym):.2g} although "
                       "they must be equal for this model: the walk has not sampled both sides evenly. Run to a "
                       "smaller ln f.", icon=":material/warning:")
    if sym:
        st.caption("For these field-free layered models the exact g(E) is symmetric, so max |ln g(E) − ln g(−E)| "
                   "is a convergence check (0 for an exact DOS; the largest deviations sit in the sparse edge bins). "
                   "Compare *W/N (Wang-Landau)* with *2|E_min(anneal)|/N*: the width is twice the ground-state energy.")
    else:
        st.caption("With biases as fields no symmetry g(E) = g(−E) is expected, so none is checked.")
    if residuals:
        with st.expander("Symmetry check g(E) = g(−E), bin by bin"):
            fig, df = symmetry_figure(residuals, note=note)
            figure_with_downloads(fig, df, f"symmetry check {name}", key="is_sym")

# ------------------------------------------------------------------ what this means
with st.expander("What this means", expanded=False, icon=":material/school:"):
    st.markdown(
        "**The mapping.** Each neuron — input, hidden or output — becomes a magnet-like *spin* that points up (+1) "
        "or down (−1). Each weight W_ij becomes a *coupling*: a positive weight lowers the energy when the two "
        "neurons agree, a negative one when they disagree. Training shapes the weights, so it shapes this energy "
        "landscape.\n\n"
        "**Ground state and width.** The lowest energy E_min is the spin pattern that satisfies as many couplings as "
        "possible. The *width* W = E_max − E_min is how spread out the possible energies are. Because every spin "
        "only couples to neighbouring layers, flipping every other layer turns each energy E into −E: the landscape "
        "is symmetric and W is just 2|E_min|.\n\n"
        "**Why compare with shuffled weights?** Shuffling keeps exactly the same numbers but puts them in random "
        "places. Whatever differs between trained and shuffled comes from the *arrangement* that learning made. "
        "Stosic et al. found W wider for trained transformers in 10 of 11 models (ratios 1.1 to 4.7): trained "
        "weights cooperate, so some spin patterns satisfy many large couplings at once.")
    lines = [f"**This model ({name}, {tr['spins']} spins, seed {seed})** — computed on this page:"]
    lines.append(f"- E_min/N: trained {tr['E_anneal/N']:.4f}, shuffled (f = {f:g}) {sh['E_anneal/N']:.4f} "
                 f"(annealing; the paper's quench from all +1: {tr['E_quench/N']:.4f} vs {sh['E_quench/N']:.4f}).")
    verdict = ("wider for the trained network, as in the paper" if ratio > 1.02 else
               "about the same for trained and shuffled: no sign of the paper's effect here" if ratio >= 0.98 else
               "*narrower* for the trained network: the opposite of the paper's finding")
    lines.append(f"- W/N: trained {tr['W/N']:.4f}, shuffled {sh['W/N']:.4f}, ratio {ratio:.3f} — {verdict}"
                 + (" (within the paper's range 1.1–4.7)." if 1.1 <= ratio <= 4.7 else "."))
    if "first" in by_role:
        fb, fbs = by_role["first"], by_role["first_shuffled"]
        r_b = fb["W/N"] / fbs["W/N"] if fbs["W/N"] > 0 else float("nan")
        lines.append(f"- The first {b} layer{'s' if b > 1 else ''}: W/N {fb['W/N']:.4f} trained vs {fbs['W/N']:.4f} "
                     f"shuffled (ratio {r_b:.3f}); the whole network's ratio is {ratio:.3f}.")
    if sweep is not None:
        fr = sweep[sweep["sweep"] == "fraction"]
        w0 = float(fr[fr["variant"] == "trained"]["W/N"].iloc[0])
        means = fr[fr["variant"] == "shuffled"].groupby("x")["W/N"].mean()
        w1 = float(means.loc[1.0])
        if abs(w0 - w1) > 1e-9:
            lost = (w0 - means) / (w0 - w1)
            half = next((x for x, v in lost.items() if v >= 0.5), None)
            at02 = float(lost.loc[0.2]) if 0.2 in lost.index else float("nan")
            lines.append(f"- Shuffling a fraction f: by f = 0.2 the width has lost {100 * at02:.0f}% of the way to the "
                         f"full shuffle" + (f"; half of it is gone by f = {half:g}." if half is not None else "."))
    if curves:
        for r in rows:
            extra = (f" vs 2|E_min(anneal)|/N = {r['2|E_min(anneal)|/N']:.4f}" if r["2|E_min(anneal)|/N"] is not None
                     else "")
            lines.append(f"- Wang-Landau, {r['system']}: W/N = {r['W/N (Wang-Landau)']:.4f}{extra}"
                         + ("" if r["converged"] else " (unconverged)") + ".")
    st.markdown("\n".join(lines))
    st.caption("The paper studied transformers with 65k–346k spins; these are small MLPs, so the effect can be "
               "weaker, absent, or reversed. The Quality-without-data page asks whether W tracks test accuracy across "
               "the whole zoo.")
