"""Figures of the thermal deep learning machine and of its phase diagram (pure functions, no st calls).

Huang, Chan, Yoshino, Zhang & Jin, arXiv:2506.06789 (2025); PHYSICS.md section 5. The engine
(:mod:`engine.thermal_machine`, :mod:`engine.sweep`) computes every number; these functions lay
out its tables:

* a run's time series in long format -- :meth:`MachineResult.series_frame` or a sweep's
  ``job-<key>.curves.parquet``: ``series, layer, step, value, err`` (steps since the start for
  the aging curves, steps since t_w for ``c, C, q, Q`` and their ``_cos`` versions);
* a run's per-layer table -- :meth:`MachineResult.to_frame` or a sweep's ``job-<key>.parquet``;
* a sweep's summaries -- :meth:`SweepResults.layer_summary`, ``.solid_depths()``, ``.jobs()``.

So a live run and a precomputed job are drawn by the same code. Times are MD steps
(time = steps × Δt). Colours: solid layers blue, liquid layers orange, one hue per layer from
the input side (dark) to the output side (light).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from engine.thermal_machine import ONE_OVER_E

from .fig_replicas import log_ticks
from .plotting import COLORS, error_band, provenance, style, wrap_lines

SOLID, LIQUID = COLORS["trained"], COLORS["partial"]
#: q* colour scale: orange (liquid) -> white at the threshold 1/e -> blue (solid), on [0, 1].
LIQUID_SOLID = [[0.0, "#b35806"], [0.5 * ONE_OVER_E, "#f1a340"], [ONE_OVER_E, "#f7f7f7"],
                [0.5 * (1 + ONE_OVER_E), "#6baed6"], [1.0, "#08306b"]]
STEPS = "time t (MD steps)"
LAGS = "time since the split t − t_w (MD steps)"
DATASET_LABEL = {"digits": "digits 0/1 (±1 pixels)", "teacher_student": "teacher-student (±1 inputs)"}
#: What each correlation series is, for titles and axes.
CORRELATIONS = {
    "c": ("c_l(t, t_w)", "spins: auto-correlation with t_w"),
    "q": ("q_l(t)", "spins: overlap between replicas"),
    "C": ("C_l(t, t_w)", "weights: auto-correlation with t_w"),
    "Q": ("Q_l(t)", "weights: overlap between replicas"),
}


#: Seconds per unit of :func:`engine.sweep.job_cost` (multiply-adds per force × replica-steps): 0.18 ms per
#: replica-step at M = 200, N = 10, L = 10 measured on one core of this 2-core machine (idle; about
#: 2× more under load). Only for the "about N s" captions next to the Run buttons.
SECONDS_PER_COST = 5.8e-10
#: Seconds per run on top of the MD: the measurements at ``n_times`` times, the replica split and the
#: result tables (about 1 s at the Thermal machine page's defaults, measured here).
SECONDS_PER_RUN = 1.0


def estimated_seconds(configs, threads: int = 1) -> float:
    """Rough wall time of running these MachineConfigs one after the other here, each with its
    replicas on ``threads`` threads (a sweep job runs on one)."""
    from engine.sweep import Job, job_cost

    return sum(SECONDS_PER_COST * job_cost(Job(c), threads) + SECONDS_PER_RUN for c in configs)


# ====================================================================================== labels

def dataset_label(name: str) -> str:
    return DATASET_LABEL.get(str(name), str(name))


def run_meta(layers: pd.DataFrame) -> dict:
    """The config of one run from its per-layer table (every row carries it)."""
    row = layers.iloc[0]
    keys = ("dataset", "M", "N", "L", "eta", "dt", "kT", "t_w", "t_run", "n_replicas", "energy", "seed",
            "ln_alpha", "stopped")
    return {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in keys if k in layers.columns}


def _seeds_text(seeds) -> str:
    seeds = sorted({int(s) for s in seeds})
    return ", ".join(map(str, seeds)) if len(seeds) <= 5 else f"{seeds[0]}…{seeds[-1]} ({len(seeds)})"


def _values_text(values, fmt="{}") -> str:
    vals = sorted(set(values))
    return ", ".join(fmt.format(v) for v in vals)


def run_note(meta: dict) -> str:
    """Provenance of one run: data set, M, N, L, η, t_w, t_run, replicas, energy, seed."""
    return provenance({
        "data": dataset_label(meta["dataset"]), "M": meta["M"], "N": meta["N"], "L": meta["L"],
        "η": float(meta["eta"]), "t_w": f"{int(meta['t_w']):,}", "t_run": f"{int(meta['t_run']):,} steps",
        "replicas": meta["n_replicas"], "H": "Σ E_l" if meta.get("energy", "sqrt") == "sqrt" else "Σ E_l²",
        "seed": meta["seed"]})


def sweep_note(frame: pd.DataFrame, label: str | None = None) -> str:
    """Provenance of a set of sweep jobs: data set, M, N, L, η, t_w, t_run, replicas, seeds."""
    f = frame
    text = provenance({
        "data": _values_text(f["dataset"].map(dataset_label)) if "dataset" in f else None,
        "M": _values_text(f["M"]), "N": _values_text(f["N"]), "L": _values_text(f["L"]),
        "η": _values_text(f["eta"], "{:g}") if "eta" in f else None,
        "t_w": _values_text(f["t_w"], "{:,}") if "t_w" in f else None,
        "t_run": (_values_text(f["t_run"], "{:,}") + " steps") if "t_run" in f else None,
        "replicas": _values_text(f["n_replicas"]) if "n_replicas" in f else None,
        "seeds": _seeds_text(f["seed"])})
    return f"{label} · {text}" if label else text


def markdown_safe(text: str) -> str:
    """Escape the star of q*, Q*, ξ* in text for st.markdown (a lone * would start italics)."""
    return re.sub(r"(?<=[qQ])\*(?!\*)", r"\\*", text)


def layer_colors(n: int) -> list[str]:
    """n colours from the input side (dark blue) to the output side (yellow-green)."""
    if n <= 1:
        return [COLORS["trained"]]
    return sample_colorscale("Viridis", list(np.linspace(0.0, 0.85, n)))


def _compact(v: float) -> str:
    """1, 10, 100, 1k, 10k, 100k, 1M (tick labels that fit without rotation)."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def step_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Log-axis ticks: 1-2-5 per decade over up to three decades, powers of ten beyond."""
    if hi / max(lo, 1e-300) <= 1e3:
        vals, _ = log_ticks(lo, hi)
    else:
        vals = [10.0 ** k for k in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
                if lo * 0.999 <= 10.0 ** k <= hi * 1.001]
    return vals, [_compact(v) if v >= 1 else f"{v:g}" for v in vals]


def wrap(note: str | None, width: int = 110) -> str | None:
    """Break a provenance line at its ' · ' separators into lines of at most ``width`` characters."""
    return "<br>".join(wrap_lines(note, width)) if note else note


def _style(fig, *, title: str, note: str | None, narrow: bool = False, subplots: bool = False,
           **kw) -> go.Figure:
    """The house style (:func:`ui.plotting.style`) with title and provenance wrapped for the figure's width.

    ``narrow``: a figure in half the page width (about 60 characters of title per line).
    """
    t_width, n_width = (58, 85) if narrow else (110, 160)
    title = "<br>".join(wrap_lines(title, t_width, " "))
    note = wrap(note, n_width)
    style(fig, title=title, note=note, **kw)
    n_title, n_note = title.count("<br>") + 1, (note.count("<br>") + 1) if note else 0
    fig.update_layout(margin=dict(t=30 + 22 * n_title + 17 * n_note + 12 + (30 if subplots else 0)))
    return fig


def _log_axis(fig, values, *, axis="x", row=None, col=None):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return
    ticks, text = step_ticks(float(v.min()), float(v.max()))
    kw = {} if row is None else dict(row=row, col=col)
    upd = fig.update_xaxes if axis == "x" else fig.update_yaxes
    upd(type="log", tickvals=ticks, ticktext=text, **kw)


def _legend_below(fig: go.Figure, bottom: int = 120, gap: int = 64) -> None:
    """Legend ``gap`` pixels under the plot area (below the x-axis title), never over the subtitle.

    Call after the margins are final (after :func:`_style`).
    """
    fig.update_layout(margin=dict(b=bottom))
    plot_h = max(100, fig.layout.height - fig.layout.margin.t - bottom)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-gap / plot_h, xanchor="left", x=0.0))


def _series(curves: pd.DataFrame, name: str, positive: bool = True) -> pd.DataFrame:
    """One series of the long curves table (steps >= 1 on log axes; the step-0 point is in the CSV)."""
    s = curves[curves["series"].astype(str) == name]
    return s[s["step"] >= 1] if positive else s


def _split_line(fig, t_w, *, rows=None, label=True):
    """A dotted vertical line at t_w (the replica split) on every panel in ``rows`` [(row, col)]."""
    if not t_w or t_w <= 0:
        return
    for k, (r, c) in enumerate(rows or [(None, None)]):
        kw = {} if r is None else dict(row=r, col=c)
        fig.add_vline(x=t_w, line=dict(color=COLORS["grey"], dash="dot", width=1.5),
                      annotation_text="split (t_w)" if label and k == 0 else None,
                      annotation_position="top left", annotation_font_size=11, **kw)


# ====================================================================================== panels

def _energy_panel(fig, curves, row, col, *, showlegend=True):
    e = _series(curves, "energy_ratio")
    fig.add_trace(go.Scatter(x=e["step"], y=e["value"], mode="lines+markers", marker=dict(size=4),
                             line=dict(color=COLORS["theory"], width=2), name="H(t)/H(0)", showlegend=showlegend,
                             hovertemplate="t = %{x:,} steps<br>H/H(0) = %{y:.3g}<extra></extra>"), row=row, col=col)
    _log_axis(fig, e["step"], row=row, col=col)
    _log_axis(fig, e["value"], axis="y", row=row, col=col)


def _accuracy_panel(fig, curves, row, col, *, showlegend=True):
    for name, label, color, dash in (("acc_tanh", "test, tanh network", COLORS["simulation"], None),
                                     ("acc_sign", "test, sign network", COLORS["trained"], None),
                                     ("acc_train", "training set, sign network", COLORS["trained"], "dot")):
        s = _series(curves, name)
        if s.empty:
            continue
        err = s["err"].to_numpy(dtype=float)
        err = None if not np.isfinite(err).any() else np.nan_to_num(err)
        error_band(fig, s["step"], s["value"], err, name=label, color=color, dash=dash, row=row, col=col,
                   showlegend=showlegend)
    s = _series(curves, "acc_sign")
    if not s.empty:
        fig.add_trace(go.Scatter(x=[s["step"].min(), s["step"].max()], y=[0.5, 0.5], mode="lines",
                                 line=dict(color=COLORS["grey"], dash="dash", width=1), name="chance (2 classes)",
                                 showlegend=showlegend, hoverinfo="skip"), row=row, col=col)
        _log_axis(fig, s["step"], row=row, col=col)
    fig.update_yaxes(range=[-0.02, 1.04], row=row, col=col)


def _per_layer_panel(fig, curves, name, row, col, *, n_layers, showlegend=True, threshold=None,
                     first_layer=1, L=None):
    """One line per layer of the series ``name``, coloured input side -> output side."""
    s = _series(curves, name)
    colors = layer_colors(n_layers)
    for l, grp in s.groupby("layer", sort=True):
        k = int(l) - first_layer
        err = grp["err"].to_numpy(dtype=float)
        side = " (input side)" if int(l) == 1 else (" (output)" if L is not None and int(l) == L else "")
        fig.add_trace(go.Scatter(
            x=grp["step"], y=grp["value"], mode="lines", line=dict(color=colors[k % len(colors)], width=2),
            error_y=dict(type="data", array=np.nan_to_num(err), thickness=0.8, width=0) if np.isfinite(err).any()
            else None,
            name=f"l = {int(l)}{side}", legendgroup=f"l{int(l)}", showlegend=showlegend,
            hovertemplate=f"layer {int(l)}<br>t = %{{x:,}}<br>%{{y:.3f}}<extra></extra>"), row=row, col=col)
    if threshold is not None and not s.empty:
        fig.add_trace(go.Scatter(x=[s["step"].min(), s["step"].max()], y=[threshold, threshold], mode="lines",
                                 line=dict(color=COLORS["theory"], dash="dash", width=1), hoverinfo="skip",
                                 name="1/e (liquid below)", legendgroup="1/e", showlegend=showlegend and row == 1),
                      row=row, col=col)
    if not s.empty:
        _log_axis(fig, s["step"], row=row, col=col)


def _corr_name(base: str, cosine: bool) -> str:
    return f"{base}_cos" if cosine else base


# ====================================================================================== one run

def aging_figure(curves: pd.DataFrame, meta: dict, *, height: int = 430) -> tuple[go.Figure, pd.DataFrame]:
    """H(t)/H(0) and the layer energies E_l(t) against t (log-log), the split t_w marked."""
    L = int(meta["L"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("whole machine: H(t)/H(0)", "each layer: E_l(t)"))
    _energy_panel(fig, curves, 1, 1, showlegend=False)
    _per_layer_panel(fig, curves, "E", 1, 2, n_layers=L, L=L)
    _log_axis(fig, _series(curves, "E")["value"], axis="y", row=1, col=2)
    _split_line(fig, int(meta["t_w"]), rows=[(1, 1), (1, 2)])
    fig.update_xaxes(title_text=STEPS + ", log scale")
    fig.update_yaxes(title_text="energy ratio H(t)/H(0) (log)", row=1, col=1)
    fig.update_yaxes(title_text="layer energy E_l (dimensionless, log)", row=1, col=2)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True, title="Learning and aging: the energy against time (the paper reports E(t) ~ −ln t)",
           note=run_note(meta), height=height)
    _legend_below(fig)
    keep = curves["series"].astype(str).isin(["energy_ratio", "E"])
    return fig, curves[keep].reset_index(drop=True)


def accuracy_figure(curves: pd.DataFrame, meta: dict, *, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy of the sign and the tanh network (bands: ± s.e. over replicas after the split)."""
    fig = go.Figure()
    _accuracy_panel(fig, curves, None, None)
    _split_line(fig, int(meta["t_w"]))
    _style(fig, narrow=True, title="Classification accuracy of the machine's weights",
           x=STEPS + ", log scale", y="accuracy (fraction correct)", note=run_note(meta), height=height)
    _legend_below(fig)
    keep = curves["series"].astype(str).isin(["acc_sign", "acc_tanh", "acc_train"])
    return fig, curves[keep].reset_index(drop=True)


def amplitude_figure(curves: pd.DataFrame, meta: dict, *, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """Mean |S_l| of each hidden layer against t; the band 0.01-0.05 marks the trivial collapsed solution."""
    L = int(meta["L"])
    fig = go.Figure()
    s = _series(curves, "mean_abs_s")
    if not s.empty:
        t0, t1 = s["step"].min(), s["step"].max()
        fig.add_trace(go.Scatter(x=[t0, t1, t1, t0], y=[0.01, 0.01, 0.05, 0.05], fill="toself", mode="lines",
                                 fillcolor="rgba(213,94,0,0.15)", line=dict(width=0), hoverinfo="skip",
                                 name="collapse zone |S| ≈ 0.01-0.05"))
    _per_layer_panel(fig, curves, "mean_abs_s", None, None, n_layers=L - 1, L=L)
    _split_line(fig, int(meta["t_w"]))
    fig.update_yaxes(range=[0, 1.02])
    _style(fig, narrow=True, title="Amplitudes: mean |S_l| per hidden layer",
           x=STEPS + ", log scale", y="mean |S_l| (S in (−1, 1))", note=run_note(meta), height=height)
    _legend_below(fig)
    return fig, curves[curves["series"].astype(str) == "mean_abs_s"].reset_index(drop=True)


def correlation_figure(curves: pd.DataFrame, meta: dict, *, cosine: bool = False,
                       height: int = 680) -> tuple[go.Figure, pd.DataFrame]:
    """c_l, q_l (spins, l = 1..L-1) and C_l, Q_l (weights, l = 1..L) against t − t_w; 1/e dashed."""
    L = int(meta["L"])
    norm = "cosine-normalised" if cosine else "raw"
    titles = [f"{CORRELATIONS[b][0]} — {CORRELATIONS[b][1]}" for b in ("c", "q", "C", "Q")]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.2, horizontal_spacing=0.08,
                        shared_yaxes=False)
    for k, base in enumerate(("c", "q", "C", "Q")):
        r, c = k // 2 + 1, k % 2 + 1
        _per_layer_panel(fig, curves, _corr_name(base, cosine), r, c, n_layers=L, L=L,
                         showlegend=(k == 2), threshold=ONE_OVER_E)
    lo = min(-0.05, float(np.nanmin(curves["value"][curves["series"].astype(str).isin(
        [_corr_name(b, cosine) for b in "cqCQ"])].to_numpy(dtype=float), initial=0.0)))
    fig.update_yaxes(range=[lo, 1.05])
    fig.update_xaxes(title_text=LAGS + ", log", row=2)
    fig.update_yaxes(title_text=f"{norm} correlation", col=1)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True, title=f"Correlations after the split ({norm}): liquid layers decorrelate below 1/e",
           note=run_note(meta), height=height)
    _legend_below(fig)
    keep = curves["series"].astype(str).isin([_corr_name(b, cosine) for b in "cqCQ"])
    return fig, curves[keep].reset_index(drop=True)


def profile_figure(layers: pd.DataFrame, meta: dict, *, cosine: bool = False,
                   height: int = 420) -> tuple[go.Figure, pd.DataFrame]:
    """q*_l per hidden layer as bars coloured by the rule (solid q* >= 1/e, liquid below); ξ_s in the title.

    Hollow diamonds: the other normalisation, for comparison. Error bars: s.e. over replica pairs (raw).
    """
    L = int(meta["L"])
    df = layers[layers["layer"] < L]
    col, other = ("q_star_cosine", "q_star") if cosine else ("q_star", "q_star_cosine")
    liquid_col, xi_col = ("liquid_cosine", "xi_s_cosine") if cosine else ("liquid", "xi_s")
    q = df[col].to_numpy(dtype=float)
    liquid = df[liquid_col].to_numpy(dtype=bool)
    xi = int(layers[xi_col].iloc[0])
    fig = go.Figure()
    for mask, name, color in ((~liquid, "solid (q* ≥ 1/e)", SOLID), (liquid, "liquid (q* < 1/e)", LIQUID)):
        if mask.any():
            sub = df[mask]
            fig.add_trace(go.Bar(x=sub["layer"], y=sub[col], marker_color=color, name=name,
                                 error_y=dict(type="data", array=np.nan_to_num(sub["q_star_err"].to_numpy(float)))
                                 if not cosine else None,
                                 hovertemplate="layer %{x}<br>q* = %{y:.3f}<extra>" + name + "</extra>"))
    fig.add_trace(go.Scatter(x=df["layer"], y=df[other], mode="markers", name=f"{'raw' if cosine else 'cosine'} q*",
                             marker=dict(symbol="diamond-open", size=10, color=COLORS["theory"]),
                             hovertemplate="layer %{x}<br>other normalisation: %{y:.3f}<extra></extra>"))
    fig.add_hline(y=ONE_OVER_E, line=dict(color=COLORS["theory"], dash="dash", width=1),
                  annotation_text="1/e", annotation_position="right")
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, L)), range=[0.4, L - 0.4])
    fig.update_yaxes(range=[min(-0.05, float(np.nanmin(q, initial=0)) - 0.02), 1.05])
    liquid_layers = [int(x) for x in df["layer"][liquid]]
    title = (f"Replica overlap at the last time q*_l ({'cosine' if cosine else 'raw'}): "
             f"solid depth ξ_s = {xi} of L = {L}"
             + (f", liquid layers {layer_ranges(liquid_layers)}" if liquid_layers else ", no liquid layer"))
    _style(fig, narrow=True, title=title, x="hidden layer l (1 = next to the input, L − 1 = next to the output)",
           y="q*_l", note=run_note(meta), height=height)
    _legend_below(fig, 110)
    cols = ["layer", "q_star", "q_star_err", "q_star_cosine", "liquid", "liquid_cosine", "xi_s", "xi_s_cosine",
            "mean_abs_s"]
    return fig, df[[c for c in cols if c in df.columns]].reset_index(drop=True)


def layer_ranges(ls: list[int]) -> str:
    """[2, 3, 4, 7] -> '2–4, 7'."""
    out, start = [], None
    for k, v in enumerate(ls):
        if start is None:
            start = v
        if k == len(ls) - 1 or ls[k + 1] != v + 1:
            out.append(f"{start}" if start == v else f"{start}–{v}")
            start = None
    return ", ".join(out)


def tau_figure(layers: pd.DataFrame, meta: dict, *, height: int = 420) -> tuple[go.Figure, pd.DataFrame]:
    """Relaxation times τ_l (1/e crossing of c_l, raw and cosine, and of the weights' C_l) per layer.

    ∞ (the curve never fell below 1/e within t_run) is drawn as ▲ on a row above t_run, NaN (it
    started below 1/e, so no crossing is defined) as ✕ on a row at the bottom; the CSV keeps inf/NaN.
    The raw c_l starts at the mean S_l² (not at 1), so its crossing mixes amplitude and decorrelation.
    """
    L, t_run = int(meta["L"]), int(meta["t_run"])
    top, bottom = t_run * 10.0, 0.1
    fig = go.Figure()
    specs = (("tau", "spins, raw c_l", COLORS["trained"]), ("tau_cosine", "spins, cosine c_l", COLORS["accent"]),
             ("tau_J", "weights, C_l", COLORS["simulation"]))
    for k, (col, name, color) in enumerate(specs):
        if col not in layers:
            continue
        d = layers if col == "tau_J" else layers[layers["layer"] < L]
        v = d[col].to_numpy(dtype=float)
        y = np.where(np.isinf(v), top, np.where(np.isnan(v), bottom, v))
        symbol = np.where(np.isinf(v), "triangle-up", np.where(np.isnan(v), "x", "circle"))
        text = [f"τ = ∞: still above 1/e at t − t_w = {t_run:,}" if np.isinf(t) else
                "τ = NaN: already below 1/e at the first lag" if np.isnan(t) else f"τ = {t:,.0f} steps" for t in v]
        fig.add_trace(go.Scatter(x=d["layer"].to_numpy() + (k - 1) * 0.15, y=y, mode="markers", name=name,
                                 marker=dict(size=10, color=color, symbol=list(symbol)), hovertext=text,
                                 customdata=d["layer"], hovertemplate="layer %{customdata}: %{hovertext}<extra>"
                                 + name + "</extra>", legendgroup=col, showlegend=False))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=col,
                                 marker=dict(size=10, color=color, symbol="circle")))
    fig.add_hline(y=t_run, line=dict(color=COLORS["grey"], dash="dot", width=1),
                  annotation_text=f"t_run = {_compact(t_run)}", annotation_position="bottom right",
                  annotation_font_size=11)
    ticks, text = step_ticks(1.0, float(t_run))
    fig.update_yaxes(type="log", range=[math.log10(bottom) - 0.4, math.log10(top) + 0.5],
                     tickvals=[bottom] + ticks + [top], ticktext=["NaN ✕"] + text + ["∞ ▲"])
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, L + 1)), range=[0.4, L + 0.6])
    _style(fig, narrow=True, title="Relaxation times τ_l: when the auto-correlation falls below 1/e",
           x="layer l", y="τ_l (MD steps after t_w, log)", note=run_note(meta), height=height)
    _legend_below(fig, 110)
    cols = [c for c in ("layer", "tau", "tau_cosine", "tau_J") if c in layers]
    return fig, layers[cols].reset_index(drop=True)


def dendrogram_figure(clustering, meta: dict, *, cosine: bool = True,
                      height: int = 430) -> tuple[go.Figure, pd.DataFrame]:
    """Complete-linkage dendrogram of the replicas on 1 − Q^{ab} and the Q^{ab} matrix in leaf order."""
    d = clustering.dendrogram()
    R = clustering.Q.shape[0]
    symbol = "Q" if clustering.kind == "weights" else "q"
    what = f"{'weights' if clustering.kind == 'weights' else 'spins'} of layer {clustering.layer}"
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.12,
                        subplot_titles=(f"dendrogram (complete linkage) of 1 − {symbol}^ab",
                                        f"{symbol}^ab, replicas in dendrogram order"))
    for xs, ys in zip(d["icoord"], d["dcoord"]):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=COLORS["trained"], width=2),
                                 hoverinfo="skip", showlegend=False), row=1, col=1)
    leaves = [int(v) for v in d["leaves"]]
    fig.update_xaxes(tickmode="array", tickvals=[5 + 10 * k for k in range(R)],
                     ticktext=[f"replica {v}" for v in leaves], row=1, col=1)
    fig.update_yaxes(title_text=f"distance 1 − {symbol}^ab", rangemode="tozero", row=1, col=1)
    order = clustering.order
    Q = clustering.Q[np.ix_(order, order)]
    labels = [f"r{v}" for v in order]
    fig.add_trace(go.Heatmap(z=Q, x=labels, y=labels, zmin=min(0.0, float(np.nanmin(Q))), zmax=1.0,
                             colorscale="Blues", texttemplate="%{z:.2f}", colorbar=dict(title=symbol + "^ab",
                                                                                         thickness=12),
                             hovertemplate="%{x} · %{y}: %{z:.3f}<extra></extra>"), row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True, narrow=True, note=run_note(meta), height=height, legend=False,
           title=f"Clustering of the {R} replicas by their {what} ({'cosine' if cosine else 'raw'}, last time)")
    return fig, clustering.to_frame()


def overlap_distribution_figure(ab: np.ndarray, meta: dict, *, layer: int, kind: str = "weights",
                                cosine: bool = True, height: int = 430) -> tuple[go.Figure, pd.DataFrame]:
    """P(Q): the overlaps of every replica pair a < b at the last time.

    ``ab`` (n_layers, R, R) -- ``Q_ab`` (weights, l = 1..L) or ``q_ab`` (spins, l = 1..L-1).
    Left: every layer's pair overlaps as dots; right: the histogram of the chosen ``layer``.
    """
    ab = np.asarray(ab, dtype=float)
    n_layers, R = ab.shape[0], ab.shape[1]
    iu = np.triu_indices(R, 1)
    symbol = "Q" if kind == "weights" else "q"
    rows = [pd.DataFrame({"layer": l + 1, "replica_a": iu[0], "replica_b": iu[1], symbol: ab[l][iu]})
            for l in range(n_layers)]
    df = pd.concat(rows, ignore_index=True)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                        subplot_titles=(f"every layer: {R * (R - 1) // 2} pairs each",
                                        f"P({symbol}) of layer {layer}"))
    colors = layer_colors(n_layers)
    fig.add_trace(go.Scatter(x=df[symbol], y=df["layer"], mode="markers",
                             marker=dict(size=9, color=[colors[l - 1] for l in df["layer"]], opacity=0.8,
                                         line=dict(width=0.5, color="white")),
                             customdata=np.stack([df["replica_a"], df["replica_b"]], axis=1),
                             hovertemplate="layer %{y}: replicas %{customdata[0]}·%{customdata[1]}<br>"
                                           + symbol + " = %{x:.3f}<extra></extra>", showlegend=False), row=1, col=1)
    fig.add_vline(x=ONE_OVER_E, line=dict(color=COLORS["theory"], dash="dash", width=1), row=1, col=1)
    sel = df[df["layer"] == layer][symbol]
    fig.add_trace(go.Histogram(x=sel, xbins=dict(start=-1.0, end=1.0001, size=0.05), marker_color=SOLID,
                               showlegend=False, hovertemplate=symbol + " ∈ %{x}: %{y} pairs<extra></extra>"),
                  row=1, col=2)
    lo = min(-0.05, float(df[symbol].min()) - 0.05) if len(df) else -0.05
    fig.update_xaxes(range=[lo, 1.05], title_text=f"overlap {symbol}^ab ({'cosine' if cosine else 'raw'})")
    fig.update_yaxes(title_text="layer l", tickmode="array", tickvals=list(range(1, n_layers + 1)), row=1, col=1)
    fig.update_yaxes(title_text="pairs", row=1, col=2)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True, narrow=True, title=f"Distribution of replica overlaps P({symbol}) "
                      f"({'weights' if kind == 'weights' else 'spins'}): liquid = one peak near 0",
           note=run_note(meta), height=height, legend=False)
    return fig, df


# ====================================================================================== phase diagram

def _click_targets(x, y, cells, hover, *, size=34, selected=None) -> list[go.Scatter]:
    """Transparent markers at the cell centres carrying the cell id as ``customdata``.

    Plotly heatmaps report no selection; these markers do (``st.plotly_chart(on_select=...)``).
    ``selected``: the cell id whose markers get a black outline.
    """
    x, y, cells = np.asarray(x), np.asarray(y), np.asarray(cells, dtype=object)
    traces = [go.Scatter(x=x, y=y, mode="markers", customdata=cells[:, None], hovertext=hover,
                         hovertemplate="%{hovertext}<extra></extra>", showlegend=False, name="cells",
                         marker=dict(symbol="square", size=size, color="rgba(0,0,0,0)"),
                         hoverlabel=dict(bgcolor="white", bordercolor=COLORS["grey"], font=dict(color="black")),
                         selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)))]
    if selected is not None and (cells == selected).any():
        m = cells == selected
        traces.append(go.Scatter(x=x[m], y=y[m], mode="markers", hoverinfo="skip", showlegend=False,
                                 marker=dict(symbol="square-open", size=size + 4,
                                             color=COLORS["theory"], line=dict(width=3))))
    return traces


def cell_from_selection(state) -> str | None:
    """The cell id carried by the first selected point of a chart's selection state, or None.

    ``state`` -- what ``st.plotly_chart(..., on_select="rerun")`` keeps in ``st.session_state``:
    ``{"selection": {"points": [{"customdata": [cell id], ...}, ...], ...}}``. Points without a
    cell id (fit lines, the heat map itself) are skipped.
    """
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError, IndexError):
        return None
    for p in points or []:
        cd = p.get("customdata") if isinstance(p, dict) else None
        if isinstance(cd, (list, tuple)) and cd:
            cd = cd[0]
        if isinstance(cd, str) and cd.count("|") == 3:
            return cd
    return None


def _row_outline(fig, s: pd.DataFrame, selected, *, row=None, col=None) -> None:
    """A black frame around the heat-map row (one run = all its layers) of the selected cell."""
    if selected is None or not (s["cell"] == selected).any():
        return
    ys = np.sort(s["ln_alpha"].unique())
    y0 = float(s.loc[s["cell"] == selected, "ln_alpha"].iloc[0])
    k = int(np.searchsorted(ys, y0))
    half = np.diff(ys).min() / 2 if len(ys) > 1 else 0.5
    lo = (ys[k] + ys[k - 1]) / 2 if k > 0 else ys[k] - half
    hi = (ys[k] + ys[k + 1]) / 2 if k < len(ys) - 1 else ys[k] + half
    xs = s["layer"]
    kw = {} if row is None else dict(row=row, col=col)
    fig.add_shape(type="rect", x0=xs.min() - 0.5, x1=xs.max() + 0.5, y0=lo, y1=hi,
                  line=dict(color=COLORS["theory"], width=3), **kw)


def _alpha_ticks(df: pd.DataFrame) -> tuple[list, list]:
    g = df.drop_duplicates("ln_alpha").sort_values("ln_alpha")
    return list(g["ln_alpha"]), [f"{v:.2f}<br>N={n}" for v, n in zip(g["ln_alpha"], g["N"])]


def layer_maps(summary: pd.DataFrame, *, cosine: bool = False, note: str | None = None,
               selected: str | None = None, height: int = 500) -> tuple[go.Figure, pd.DataFrame]:
    """Left: q*_l over (layer l, ln α) at one depth L with the 1/e contour; right: mean |S_l| (mean over seeds).

    ``summary`` -- rows of :meth:`SweepResults.layer_summary` for one L, plus a ``cell`` id column
    (``source|M|N|L``). The clamped output layer l = L has no q* and is left out. Mean |S_l| of
    0.01-0.05 would flag the trivial collapsed solution, whose small raw q* is no liquid.
    """
    col = "q_star_cosine" if cosine else "q_star"
    L = int(summary["L"].iloc[0])
    s = summary[summary["layer"] < L].sort_values(["ln_alpha", "layer"])
    z = s.pivot(index="ln_alpha", columns="layer", values=col)
    amp = s.pivot(index="ln_alpha", columns="layer", values="mean_abs_s")
    x, y = list(z.columns), list(z.index)
    norm = "cosine" if cosine else "raw"
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.16,
                        subplot_titles=(f"q*_l ({norm}): blue solid, orange liquid, black line 1/e",
                                        "mean |S_l|: collapsed if 0.01–0.05"))
    fig.add_trace(go.Heatmap(x=x, y=y, z=z.to_numpy(), zmin=0.0, zmax=1.0, colorscale=LIQUID_SOLID,
                             texttemplate="%{z:.2f}", textfont=dict(size=10), hoverinfo="skip",
                             colorbar=dict(title=dict(text="q*", side="right"), thickness=12, x=0.42,
                                           tickvals=[0, ONE_OVER_E, 1], ticktext=["0", "1/e", "1"])), row=1, col=1)
    if len(y) >= 2 and len(x) >= 2:
        fig.add_trace(go.Contour(x=x, y=y, z=z.to_numpy(), showscale=False, hoverinfo="skip", name="q* = 1/e",
                                 contours=dict(start=ONE_OVER_E, end=ONE_OVER_E, size=1.0, coloring="none"),
                                 line=dict(color=COLORS["theory"], width=3), showlegend=False), row=1, col=1)
    fig.add_trace(go.Heatmap(x=x, y=y, z=amp.to_numpy(), zmin=0.0, zmax=1.0, colorscale="Greys",
                             texttemplate="%{z:.2f}", textfont=dict(size=10), hoverinfo="skip",
                             colorbar=dict(title=dict(text="mean |S|", side="right"), thickness=12, x=1.0)),
                  row=1, col=2)
    e = s[col + "_err"].to_numpy(dtype=float)
    hover_q = [f"ln α = {a:.2f} (N = {N}, M = {M}), layer {l}<br>q* = {v:.3f}"
               + (f" ± {er:.3f}" if np.isfinite(er) else "") + f" ({k} seed{'s' if k > 1 else ''}) · "
               + ("liquid" if v < ONE_OVER_E else "solid") + f" · mean |S| = {m:.2f}<br><b>click: open this run</b>"
               for a, N, M, l, v, er, k, m in zip(s["ln_alpha"], s["N"], s["M"], s["layer"], s[col], e, s["n_seeds"],
                                                  s["mean_abs_s"])]
    for c in (1, 2):
        for tr in _click_targets(s["layer"], s["ln_alpha"], s["cell"], hover_q, size=24):
            fig.add_trace(tr, row=1, col=c)
        _row_outline(fig, s, selected, row=1, col=c)
        fig.update_xaxes(tickmode="array", tickvals=x, title_text="hidden layer l (input → output)", row=1, col=c)
    tv, tt = _alpha_ticks(s)
    fig.update_yaxes(tickmode="array", tickvals=tv, ticktext=tt)
    fig.update_yaxes(title_text="storage ratio ln α  (α = M/N)", row=1, col=1)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True,
           title=f"Solid and liquid layers at depth L = {L} (mean over seeds; click a row to open its run)",
           note=note, height=height, legend=False)
    fig.update_layout(margin=dict(r=40))
    keep = ["ln_alpha", "N", "M", "L", "layer", col, col + "_err", "mean_abs_s", "mean_abs_s_err", "n_seeds"]
    return fig, s[keep].reset_index(drop=True)


def solid_depth_figure(depths: pd.DataFrame, jobs: pd.DataFrame, fits: dict, *, cosine: bool = False,
                       shown: set | None = None, note: str | None = None, selected: str | None = None,
                       height: int = 460) -> tuple[go.Figure, pd.DataFrame]:
    """ξ_s against ln α: single runs (dots), mean ± s.e. over seeds (bars) and the least-squares line.

    ``depths`` -- :meth:`SweepResults.solid_depths` rows with ``source`` and ``cell`` columns;
    ``jobs`` -- :meth:`SweepResults.jobs` rows with ``source`` and ``cell``; ``fits`` maps
    (source, L) to :func:`engine.sweep.linear_fit` of its single runs; ``shown``: the
    (source, L) series visible at first (others are one legend click away).
    """
    col = "xi_s_cosine" if cosine else "xi_s"
    fig = go.Figure()
    groups = sorted(depths.groupby(["source", "L"]).groups, key=lambda k: (k[0] != "shipped", -k[1]))
    palette = {"shipped": [SOLID, "#56B4E9", "#009E73", "#999999"], "live": [COLORS["shuffled"], COLORS["accent"],
                                                                             COLORS["partial"], "#000000"]}
    count = {"shipped": 0, "live": 0}
    for src, L in groups:
        color = palette[src][count[src] % 4]
        count[src] += 1
        vis = True if shown is None or (src, L) in shown else "legendonly"
        d = depths[(depths["source"] == src) & (depths["L"] == L)].sort_values("ln_alpha")
        j = jobs[(jobs["source"] == src) & (jobs["L"] == L)]
        label = f"{'shipped' if src == 'shipped' else 'your live sweep'}, L = {L}"
        rng = np.random.default_rng(0)  # a fixed horizontal jitter so that equal ξ_s of several seeds show
        fig.add_trace(go.Scatter(x=j["ln_alpha"] + rng.uniform(-0.04, 0.04, len(j)), y=j[col], mode="markers",
                                 marker=dict(size=7, color=color, opacity=0.45), legendgroup=label, visible=vis,
                                 name=label + ": single runs", showlegend=False,
                                 selected=dict(marker=dict(opacity=0.45)), unselected=dict(marker=dict(opacity=0.45)),
                                 customdata=j["cell"].to_numpy(dtype=object)[:, None],
                                 hovertext=[f"seed {s}: ξ_s = {v:g}" for s, v in zip(j["seed"], j[col])],
                                 hovertemplate="%{hovertext}<extra></extra>"))
        err = d[col + "_err"].to_numpy(dtype=float)
        fig.add_trace(go.Scatter(
            x=d["ln_alpha"], y=d[col], mode="markers", legendgroup=label, visible=vis,
            marker=dict(size=12, color=color, symbol="circle" if src == "shipped" else "diamond",
                        line=dict(width=1, color="white")),
            error_y=dict(type="data", array=np.nan_to_num(err), thickness=1.5, width=5),
            selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)),
            hoverlabel=dict(bgcolor="white", font=dict(color="black")),
            customdata=d["cell"].to_numpy(dtype=object)[:, None], name=label,
            hovertext=[f"ln α = {a:.2f} (N = {N}, M = {M}), L = {L}<br>ξ_s = {v:.2f}"
                       + (f" ± {e:.2f}" if np.isfinite(e) else "") + f" over {k} seed{'s' if k > 1 else ''}"
                       + "<br><b>click to open its curves</b>"
                       for a, N, M, v, e, k in zip(d["ln_alpha"], d["N"], d["M"], d[col], err, d["n_seeds"])],
            hovertemplate="%{hovertext}<extra></extra>"))
        ring = d[d["cell"] == selected]
        if len(ring):
            fig.add_trace(go.Scatter(x=ring["ln_alpha"], y=ring[col], mode="markers", hoverinfo="skip",
                                     showlegend=False, visible=vis, legendgroup=label,
                                     marker=dict(size=20, symbol="circle-open", color=COLORS["theory"],
                                                 line=dict(width=2.5))))
        fit = fits.get((src, L))
        if fit and np.isfinite(fit["slope"]):
            xs = np.array([d["ln_alpha"].min(), d["ln_alpha"].max()])
            se = f" ± {fit['slope_err']:.2f}" if np.isfinite(fit["slope_err"]) else ""
            fig.add_trace(go.Scatter(x=xs, y=fit["intercept"] + fit["slope"] * xs, mode="lines", visible=vis,
                                     line=dict(color=color, dash="dash", width=2), legendgroup=label,
                                     name=f"fit, L = {L}: slope {fit['slope']:.2f}{se} ({fit['n']} runs)",
                                     hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[d["ln_alpha"].min(), d["ln_alpha"].max()], y=[L, L], mode="lines",
                                 line=dict(color=color, dash="dot", width=1), hoverinfo="skip", visible=vis,
                                 legendgroup=label, showlegend=False))
    _style(fig, title=f"Solid depth ξ_s{' (cosine rule)' if cosine else ''} against ln α "
                      "(bars: s.e. over seeds; dashed: linear fit; dotted: ξ_s = L, all solid)",
           x="storage ratio ln α  (α = M/N)", y="solid depth ξ_s (layers)", note=note, height=height)
    fig.update_yaxes(range=[0, float(depths["L"].max()) + 0.6], dtick=1 if depths["L"].max() <= 12 else 2)
    _legend_below(fig, 130)
    keep = ["source", "ln_alpha", "N", "M", "L", col, col + "_err", "n_seeds"]
    return fig, depths[keep].sort_values(["source", "L", "ln_alpha"]).reset_index(drop=True)


def liquid_fraction(xi_s, L):
    """(L − ξ_s)/(L − 1): the share of the L − 1 hidden layers that are liquid."""
    return (np.asarray(L, dtype=float) - np.asarray(xi_s, dtype=float)) / (np.asarray(L, dtype=float) - 1.0)


def depth_map(depths: pd.DataFrame, *, quantity: str = "xi_s", cosine: bool = False, note: str | None = None,
              selected: str | None = None, height: int = 420) -> tuple[go.Figure, pd.DataFrame]:
    """A (ln α, L) map of the solid depth ξ_s or the liquid fraction (L − ξ_s)/(L − 1) (mean over seeds).

    ``depths`` -- :meth:`SweepResults.solid_depths` rows of one source, with a ``cell`` column.
    """
    col = "xi_s_cosine" if cosine else "xi_s"
    d = depths.sort_values(["L", "ln_alpha"]).copy()
    d["liquid_fraction"] = liquid_fraction(d[col], d["L"])
    value = "liquid_fraction" if quantity == "liquid_fraction" else col
    z = d.pivot(index="L", columns="ln_alpha", values=value)
    if value == "liquid_fraction":
        zmin, zmax, scale, bar = 0.0, 1.0, [[0, SOLID], [0.5, "#f7f7f7"], [1, LIQUID]], "liquid fraction"
    else:
        zmin, zmax, scale, bar = 0.0, float(d["L"].max()), "Blues", "ξ_s"
    fig = go.Figure(go.Heatmap(x=list(z.columns), y=list(z.index), z=z.to_numpy(), zmin=zmin, zmax=zmax,
                               colorscale=scale, texttemplate="%{z:.2f}", textfont=dict(size=12), hoverinfo="skip",
                               colorbar=dict(title=dict(text=bar, side="right"), thickness=14)))
    hover = [f"ln α = {a:.2f} (N = {N}, M = {M}), L = {L}<br>ξ_s = {x:.2f} · liquid fraction {f:.2f}"
             f" ({k} seed{'s' if k > 1 else ''})<br><b>click to open its curves</b>"
             for a, N, M, L, x, f, k in zip(d["ln_alpha"], d["N"], d["M"], d["L"], d[col], d["liquid_fraction"],
                                            d["n_seeds"])]
    for tr in _click_targets(d["ln_alpha"], d["L"], d["cell"], hover, size=40, selected=selected):
        fig.add_trace(tr)
    tv, tt = _alpha_ticks(d)
    fig.update_xaxes(tickmode="array", tickvals=tv, ticktext=tt)
    fig.update_yaxes(tickmode="array", tickvals=list(z.index))
    what = "liquid fraction (L − ξ_s)/(L − 1)" if value == "liquid_fraction" else "solid depth ξ_s"
    _style(fig, title=f"{what[0].upper() + what[1:]}{' (cosine rule)' if cosine else ''} over storage ratio and depth",
           x="storage ratio ln α  (α = M/N)", y="depth L (weight layers)", note=note, height=height, legend=False)
    fig.update_layout(margin=dict(b=70))
    keep = ["ln_alpha", "N", "M", "L", col, col + "_err", "liquid_fraction", "n_seeds"]
    return fig, d[keep].reset_index(drop=True)


def run_curves_figure(curves: pd.DataFrame, meta: dict, *, cosine: bool = False,
                      height: int = 700) -> tuple[go.Figure, pd.DataFrame]:
    """One job's curves in four panels: H(t)/H(0), test accuracy (sign and tanh), c_l(t, t_w), q_l(t)."""
    L = int(meta["L"])
    norm = "cosine" if cosine else "raw"
    fig = make_subplots(rows=2, cols=2, vertical_spacing=0.24, horizontal_spacing=0.09,
                        subplot_titles=("energy H(t)/H(0)", "test accuracy",
                                        f"c_l(t, t_w), spins ({norm})", f"q_l(t), replica overlap of spins ({norm})"))
    _energy_panel(fig, curves, 1, 1, showlegend=False)
    _accuracy_panel(fig, curves, 1, 2)
    _split_line(fig, int(meta["t_w"]), rows=[(1, 1), (1, 2)])
    for c, base in ((1, "c"), (2, "q")):
        _per_layer_panel(fig, curves, _corr_name(base, cosine), 2, c, n_layers=L - 1, L=L, showlegend=(c == 1),
                         threshold=ONE_OVER_E)
    fig.update_yaxes(range=[-0.05, 1.05], row=2)
    fig.update_xaxes(title_text=STEPS + ", log", title_standoff=4, row=1)
    fig.update_xaxes(title_text=LAGS + ", log", title_standoff=4, row=2)
    fig.update_yaxes(title_text="H/H(0) (log)", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=2)
    fig.update_yaxes(title_text="correlation", row=2, col=1)
    fig.update_annotations(font_size=12)
    _style(fig, subplots=True,
           title=f"One run: ln α = {math.log(meta['M'] / meta['N']):.2f}, L = {L}, seed {meta['seed']}",
           note=run_note(meta), height=height)
    _legend_below(fig, 150)
    keep = curves["series"].astype(str).isin(["energy_ratio", "acc_sign", "acc_tanh", "acc_train",
                                              _corr_name("c", cosine), _corr_name("q", cosine)])
    return fig, curves[keep].reset_index(drop=True)


# ====================================================================================== what the data says

def side_depths(frame: pd.DataFrame, *, cosine: bool = False) -> pd.DataFrame:
    """Per job: solid layers next to the input (from l = 1 up) and to the output (from l = L − 1 down).

    Counted over the hidden layers by the liquid/solid rule of the job file (``liquid`` column);
    the clamped output layer, solid by construction, is not counted.
    """
    liquid_col = "liquid_cosine" if cosine else "liquid"
    rows = []
    for job, g in frame.groupby("job", sort=False):
        g = g.sort_values("layer")
        L = int(g["L"].iloc[0])
        solid = ~g[g["layer"] < L][liquid_col].to_numpy(dtype=bool)
        inp = int(np.argmin(solid)) if not solid.all() else len(solid)
        out = int(np.argmin(solid[::-1])) if not solid.all() else len(solid)
        rows.append({"job": job, "ln_alpha": g["ln_alpha"].iloc[0], "L": L, "seed": int(g["seed"].iloc[0]),
                     "input_side": inp, "output_side": out})
    return pd.DataFrame(rows)


def phase_facts(frame: pd.DataFrame, *, L: int, acc_at_split: dict | None = None) -> dict:
    """The numbers behind the page's text, read off one depth L of a sweep (every run, every seed).

    ``frame`` -- :attr:`SweepResults.frame`; ``acc_at_split`` -- optional {job: sign-network test
    accuracy at t_w} read from the curves. Centre layers are 3..L−4 (as the shipped README counts them).
    """
    f = frame[(frame["L"] == L) & (frame["layer"] < L)]
    if f.empty:
        return {}
    jobs = f.drop_duplicates("job")
    means = f.groupby(["ln_alpha", "layer"])[["q_star", "q_star_cosine", "mean_abs_s"]].mean().reset_index()
    first, last = means[means["layer"] == 1], means[means["layer"] == L - 1]
    centre = list(range(3, L - 3))
    out = {
        "L": L, "n_runs": int(jobs["job"].nunique()), "n_alpha": int(jobs["ln_alpha"].nunique()),
        "ln_alpha": (float(jobs["ln_alpha"].min()), float(jobs["ln_alpha"].max())),
        "seeds": sorted(int(s) for s in jobs["seed"].unique()),
        "M": sorted(int(m) for m in jobs["M"].unique()),
        "q_first": (float(first["q_star"].min()), float(first["q_star"].max())),
        "q_last": (float(last["q_star"].min()), float(last["q_star"].max())),
        "centre": centre,
    }
    if centre:
        c = f[f["layer"].isin(centre)]
        per_run = c.groupby("job")["q_star"].max()
        out["centre_max"] = float(per_run.max())
        out["centre_liquid_runs"] = int((per_run < ONE_OVER_E).sum())
        cm = means[means["layer"].isin(centre)]
        cos_by_alpha = cm.groupby("ln_alpha")["q_star_cosine"].agg(["min", "max"])
        solid_cos = cos_by_alpha[cos_by_alpha["min"] >= ONE_OVER_E - 0.01]
        out["centre_cos"] = {float(a): (float(r["min"]), float(r["max"])) for a, r in cos_by_alpha.iterrows()}
        out["centre_cos_solid_from"] = float(solid_cos.index.min()) if len(solid_cos) else None
        out["centre_abs_s"] = (float(cm["mean_abs_s"].min()), float(cm["mean_abs_s"].max()))
    b = f[f["layer"].isin([1, L - 1])]
    out["boundary_breaks"] = int((b["q_star"] < ONE_OVER_E).sum())
    sides = side_depths(f)
    by_alpha = sides.groupby("ln_alpha")[["input_side", "output_side"]].agg(["min", "max"])
    out["sides"] = {float(a): {"input": (int(r[("input_side", "min")]), int(r[("input_side", "max")])),
                               "output": (int(r[("output_side", "min")]), int(r[("output_side", "max")]))}
                    for a, r in by_alpha.iterrows()}
    xi = jobs.groupby("ln_alpha")[["xi_s", "xi_s_cosine"]].mean()
    out["xi_s"] = {float(a): float(v) for a, v in xi["xi_s"].items()}
    out["xi_s_cosine"] = {float(a): float(v) for a, v in xi["xi_s_cosine"].items()}
    acc = jobs.groupby("ln_alpha")[["acc_sign", "acc_tanh"]].mean()
    out["acc_sign_end"] = (float(acc["acc_sign"].min()), float(acc["acc_sign"].max()))
    out["acc_tanh_end"] = (float(jobs["acc_tanh"].min()), float(jobs["acc_tanh"].max()))
    if acc_at_split:
        vals = [v for k, v in acc_at_split.items() if k in set(jobs["job"])]
        out["acc_sign_split"] = float(np.mean(vals)) if vals else float("nan")
    return out
