"""Liquid & solid layers: the phase diagram of the thermal deep learning machine over ln α and depth.

Opens at once on the sweep shipped in ``sample_models/phase_diagram/`` (read with
``engine.sweep.load_results``), draws q*_l over (layer, ln α) with the 1/e line, mean |S_l|,
ξ_s against ln α with its linear fit and a (ln α, L) map; a click on any cell (or the
selectbox under the maps) opens that job's curves. A small live sweep (``engine.sweep.run_sweep``)
writes to a per-session temporary folder and is shown beside the shipped data.
Huang, Chan, Yoshino, Zhang & Jin, arXiv:2506.06789 (2025); PHYSICS.md section 5.
"""
import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from engine.data import DATASETS
from engine.errors import EngineError
from engine.sweep import PRESETS, SweepResults, linear_fit, load_results, make_grid, run_sweep
from engine.thermal_machine import ONE_OVER_E, MachineConfig
from ui import catalog, params
from ui import fig_thermal as ft
from ui.downloads import csv_bytes, figure_with_downloads
from ui.errors import engine_errors
from ui.progress import run_with_progress
from ui.shell import page_header

TINY = catalog.TINY
INFO = catalog.page_info("phase_diagram.py")
SHIPPED = Path(__file__).resolve().parents[1] / "sample_models" / "phase_diagram"
PRESET = PRESETS["tiny" if TINY else "quick"]
MAX_LIVE_SECONDS = 600  # larger grids belong on the command line (python -m engine sweep)
SOURCES = {"shipped": "Shipped sweep", "live": "Your live sweep"}
CHARTS = ("pd_q", "pd_xi", "pd_map")  # charts whose cells open curves on click

page_header(
    INFO.title,
    "The thermal machine (see the *Thermal machine* page) is run for many storage ratios α = M/N "
    "(training examples per hidden neuron) and depths L. In every run, each hidden layer is **solid** if two "
    "replicas started from the same learned state stay correlated (q* ≥ 1/e) and **liquid** if they wander "
    "apart (q* < 1/e). The paper finds solid layers next to the input and the output and a liquid centre, with "
    "the solid part growing like ln α. This page opens on a precomputed sweep and lets you add a small one.",
    source=INFO.source)


# ------------------------------------------------------------------ data
def signature(folder) -> tuple:
    """What a results folder holds now (names, sizes, times): reload when it changes."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).glob("job-*")))


@st.cache_data(show_spinner=False, max_entries=16)
def load(folder: str, sig: tuple) -> SweepResults:
    return load_results(folder)


def results_of(folder) -> SweepResults:
    return load(str(folder), signature(folder))


@st.cache_data(show_spinner=False, max_entries=512)
def job_curves(folder: str, job: str, sig: tuple) -> pd.DataFrame:
    return SweepResults(None, [], folder).curves(job)


@st.cache_data(show_spinner=False, max_entries=16)
def acc_at_split(folder: str, jobs: tuple, sig: tuple) -> dict:
    """Sign-network test accuracy at t_w of each job (from its curves file)."""
    out = {}
    for job, t_w in jobs:
        c = job_curves(folder, job, sig)
        a = c[(c["series"].astype(str) == "acc_sign") & (c["step"] == t_w)]
        if len(a):
            out[job] = float(a["value"].iloc[0])
    return out


def tagged(res: SweepResults, source: str) -> dict:
    """The tables of one source with ``source`` and a ``cell`` id (source|M|N|L) on every row."""
    def tag(df):
        df = df.copy()
        df["source"] = source
        df["cell"] = [f"{source}|{m}|{n}|{l}" for m, n, l in zip(df["M"], df["N"], df["L"])]
        return df
    if res.frame.empty:
        return {}
    return {"frame": tag(res.frame), "jobs": tag(res.jobs()), "summary": tag(res.layer_summary()),
            "depths": tag(res.solid_depths()), "folder": res.folder}


def pm(v: float, e: float, digits: int = 2) -> str:
    """'v ± e', or just 'v' when the error is undefined (too few points, or all values equal)."""
    return f"{v:.{digits}f} ± {e:.{digits}f}" if np.isfinite(e) else f"{v:.{digits}f} (no error estimate)"


# ------------------------------------------------------------------ live sweep
running = st.session_state.get("pd:running")
with st.expander("Run a small live sweep on top of the shipped data (under a minute)",
                 expanded=bool(running) or "pd:live_dir" in st.session_state):
    quick = PRESETS["quick"]
    st.markdown("A grid of independent runs of the machine, one per (α, L, seed), written as Parquet files to a "
                "temporary folder of this browser session (never into the shipped data). Each finished job is kept: "
                "**Stop** (or a rerun of the same grid) resumes where it stopped. The default is the preset *quick*: "
                f"M = {quick['M'][0]} digits, N = {', '.join(map(str, quick['N']))} (ln α = "
                + ", ".join(f"{np.log(quick['M'][0] / n):.1f}" for n in quick["N"])
                + f"), L = {quick['L'][0]}, t_w = t_run = {quick['t_w']:,} steps.")
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        ds = params.selectbox("Data set", key="pd_ds", default=PRESET["dataset"], options=DATASETS,
                              format_func=ft.dataset_label)
        M = params.number_input("Training examples M", key="pd_M", default=int(PRESET["M"][0]), step=10,
                                help="At most 270 for digits 0/1 and 450 for teacher-student (checked by the engine).")
        by = params.segmented("Vary α through", key="pd_by", default="N", options=["N", "α"],
                              help="Give the hidden widths N, or storage ratios α (then N = round(M/α)).")
    with c2:
        values = params.bound(st.text_input, "Hidden widths N" if by == "N" else "Storage ratios α = M/N",
                              key="pd_vals", default=", ".join(map(str, PRESET["N"])),
                              help="Comma-separated, e.g. `4, 8, 16` (N) or `10, 20, 40` (α).")
        depths_text = params.bound(st.text_input, "Depths L", key="pd_Ls",
                                   default=", ".join(map(str, PRESET["L"])), help="Comma-separated, e.g. `4, 6`.")
        seeds_text = params.bound(st.text_input, "Seeds", key="pd_seeds", default="0",
                                  help="Comma-separated; ξ_s gets error bars from several seeds.")
    with c3:
        eta = params.number_input("Friction η", key="pd_eta", default=1e-2, step=1e-3, format="%.4f",
                                  help="The literal integrator removes η·Δt of the velocity per step (default 0.01; "
                                       "the paper's 0.001 anneals 10× slower).")
        t_w = params.number_input("t_w (steps before the split)", key="pd_tw", default=int(PRESET["t_w"]), step=1000)
        t_run = params.number_input("t_run (steps after it)", key="pd_trun", default=int(PRESET["t_run"]), step=1000)
    with c4:
        n_rep = params.number_input("Replicas", key="pd_R", default=int(PRESET.get("n_replicas", 2)), step=1)
        executor = params.segmented("Run in", key="pd_exec", default="serial" if TINY else "processes",
                                    options=["serial", "processes"],
                                    help="serial: one job after the other in this server; processes: local worker "
                                         "processes (2 here).")
    b1, b2, b3 = st.columns([1, 1, 4], vertical_alignment="center")
    go_sweep = b1.button("Run sweep", key="pd_run", type="primary", icon=":material/play_arrow:", width="stretch")
    clear = b2.button("Clear", key="pd_clear", icon=":material/delete:", width="stretch",
                      help="Forget the live results of this session (the temporary files stay until the "
                           "server's temporary folder is cleaned).")
    estimate_slot = b3.empty()
    if clear:
        for k in ("pd:live_dir", "pd:report", "pd:running"):
            st.session_state.pop(k, None)

    def live_jobs():
        """The grid of the controls (validated by the engine: α, L, N, M, η, t_w, t_run, M against the data)."""
        base = replace(MachineConfig(), dataset=ds, eta=eta, t_w=t_w, t_run=t_run, n_replicas=n_rep,
                       n_times=int(PRESET["n_times"]))
        vals = params.parse_numbers(values, "N" if by == "N" else "alpha", int if by == "N" else float)
        grid = dict(N=vals) if by == "N" else dict(alpha=vals)
        return make_grid(base, M=(M,), L=params.parse_numbers(depths_text, "L"),
                         seeds=params.parse_numbers(seeds_text, "seed"), **grid)

    if go_sweep:
        with engine_errors("Live sweep"):
            jobs = live_jobs()
            estimate = ft.estimated_seconds(j.config for j in jobs)
            if estimate > MAX_LIVE_SECONDS:
                raise EngineError(f"this grid would take about {estimate / 60:.0f} minutes here; the live sweep is "
                                  f"for grids under {MAX_LIVE_SECONDS // 60} minutes. Run larger ones with "
                                  "`python -m engine sweep` and open their folder with load_results")
            if "pd:live_root" not in st.session_state:  # made at the first live sweep of this session
                st.session_state["pd:live_root"] = tempfile.mkdtemp(prefix="nnlab-sweep-")
            # one folder per base setting, so that summaries over seeds never mix different t_w, η, ...
            tag = hashlib.sha256(jobs[0].config.validated().to_json().encode()).hexdigest()[:10]
            folder = str(Path(st.session_state["pd:live_root"]) / f"sweep-{tag}")
            st.session_state["pd:live_dir"] = folder
            st.session_state["pd:running"] = (folder, len(jobs))  # still set on the next run = it was stopped
            try:
                rep = run_with_progress("pd_sweep", f"Live sweep: {len(jobs)} jobs (≈ {estimate:.0f} s here)",
                                        run_sweep, jobs, folder, executor=executor,
                                        workers=min(2, os.cpu_count() or 1))
            except EngineError:
                st.session_state.pop("pd:running", None)
                raise
            st.session_state.pop("pd:running", None)
            st.session_state.pop("pd_sweep:partial", None)
            st.session_state["pd:report"] = (rep.run, rep.skipped, rep.total, rep.seconds, rep.failed)
            st.session_state["ctl:pd_src"] = "live"
    running = st.session_state.get("pd:running")
    if running and not go_sweep:  # a Stop click (or another widget) interrupted the sweep
        folder, n = running
        done = len(list(Path(folder).glob("job-*[0-9a-f].parquet"))) if Path(folder).is_dir() else 0
        st.warning(f"The live sweep was stopped: {done} of {n} jobs finished and are shown (kept on disk). Press "
                   "**Run sweep** with the same settings to run only the missing ones.", icon=":material/stop_circle:")
        st.session_state.pop("pd:running", None)
        st.session_state["ctl:pd_src"] = "live"
    if "pd:report" in st.session_state:
        n_run, n_skip, total, secs, failed = st.session_state["pd:report"]
        st.success(f"Live sweep: {n_run} job{'s' if n_run != 1 else ''} run now, {n_skip} already done, of {total}, "
                   f"in {secs:.0f} s.",
                   icon=":material/check_circle:")
        for key, what, err in failed:
            st.error(f"Job {what} failed: {err}", icon=":material/error:")

# ------------------------------------------------------------------ load
shipped_res = results_of(SHIPPED)
sources = {"shipped": tagged(shipped_res, "shipped")}
unreadable = [("shipped", p, why) for p, why in shipped_res.unreadable]
live_dir = st.session_state.get("pd:live_dir")
if live_dir and Path(live_dir).is_dir() and signature(live_dir):
    live_res = results_of(live_dir)
    unreadable += [("live", p, why) for p, why in live_res.unreadable]
    if not live_res.frame.empty:
        sources["live"] = tagged(live_res, "live")
for src, path, why in unreadable:
    st.warning(f"{SOURCES[src]}: could not read `{Path(path).name}` ({why}); it is skipped, the other results are "
               "shown.", icon=":material/warning:")
sources = {k: v for k, v in sources.items() if v}
if not sources:
    st.error("No readable results: the shipped sweep in sample_models/phase_diagram/ is missing or unreadable.")
    st.stop()


all_cells = pd.concat([s["depths"] for s in sources.values()], ignore_index=True)
cell_ids = list(dict.fromkeys(all_cells.sort_values(["source", "L", "ln_alpha"], ascending=[False, False, False])
                              ["cell"]))
# a click on a chart since the last run: make its cell the selected one before anything is drawn
for chart in CHARTS:
    cell = ft.cell_from_selection(st.session_state.get(f"chart:{chart}"))
    last = st.session_state.get(f"pd:click:{chart}")
    if cell != last:
        st.session_state[f"pd:click:{chart}"] = cell
        if cell in cell_ids:
            st.session_state["ctl:pd_cell"] = cell
default_cell = "shipped|270|3|10" if "shipped|270|3|10" in cell_ids else cell_ids[0]
if st.session_state.get("ctl:pd_cell") not in cell_ids:
    st.session_state.pop("ctl:pd_cell", None)
selected = st.session_state.get("ctl:pd_cell", default_cell)

# ------------------------------------------------------------------ controls
k1, k2, k3 = st.columns([2, 1, 2])
if st.session_state.get("ctl:pd_src") not in sources:  # e.g. the live results were cleared
    st.session_state.pop("ctl:pd_src", None)
with k1:
    src = params.segmented("Data", key="pd_src", default="shipped", options=list(sources), format_func=SOURCES.get)
S = sources[src]
Ls = sorted(S["depths"]["L"].unique(), reverse=True)
with k2:
    if st.session_state.get("ctl:pd_Lshow") not in Ls:
        st.session_state.pop("ctl:pd_Lshow", None)
    L_show = params.selectbox("Depth L", key="pd_Lshow", default=int(Ls[0]), options=[int(v) for v in Ls])
with k3:
    cosine = params.toggle("Cosine-normalised overlaps", key="pd_cos", default=False,
                           help="q = Σ S^a S^b / √(Σ (S^a)² Σ (S^b)²) instead of the raw mean (1/NM) Σ S^a S^b: it "
                                "ignores how small the amplitudes are and starts at 1 in every layer.")
frame_L = S["frame"][S["frame"]["L"] == L_show]
note = ft.sweep_note(frame_L, SOURCES[src].lower())

# ------------------------------------------------------------------ 1. q* and |S| over (layer, ln α)
st.subheader(f"1 · Which layers are solid: q*_l over layer and ln α (L = {L_show})")
summary = S["summary"][S["summary"]["L"] == L_show]
if summary["ln_alpha"].nunique() < 1:
    st.info("No runs at this depth.")
else:
    fig, df = ft.layer_maps(summary, cosine=cosine, note=note, selected=selected)
    figure_with_downloads(fig, df, f"q_star and mean abs S {src} L{L_show}", key="pd_q", on_select="rerun",
                          selection_mode="points")
    st.caption("Mean over seeds. Click a cell to open that run's curves in section 4. The right map guards "
               "against a false 'liquid': a layer whose amplitudes |S| collapsed to 0.01-0.05 would have a tiny raw "
               "q* without being a liquid of a working network.")

# ------------------------------------------------------------------ 2. ξ_s against ln α
st.subheader("2 · Solid depth ξ_s against ln α")
depths = pd.concat([s["depths"] for s in sources.values()], ignore_index=True)
jobs_all = pd.concat([s["jobs"] for s in sources.values()], ignore_index=True)
xi_col = "xi_s_cosine" if cosine else "xi_s"
fits = {}
for (s_, L_), g in jobs_all.groupby(["source", "L"]):
    if g["ln_alpha"].nunique() >= 2:
        fits[(s_, int(L_))] = linear_fit(g["ln_alpha"], g[xi_col])
shipped_Ls = sorted(int(v) for v in depths[depths["source"] == "shipped"]["L"].unique())
shown = {(src, L_show)} | ({("live", int(v)) for v in depths[depths["source"] == "live"]["L"].unique()}
                           if "live" in sources else set())
if shipped_Ls and src != "shipped":  # the live sweep is drawn on top of the shipped diagram's deepest series
    shown.add(("shipped", shipped_Ls[-1]))
fig, df = ft.solid_depth_figure(depths, jobs_all, fits, cosine=cosine, shown=shown, selected=selected,
                                note=ft.sweep_note(pd.concat([s["frame"] for s in sources.values()])))
figure_with_downloads(fig, df, f"solid depth against ln alpha{' cosine' if cosine else ''}", key="pd_xi",
                      on_select="rerun", selection_mode="points")
fit_here = fits.get((src, L_show))
if fit_here and np.isfinite(fit_here["slope"]):
    st.caption(f"Least squares over the {fit_here['n']} single runs at L = {L_show} ({SOURCES[src].lower()}): "
               f"ξ_s = ({pm(fit_here['slope'], fit_here['slope_err'])}) ln α + "
               f"({pm(fit_here['intercept'], fit_here['intercept_err'])}). Other depths and sources: click "
               "their legend entries.")

# ------------------------------------------------------------------ 3. (ln α, L) map
st.subheader("3 · Storage ratio and depth: how much of the network is solid")
qty = params.segmented("Map shows", key="pd_map_q", default="liquid fraction",
                       options=["liquid fraction", "solid depth ξ_s"])
d_src = S["depths"]
if d_src["L"].nunique() < 2:
    st.caption(f"{SOURCES[src]} has one depth only (L = {int(d_src['L'].iloc[0])}): the map is a single row.")
fig, df = ft.depth_map(d_src, quantity="liquid_fraction" if qty == "liquid fraction" else "xi_s", cosine=cosine,
                       note=ft.sweep_note(S["frame"], SOURCES[src].lower()), selected=selected)
figure_with_downloads(fig, df, f"depth map {src}", key="pd_map", on_select="rerun", selection_mode="points")
st.caption("Liquid fraction (L − ξ_s)/(L − 1): the share of the L − 1 hidden layers that are liquid. Mean over the "
           "seeds of each cell (hover shows how many).")

# ------------------------------------------------------------------ 4. one cell's curves
st.subheader("4 · Open a cell: the curves of one run")


def cell_label(cid: str) -> str:
    row = all_cells[all_cells["cell"] == cid].iloc[0]
    return (f"{SOURCES[row['source']]} · ln α = {row['ln_alpha']:.2f} (N = {row['N']}, M = {row['M']}) · "
            f"L = {row['L']} · {row['n_seeds']} seed{'s' if row['n_seeds'] > 1 else ''}")


s1, s2 = st.columns([3, 1])
with s1:
    cell = params.selectbox("Cell (or click one in the maps above)", key="pd_cell", default=default_cell,
                            options=cell_ids, format_func=cell_label)
cell_jobs = jobs_all[jobs_all["cell"] == cell].sort_values("seed")
seeds = [int(v) for v in cell_jobs["seed"]]
with s2:
    if st.session_state.get("ctl:pd_seed") not in seeds:
        st.session_state.pop("ctl:pd_seed", None)
    seed = params.selectbox("Seed", key="pd_seed", default=seeds[0], options=seeds)
job = cell_jobs[cell_jobs["seed"] == seed].iloc[0]
src_of_cell = job["source"]
folder = sources[src_of_cell]["folder"]
with engine_errors("Reading the job's curves"):
    curves = job_curves(folder, job["job"], signature(folder))
    layers = sources[src_of_cell]["frame"]
    layers = layers[layers["job"] == job["job"]].sort_values("layer")
    meta = ft.run_meta(layers)
    fig, df = ft.run_curves_figure(curves, meta, cosine=cosine)
    figure_with_downloads(fig, df, f"curves {job['job']}", key="pd_curves")
    row = layers.iloc[0]
    st.caption(f"Job `{job['job']}` · final H/H(0) = {row['energy_ratio']:.2g} · test accuracy sign "
               f"{row['acc_sign']:.2f}, tanh {row['acc_tanh']:.2f} · ξ_s = {int(row['xi_s'])} (raw), "
               f"{int(row['xi_s_cosine'])} (cosine) · "
               + (f"{row['cpu_seconds']:.0f} CPU-seconds" if np.isfinite(row["cpu_seconds"]) else "CPU time not "
                  "recorded") + ". Times in MD steps (time units = steps × Δt = steps × "
               f"{row['dt']:g}).")
    with st.expander("This run's per-layer table"):
        cols = ["layer", "q_star", "q_star_err", "q_star_cosine", "Q_star", "Q_star_cosine", "tau", "tau_cosine",
                "tau_J", "mean_abs_s", "E_layer", "liquid", "liquid_cosine"]
        st.dataframe(layers[cols], hide_index=True, width="stretch")
        st.download_button("Per-layer table (CSV)", csv_bytes(layers), file_name=f"job-{job['job']}.csv",
                           mime="text/csv", key="pd_layers_csv", icon=":material/download:", on_click="ignore")


# ------------------------------------------------------------------ 5. what the data shows
def rng_text(pair, digits=2) -> str:
    lo, hi = pair
    return f"{lo:.{digits}f}" if round(lo, digits) == round(hi, digits) else f"{lo:.{digits}f}–{hi:.{digits}f}"


def verdicts(S: dict, L: int, label: str) -> str | None:
    """What a source shows at depth L, in words, every number read off its files."""
    fr = S["frame"]
    jobsL = S["jobs"][S["jobs"]["L"] == L]
    folder = S["folder"]
    acc = acc_at_split(folder, tuple((j, int(t)) for j, t in fr[fr["L"] == L].drop_duplicates("job")[["job", "t_w"]]
                                     .itertuples(index=False)), signature(folder))
    f = ft.phase_facts(fr, L=L, acc_at_split=acc)
    if not f:
        return None
    raw = linear_fit(jobsL["ln_alpha"], jobsL["xi_s"])
    cos = linear_fit(jobsL["ln_alpha"], jobsL["xi_s_cosine"])
    lines = [f"**{label}, L = {L}: {f['n_runs']} runs** at {f['n_alpha']} values of ln α = "
             f"{f['ln_alpha'][0]:.2f}–{f['ln_alpha'][1]:.2f} (M = {', '.join(map(str, f['M']))}; seeds "
             f"{', '.join(map(str, f['seeds']))})."]
    centre = f["centre"]
    boundary_solid = f["q_first"][0] >= ONE_OVER_E and f["q_last"][0] >= ONE_OVER_E
    if centre:
        all_liquid = f["centre_liquid_runs"] == f["n_runs"]
        shown = ("comes out" if all_liquid and boundary_solid else
                 "partly comes out" if all_liquid else "does not come out")
        lines.append(
            f"- **Solid-liquid-solid profile: {shown}.** Next to the input q*_1 = {rng_text(f['q_first'])}, next to "
            f"the output q*_{L - 1} = {rng_text(f['q_last'])} (means over seeds, one per ln α); the centre layers "
            f"{centre[0]}–{centre[-1]} are below 1/e in {f['centre_liquid_runs']} of {f['n_runs']} runs (largest "
            f"single value {f['centre_max']:.2f}). {f['boundary_breaks']} single boundary values fall below 1/e. "
            "The paper has q* ≈ 0.9–1 at the boundaries and 0.01–0.1 in the centre.")
    else:
        lines.append(f"- q*_1 = {rng_text(f['q_first'])}, q*_{L - 1} = {rng_text(f['q_last'])}; at L = {L} there "
                     "is no centre (layers 3..L−4) to test for a liquid.")
    if np.isfinite(raw["slope"]):
        xis = list(f["xi_s"].values())
        xs = ", ".join(f"{v:.1f}" for v in xis)
        sig = raw["slope"] / raw["slope_err"] if np.isfinite(raw["slope_err"]) and raw["slope_err"] > 0 else np.nan
        rise = raw["slope"] * (f["ln_alpha"][1] - f["ln_alpha"][0])  # layers gained over the whole range
        if np.ptp(jobsL["xi_s"]) == 0:
            head = f"ξ_s does not change with ln α: ξ_s = {xis[0]:g} in every run"
        elif not np.isfinite(sig) or abs(sig) < 2:
            head = (f"ξ_s does not change measurably with ln α: fitted slope {pm(raw['slope'], raw['slope_err'])} "
                    f"per unit ln α (ξ_s = {xs} from the smallest to the largest α)")
        else:
            word = ("grows with ln α" + (f", but weakly ({rise:.1f} layers over the range)" if rise < 2 else "")
                    if sig > 0 else "falls with ln α")
            head = (f"ξ_s {word}: fitted slope {pm(raw['slope'], raw['slope_err'])} per unit ln α ({sig:.1f} "
                    f"standard errors; ξ_s = {xs} from the smallest to the largest α)")
        al = sorted(f["sides"])
        lo, hi = f["sides"][al[0]], f["sides"][al[-1]]
        bold, _, rest = head.partition(":")
        lines.append(
            f"- **{bold}**{':' + rest if rest else ''}. Solid layers counted from the output: "
            f"{rng_text(lo['output'], 0)} at ln α = {al[0]:.2f}, {rng_text(hi['output'], 0)} at {al[-1]:.2f}; from "
            f"the input: {rng_text(lo['input'], 0)} and {rng_text(hi['input'], 0)}"
            + (" — the growth is on the output side, as in the paper."
               if hi["output"][1] - lo["output"][0] > hi["input"][1] - lo["input"][0] else "."))
    if "centre_cos" in f and np.isfinite(cos["slope"]):
        cc = f["centre_cos"]  # {ln α: (min, max)} of the centre layers' q*_cos, means over seeds
        solid_from = f["centre_cos_solid_from"]
        below = [v for a, v in cc.items() if solid_from is None or a < solid_from]
        above = [v for a, v in cc.items() if solid_from is not None and a >= solid_from]

        def span(vs):
            return f"{min(v[0] for v in vs):.2f}–{max(v[1] for v in vs):.2f}"

        if solid_from is None:
            head, body = "The cosine-normalised q* agrees", f"the centre stays below 1/e (q*_cos = {span(below)})"
        else:
            head = f"The cosine-normalised q* says something else at ln α ≥ {solid_from:.2f}"
            body = ((f"the centre layers have q*_cos = {span(below)} below that (liquid) but " if below
                     else "the centre layers have q*_cos = ") + f"{span(above)} there: by the cosine rule the "
                    "centre is solid")
        amp_lo, amp_hi = f["centre_abs_s"]
        amp = (" — some reach the collapsed 0.01–0.05" if amp_lo < 0.05 else
               " — above the collapsed 0.01–0.05" + (", but close to it in places" if amp_lo < 0.1 else ""))
        lines.append(
            f"- **{head}:** {body} (ξ_s,cos up to {max(f['xi_s_cosine'].values()):.1f} of {L}; fit slope "
            f"{pm(cos['slope'], cos['slope_err'], 1)}). The raw q* of a layer cannot exceed its mean S² "
            f"(Cauchy-Schwarz), so small amplitudes alone keep it small: mean |S_l| = {amp_lo:.2f}–{amp_hi:.2f} in "
            f"layers {centre[0]}–{centre[-1]}{amp}.")
    if "acc_sign_split" in f and np.isfinite(f["acc_sign_split"]):
        lines.append(
            f"- **Test accuracy:** the tanh network classifies {rng_text(f['acc_tanh_end'])} of the test digits at "
            f"the end. The sign network S_l = sgn(J_l S_(l−1)) reaches {f['acc_sign_split']:.2f} (mean) at t_w but "
            f"{rng_text(f['acc_sign_end'])} (means per ln α; {jobsL['acc_sign'].mean():.2f} over all runs) after the "
            "replicas ran t_run: "
            + ("it does not hold up after the split." if jobsL["acc_sign"].mean() < f["acc_sign_split"] - 0.1
               else "it holds up." if jobsL["acc_sign"].mean() >= f["acc_sign_split"] - 0.03
               else "it drops a little."))
    return ft.markdown_safe("\n".join(lines))


st.subheader("5 · What the data shows, and what it does not")
sh = sources.get("shipped")
if sh is not None and 10 in set(sh["jobs"]["L"]):
    text = verdicts(sh, 10, "Shipped sweep (digits 0/1)")
    if text:
        st.markdown(text)
    d = sh["depths"]
    common = sorted(a for a, g in d.groupby("ln_alpha") if g["L"].nunique() == d["L"].nunique())
    if common and d["L"].nunique() > 1:
        parts, monotonic = [], True
        for a0 in common:
            g = d[d["ln_alpha"] == a0].sort_values("L")
            frac = ft.liquid_fraction(g["xi_s"], g["L"])
            monotonic &= bool(np.all(np.diff(frac) >= 0))
            parts.append(f"{', '.join(f'{v:.2f}' for v in frac)} at ln α = {a0:.2f}")
        Ls_ = ", ".join(str(v) for v in sorted(d["L"].unique()))
        st.markdown(f"- **Depth:** the liquid fraction (L − ξ_s)/(L − 1) for L = {Ls_} is " + "; ".join(parts)
                    + (": at fixed α a deeper machine only adds liquid layers, as the paper reports."
                       if monotonic else ": it does not grow with L everywhere here.")
                    + " (L < 10: seed 0 only; L = 10: mean of the seeds.)")
    j10 = sh["jobs"][sh["jobs"]["L"] == 10]
    f10 = sh["frame"][sh["frame"]["L"] == 10]
    lo_a, hi_a = float(j10["ln_alpha"].min()), float(j10["ln_alpha"].max())
    st.markdown(
        f"- **Range of α:** M = {', '.join(map(str, sorted(j10['M'].unique())))} is every training image of digits "
        f"0/1 (the largest M the data allow), so ln α = ln(M/N) spans {lo_a:.2f}–{hi_a:.2f} for N = "
        f"{j10['N'].min()}–{j10['N'].max()}. The paper (MNIST, M = 2000) covers ln α ≈ 3.9–6.0: "
        + (f"only {max(lo_a, 3.9):.1f}–{hi_a:.1f} overlaps, so its large-α behaviour is out of reach of this data "
           "set." if hi_a > 3.9 else "no overlap at all.")
        + f" Runs here: t_w = {f10['t_w'].iloc[0]:,} and t_run = {f10['t_run'].iloc[0]:,} steps, η = "
          f"{f10['eta'].iloc[0]:g} (the paper: 0.001); longer runs or the paper's η could move the numbers.")
if "live" in sources:
    lv = sources["live"]
    for L_ in sorted(lv["jobs"]["L"].unique(), reverse=True):
        text = verdicts(lv, int(L_), "Your live sweep")
        if text:
            st.markdown(text)

with st.expander("How to read this page", expanded=False):
    st.markdown("""
**The machine.** Each training image μ has its own copy of the hidden representations S^μ_l (real numbers in
(−1, 1)); the weights J_l are shared. The energy E_l = √(Σ_μ,i [S^μ_l,i − tanh(Σ_j J_l,ij S^μ_l−1,j)]²) is zero when
every layer reproduces the next one; input and output (the label) are clamped. Langevin dynamics at a tiny
temperature learns (the energy falls like −ln t) until the waiting time t_w; then the machine is copied into
replicas with fresh random velocities.

**Liquid or solid.** q*_l is the overlap of two replicas' representations at the end. If the replicas stay
together (q* ≥ 1/e) the layer is *solid*: the data pin it down. If they drift apart (q* < 1/e) it is *liquid*:
many representations fit equally well. The solid depth ξ_s = L − (number of liquid layers) counts the clamped
output layer as solid.

**Storage ratio α = M/N.** More constraints per free variable pin more layers: the theory (Yoshino 2020)
predicts that solid layers grow inward from both boundaries as ln α grows.

**Clicking.** Heat maps cannot be clicked in Plotly, so each cell carries an invisible marker; a click selects it
and opens its run in section 4 (or use the selectbox there). Every figure has its data as CSV and itself as
interactive HTML under it.
""")

# ------------------------------------------------------------------ the live sweep's size (needs the data: last)
try:
    preview = live_jobs()
    estimate_slot.caption(f"{len(preview)} jobs, ≈ {ft.estimated_seconds(j.config for j in preview):.0f} s of "
                          "computing on one core of this machine (measured idle; under load up to twice as long). "
                          "Stop takes effect when the job in progress finishes.")
except EngineError as e:
    estimate_slot.caption(f"Not a valid grid yet: {e}")
