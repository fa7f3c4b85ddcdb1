"""Quality without data: do the Ising indicators of a network predict its test accuracy? Across the zoo.

Composes ``engine.fingerprint`` (the precomputed zoo table ``sample_models/zoo_physics.csv``,
Spearman correlations, a live fingerprint of the current model) with the figure builders of
``ui.fig_quality``. Opens at once from the shipped table; the current model's fingerprint is
computed only on the button.
"""

import pandas as pd
import streamlit as st

from engine.fingerprint import (CODE_VERSION, INDICATORS, ZOO_CSV, ZOO_SETTINGS, card_info, consistency_checks,
                                fingerprint, fingerprint_row, layer_widths, load_zoo_table, quality_table,
                                rank_correlations)
from ui import catalog, params, results, state
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_quality import (baseline_finding, correlation_bars, depth_finding, finding, indicator_grid, layer_table,
                            layers_figure, layers_ratio_figure, provenance_note, spectral_figure, tc_agreement_figure,
                            trained_vs_shuffled, twin_findings)
from ui.plotting import provenance
from ui.progress import run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("quality.py")

page_header(
    INFO.title,
    "Stosic et al. map a network to an Ising model (every neuron a spin, every weight a coupling, "
    "E(s) = −Σ_l s_{l+1}ᵀ W_l s_l) and report that without any data the physics tells trained networks apart: "
    "the range of realisable energies W = E_max − E_min is wider than for the shuffled twin and tracks task "
    "quality (Spearman ≈ −0.8 to −0.96 between W and task error), and the specific heat peaks at a higher T_c. "
    "Here every zoo model (small MLPs at several training stages) and its fully shuffled twin were fingerprinted "
    "(`python -m engine analyze --zoo`): below is what the numbers say, next to a spectral baseline a "
    "practitioner would use (WeightWatcher's α). Without fields the layered graph is bipartite, so "
    "g(E) = g(−E) and **W = 2|E_min|**: the width is the ground-state energy twice.",
    source=INFO.source)

INDICATOR_PANELS = ["e_min_per_spin", "w_per_spin", "t_c_pt", "c_max_pt_per_spin", "t_c_paper", "w_scaled",
                    "typical_field", "alpha_mean"]
TWIN_PANELS = ["d_e_min_per_spin", "d_w_per_spin", "w_ratio", "d_t_c_pt", "d_c_max_pt_per_spin"]
HEADLINE = ["w_per_spin", "d_w_per_spin", "alpha_mean"]  # the rest go into the expander
FINDINGS = ["e_min_per_spin", "t_c_pt", "c_max_pt_per_spin", "t_c_paper", "w_ratio", "d_t_c_pt", "w_scaled",
            "alpha_mean_reliable"]
LIVE = "ql:live"  # this session's fingerprints: {name: {"trained": dict, "shuffled": dict | None, "info": dict}}


# ------------------------------------------------------------------ data
@st.cache_data(show_spinner=False)
def zoo_data(path: str, mtime: float):
    """The zoo table and its per-model quality table (re-read when the file changes)."""
    zoo = load_zoo_table(path)
    return zoo, quality_table(zoo)


zoo = table = None
with engine_errors("Reading the precomputed zoo table"):
    zoo, table = zoo_data(str(ZOO_CSV), ZOO_CSV.stat().st_mtime if ZOO_CSV.exists() else 0.0)
if table is None:
    st.info("Compute it with `python -m engine analyze --zoo` (about 10 minutes of CPU on one core).")
    st.stop()

ALL, DIGITS, TRAINED = "all models", "digits only", "fully trained only"
group_sizes = table["group"].value_counts()
groups = [f"{g} ({n} models)" for g, n in group_sizes.items() if n >= 3]
reference = next((g for g in groups if g.startswith("64-32-10 tanh")), None)

c1, c2 = st.columns([3, 2])
with c1:
    subset = params.selectbox(
        "Models", key="ql_set", default=ALL, options=[ALL, DIGITS, TRAINED] + groups,
        help="One architecture is the cleanest test: quality varies with training, the architecture does not. "
             + (f"The reference net {reference.split(' (')[0]} has 6 training stages × 3 seeds." if reference else ""))
with c2:
    color_by = params.segmented("Colour by", key="ql_color", default="data set",
                                options=["data set", "architecture", "training stage"])


def select(t: pd.DataFrame) -> pd.DataFrame:
    if subset == DIGITS:
        return t[t["dataset"] == "digits"]
    if subset == TRAINED:
        return t[t["stage"] == "trained"]
    if subset in groups:
        return t[t["group"] == subset.split(" (")[0]]
    return t


@st.cache_data(show_spinner=False, max_entries=32)
def correlations(view: pd.DataFrame) -> pd.DataFrame:
    return rank_correlations(view, list(INDICATORS))


view = select(table).reset_index(drop=True)
label = f"{subset} ({len(view)} models)" if subset not in groups else subset
if subset == ALL:
    label = f"the whole zoo ({len(view)} models)"
corr = correlations(view)
note = provenance_note(view, subset)

# ------------------------------------------------------------------ the current model, live
net = state.current_network()
name = state.current_name()
live = st.session_state.setdefault(LIVE, {})
with st.container(border=True):
    st.markdown(f"**Fingerprint the current model** · `{name}` ({net.n_neurons} spins)  \n"
                "Quench and anneal for E_min, a Wang-Landau g(E) for W and T_c, parallel tempering for T_c with "
                "error bars, the spectral α; the result joins the figures below as a star.")
    d1, d2, d3, d4 = st.columns(4)
    with d1:
        log_f = params.select_slider("Wang-Landau: final ln f", key="ql_lnf", options=[1e-3, 1e-4, 1e-5, 1e-6],
                                     default=1e-3 if TINY else ZOO_SETTINGS["log_f_final"],
                                     format_func=lambda v: f"{v:.0e}",
                                     help="1e-6 is what the zoo table used; each factor 10 costs ~10× the time "
                                          "of the last stage of the walk.")
    with d2:
        cap = params.number_input("Time cap of the walk (s)", key="ql_cap",
                                  default=2.0 if TINY else 120.0, step=10.0,
                                  help="The walk stops here even if ln f has not reached its target "
                                       "(then marked unconverged).")
    with d3:
        seed = params.number_input("Seed", key="ql_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
    with d4:
        with_twin = params.toggle("Also its shuffled twin", key="ql_twin", default=False,
                                  help="Fingerprint a fully shuffled copy too (twice the time), for the "
                                       "network − shuffled differences.")
    run = st.button("Fingerprint the current model", key="ql_go", type="primary", icon=":material/play_arrow:")
    budgets = dict(seed=int(seed), wl_seconds=cap, log_f_final=float(log_f),
                   pt_sweeps=400 if TINY else 8000, anneal_sweeps=300 if TINY else 4000)
    if run:
        with engine_errors(f"Fingerprint of {name}"):
            key = results.make_key("quality-fp", net.digest(), budgets, CODE_VERSION)
            fp = results.get(key)
            with (slot := st.empty()).container():
                if fp is None:
                    fp = run_with_progress("ql_fp", f"Fingerprint of {name}", fingerprint, net, **budgets).as_dict()
                    if not fp["stopped"]:
                        results.put(key, fp)
                twin = None
                if with_twin:
                    twin_net = net.shuffled(1.0, seed=0)
                    tkey = results.make_key("quality-fp-twin", net.digest(), budgets, CODE_VERSION)
                    twin = results.get(tkey)
                    if twin is None:
                        twin = run_with_progress("ql_fp_twin", f"Fingerprint of the shuffled twin of {name}",
                                                 fingerprint, twin_net,
                                                 reference_width=fp["w_per_spin"] * fp["n_spins"],
                                                 **budgets).as_dict()
                        if not twin["stopped"]:
                            results.put(tkey, twin)
            slot.empty()
            info = card_info(state.card_of(net))
            live[name] = {"trained": fp, "shuffled": twin, "info": {**info, "name": name}}
            st.rerun()
    if name in live:
        fp, twin = live[name]["trained"], live[name]["shuffled"]
        tc, tc_err = fp["t_c_pt"], fp["t_c_pt_err"]
        sym = fp["wl_symmetry_error"]
        m = st.columns(3)
        m[0].metric("E_min/N (best)", f"{fp['e_min_per_spin']:.4f}",
                    help=f"quench from all +1 (the paper's convention): {fp['e_min_quench_per_spin']:.4f}")
        m[1].metric("W/N", f"{fp['w_per_spin']:.4f}",
                    help=f"2|E_min|/N = {fp['w_ground_per_spin']:.4f}"
                         + (f"; shuffled twin {twin['w_per_spin']:.4f}" if twin else ""))
        tc_text = "—" if tc is None else (f"{tc:.2f}" if tc_err is None else f"{tc:.2f} ± {tc_err:.2f}")
        m[2].metric("T_c (tempering)", tc_text,
                    help=f"from g(E): {fp['t_c_wl']:.3f}" + (f"; shuffled twin {twin['t_c_pt']:.3f}"
                                                             if twin and twin["t_c_pt"] is not None else ""))
        m = st.columns(3)
        c_max = fp["c_max_pt_per_spin"]
        m[0].metric("C_max/N (tempering)", "—" if c_max is None else f"{c_max:.3f}")
        m[1].metric("spectral α", "—" if fp["alpha_mean"] is None else f"{fp['alpha_mean']:.2f}",
                    help=f"{fp['n_reliable_layers']} of {len(fp['alpha_layers'])} layers reliable (≥ 50 eigenvalues)")
        m[2].metric("Wang-Landau", "converged" if fp["wl_converged"] else "unconverged",
                    help=f"ln f = {fp['wl_log_f']:.1e}; symmetry error max|ln g(E) − ln g(−E)| = "
                         f"{'n/a' if sym is None else f'{sym:.3f}'}; {fp['seconds']:.1f} s")
        if fp.get("stopped"):
            st.warning("Stopped early: the numbers are partial (tempering skipped).")
        if live[name]["info"].get("test_accuracy") is None:
            st.warning("This model's card has no test accuracy, so it cannot be placed on the accuracy axes.")
        with st.expander("Fingerprint as JSON (what `python -m engine analyze` prints)"):
            st.json(fp)


def highlight_rows() -> pd.DataFrame:
    """This session's fingerprints, plus the current model's zoo row, as quality-table rows."""
    rows = []
    for nm, entry in live.items():
        rows.append(fingerprint_row(entry["trained"], variant="trained", info=entry["info"]))
        if entry["shuffled"] is not None:
            rows.append(fingerprint_row(entry["shuffled"], variant="shuffled", info=entry["info"]))
    out = quality_table(pd.DataFrame(rows)) if rows else pd.DataFrame()
    if name not in live and name in set(table["model"]):
        out = pd.concat([out, table[table["model"] == name]], ignore_index=True)
    return out


highlight = highlight_rows()

# ------------------------------------------------------------------ what the data says
st.subheader(f"What the data says: {label}")
by_indicator = corr.set_index("indicator")


def sentences(columns):
    return [finding(corr[corr["indicator"] == c].iloc[0]) for c in columns if c in by_indicator.index]


lines = sentences(HEADLINE[:2]) + twin_findings(view) + [s for s in [baseline_finding(corr)] if s]
lines += sentences(HEADLINE[2:])
st.markdown("\n".join(f"- {s}" for s in lines))
with st.expander("Every other indicator, one sentence each"):
    st.markdown("\n".join(f"- {s}" for s in sentences(FINDINGS)))
w_row = by_indicator.loc["w_per_spin"] if "w_per_spin" in by_indicator.index else None
e_row = by_indicator.loc["e_min_per_spin"] if "e_min_per_spin" in by_indicator.index else None
if w_row is not None and e_row is not None and w_row["n"] >= 3:
    st.caption(f"ρ(W/N) = {w_row['rho']:+.2f} and ρ(E_min/N) = {e_row['rho']:+.2f} are mirror images because "
               "W = 2|E_min| for every field-free network here; across different architectures and data sets W/N "
               "also changes with the weight scale, so the single-architecture filters are the fairer test.")



# ------------------------------------------------------------------ views (only the chosen one is built)
def indicators_view():
    """Each indicator against test accuracy, and every Spearman ρ."""
    fig, data = indicator_grid(view, INDICATOR_PANELS, corr, color_by=color_by, highlight=highlight,
                               title=f"Physics indicators against test accuracy: {label}", note=note)
    figure_with_downloads(fig, data, "quality indicators", key="ql_grid")
    figure_with_downloads(correlation_bars(corr, title=f"Spearman ρ with test accuracy: {label}", note=note),
                          corr, "quality spearman", key="ql_bars")
    st.caption("T_c and C_max from parallel tempering, error bars from resampling C(T) within its errors; "
               "'T_c (normalised)' uses the paper's C(T) with x = (E − E_min)/W, T in (0, 1]. Temperatures in "
               "units of the couplings; W, E_min and C per spin.")

def twin_view():
    """Network − shuffled twin: differences against accuracy, and each model against its twin."""
    st.markdown("Each model against its own fully shuffled twin (every weight swapped with a random weight "
                "anywhere in the network, seed 0): a difference that grows with training is structure the "
                "training put into the arrangement of the weights, not into their distribution. Untrained "
                "networks need not sit at zero: pooling layers initialised at different scales (1/√fan-in) "
                "already changes the structure.")
    fig, data = indicator_grid(view, TWIN_PANELS, corr, color_by=color_by, highlight=highlight,
                               title=f"Network − shuffled twin against test accuracy: {label}", note=note)
    figure_with_downloads(fig, data, "quality twin differences", key="ql_twin_grid")
    pairs = {"W/N": "w_per_spin", "T_c (PT)": "t_c_pt", "E_min/N": "e_min_per_spin",
             "C_max/N (PT)": "c_max_pt_per_spin"}
    which = params.segmented("Quantity", key="ql_pair", default="W/N", options=list(pairs))
    fig, data = trained_vs_shuffled(view, pairs[which], title=f"{which}: network against its shuffled twin",
                                    note=note, highlight=highlight)
    figure_with_downloads(fig, data, f"quality twin {pairs[which]}", key="ql_pair_fig")

def depth_view():
    """W of the first b layers: one model, and the network/twin ratio for the zoo."""
    deep = sorted(table.loc[table["n_layers"] >= 2, "model"])
    default = name if name in deep else ("digits-64-16-16-16-16-16-10-relu-s0-e40"
                                         if "digits-64-16-16-16-16-16-10-relu-s0-e40" in deep else deep[0])
    e1, e2 = st.columns([3, 1])
    with e1:
        options = deep + ([name] if name not in deep and net.n_layers >= 2 else [])
        chosen = params.selectbox("Model", key="ql_depth_model", default=default, options=options,
                                  help="Zoo models come from the table; the current model, if it is not in the "
                                       "zoo, is computed on the button below (ground states only, a few seconds).")
    with e2:
        per_spin = params.segmented("W", key="ql_depth_unit", default="per spin", options=["per spin", "total"])
    rows = zoo[(zoo["model"] == chosen)] if chosen in deep else None
    if rows is None:
        dkey = results.make_key("quality-depth", net.digest(), int(seed))
        got = results.get(dkey)
        if st.button("Compute W for the first b layers", key="ql_depth_go", icon=":material/play_arrow:"):
            with engine_errors(f"W of the first b layers of {name}"), st.spinner("Annealing each sub-network…"):
                got = results.put(dkey, layer_widths(net, seed=int(seed), anneal_sweeps=300 if TINY else 4000))
        rows = pd.DataFrame(got) if got else None
    if rows is not None and len(rows):
        fig, data = layers_figure(rows, chosen, per_spin=per_spin == "per spin",
                                  note=provenance(model=chosen, seed=int(seed) if chosen not in deep else 0,
                                                  method="W = 2|E_min| (quench + anneal), twin shuffled f = 1"))
        figure_with_downloads(fig, data, f"W by depth {chosen}", key="ql_depth_fig")
    fig, data = layers_ratio_figure(zoo, note="W = 2|E_min| of the first b layers; twin: those layers' own weights "
                                              "shuffled (f = 1, seed 0)")
    figure_with_downloads(fig, data, "W ratio by depth", key="ql_depth_ratio")
    st.markdown(depth_finding(zoo) or "No zoo model with two or more layers in the table.")

def spectral_view():
    """The WeightWatcher-style baseline on the same models."""
    fig, data = spectral_figure(view, corr, note=note, highlight=highlight)
    figure_with_downloads(fig, data, "spectral baseline", key="ql_spec")
    layers = layer_table(view)
    n_rel, n_fit = int(layers["reliable"].sum()), len(layers)
    st.markdown(f"Of {n_fit} fitted layers in {label}, **{n_rel}** have ≥ 50 eigenvalues (the rest are too small "
                "for a power-law tail fit to mean much; layers with < 6 eigenvalues are not fitted at all). "
                "WeightWatcher expects α to fall with better training (2 < α < 6 shaded: its 'well trained' "
                "range). The small MLPs of this zoo are far from the regime the method was built for.")

def checks_view():
    """The fingerprints' self-checks: W = 2|E_min|, convergence, two methods for T_c."""
    fingerprints = zoo[(zoo["layers_included"] == zoo["n_layers"]) & zoo["model"].isin(set(view["model"]))]
    chk = consistency_checks(fingerprints)
    st.markdown(f"Self-checks of the {chk['n']} fingerprints behind this view ({len(view)} networks and their "
                "shuffled twins).")
    k = st.columns(4)
    k[0].metric("W (Wang-Landau) = 2|E_min|", f"{chk['w_match']} of {chk['n']}",
                help="Models whose Wang-Landau width equals twice the best ground-state energy to within one bin.")
    k[1].metric("Wang-Landau converged", f"{chk['wl_converged']} of {chk['n']}",
                help=f"ln f reached its target; largest symmetry error max|ln g(E) − ln g(−E)| = "
                     f"{chk['symmetry_error_max']:.2f}")
    k[2].metric("T_c: g(E) vs tempering within 3σ", f"{chk['tc_agree']} of {chk['tc_compared']}",
                help="σ of tempering only; the g(E) value carries a binning error too (≈ bin width² / 12T²).")
    k[3].metric("quench above the best E_min/N", f"median {chk['quench_gap_median']:.3f}",
                help=f"The paper's quench from all +1 stops in a local minimum; annealing finds lower states "
                     f"(largest gap {chk['quench_gap_max']:.3f} per spin).")
    fig, data = tc_agreement_figure(fingerprints, note=note)
    figure_with_downloads(fig, data, "T_c two methods", key="ql_tc_check")
    checks = fingerprints[["model", "variant", "n_spins", "e_min_quench_per_spin", "e_min_anneal_per_spin",
                           "e_min_per_spin", "w_per_spin", "w_ground_per_spin", "w_edge_bins", "wl_converged",
                           "wl_log_f", "wl_symmetry_error", "t_c_wl", "t_c_pt", "t_c_pt_err", "pt_swap_min",
                           "cpu_seconds", "seconds"]]
    st.dataframe(checks, hide_index=True, width="stretch")

def table_view():
    """The numbers."""
    st.caption(f"One row per model (full network); twin columns end in `_shuffled`; differences start with `d_`. "
               f"Code version {CODE_VERSION}. The full table with sub-networks: `sample_models/zoo_physics.csv`.")
    st.dataframe(view, hide_index=True, width="stretch")


VIEWS = {"Indicators vs accuracy": indicators_view, "Network − shuffled twin": twin_view,
         "W against depth": depth_view, "Spectral baseline": spectral_view, "Checks": checks_view, "Table": table_view}
shown = params.segmented("View", key="ql_view", default="Indicators vs accuracy", options=list(VIEWS))
VIEWS[shown]()
