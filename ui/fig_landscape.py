"""Figures of the loss landscape (pure functions: engine results -> plotly Figure, no st calls).

Units everywhere: the loss L is the mean cross-entropy in nats per example; Hessian
eigenvalues are in nats per unit parameter² (per example). Each builder returns
``(figure, data frame)`` so the page can offer the data behind the figure as CSV.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotting import COLORS, error_band, style

LOSS_LABEL = "loss L (cross-entropy, nats per example)"
EIG_UNIT = "nats per unit parameter²"
STAGE_COLORS = {"untrained": COLORS["shuffled"], "partly trained": COLORS["partial"], "trained": COLORS["trained"]}
_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon"]
#: The loss colour scale (log10 L): low loss dark, high loss light.
SCALE = "Viridis"


# ================================================================================ lines

def line_figure(line, *, title: str, note: str, marks: dict | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """L (log axis, left) and accuracy (right) along a line ``engine.landscape.LossLine``.

    ``marks`` maps x positions to labels drawn as dashed vertical lines (t = 0: model A, ...).
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=line.t, y=line.loss, mode="lines+markers", marker=dict(size=4),
                             name="loss L", line=dict(color=COLORS["trained"], width=2.5)), secondary_y=False)
    fig.add_trace(go.Scatter(x=line.t, y=line.accuracy, mode="lines", name="accuracy",
                             line=dict(color=COLORS["simulation"], dash="dot")), secondary_y=True)
    for x, label in (marks or {}).items():
        fig.add_vline(x=x, line=dict(color=COLORS["grey"], dash="dash", width=1))
        fig.add_annotation(x=x, y=1.0, yref="paper", text=label, showarrow=False, yanchor="bottom",
                           font=dict(size=11, color="#444444"), bgcolor="rgba(255,255,255,0.8)")
    fig.update_yaxes(title_text=LOSS_LABEL + ", log scale", type="log", secondary_y=False,
                     **log_axis_ticks(line.loss))
    fig.update_yaxes(title_text="accuracy on the same examples", range=[0, 1.02], showgrid=False,
                     tickmode="array", tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0], secondary_y=True)
    style(fig, title=title, x=line.xlabel, note=note, height=440)
    fig.update_layout(margin=dict(t=120))  # room for the end labels above the plot
    return fig, line.to_frame()


def interpolation_summary(line) -> dict:
    """Numbers that describe an interpolation (1-t)θ_A + tθ_B, read off the computed points.

    ``loss_a``, ``loss_b``: L at t = 0 and t = 1; ``barrier``: the largest rise of L over the straight
    chord between the two ends, max_{0≤t≤1} [L(t) - ((1-t)L_A + tL_B)] (0 when the path stays below it),
    at ``t_barrier``; ``monotone``: L never rises from t = 0 to t = 1 (Goodfellow et al. 2015).
    """
    t, loss = np.asarray(line.t), np.asarray(line.loss)
    inside = (t >= 0) & (t <= 1) & np.isfinite(loss)
    ti, li = t[inside], loss[inside]
    out = {"loss_a": float("nan"), "loss_b": float("nan"), "barrier": float("nan"), "t_barrier": float("nan"),
           "monotone": False}
    if ti.size < 2 or ti[0] != 0.0 or ti[-1] != 1.0:
        return out
    chord = (1 - ti) * li[0] + ti * li[-1]
    k = int(np.argmax(li - chord))
    out.update(loss_a=float(li[0]), loss_b=float(li[-1]), barrier=float(max(li[k] - chord[k], 0.0)),
               t_barrier=float(ti[k]), monotone=bool(np.all(np.diff(li) <= 1e-12 * np.abs(li[:-1]))))
    return out


# ============================================================================= surfaces

def _log_ticks(values) -> tuple[list, list]:
    """Tick positions (log10 L) and labels (L) at 1, 2, 5 × 10^k within the range of ``values``."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return [], []
    lo, hi = math.floor(np.log10(v.min())), math.ceil(np.log10(v.max()))
    ticks = [m * 10.0**k for k in range(lo, hi + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if v.min() / 1.001 <= t <= v.max() * 1.001] or [float(v.min()), float(v.max())]
    for keep in ("15", "1"):  # thin out long ranges: 1 and 5 × 10^k, then decades only
        if len(ticks) > 8:
            ticks = [t for t in ticks if f"{t:g}"[0] in keep]
    return [math.log10(t) for t in ticks], [f"{t:g}" for t in ticks]


def log_axis_ticks(values) -> dict:
    """Plotly axis settings for a log axis with ticks at 1, 2, 5 × 10^k (no crowded minor-digit labels)."""
    pos, text = _log_ticks(values)
    return dict(tickmode="array", tickvals=[10.0**p for p in pos], ticktext=text) if pos else {}


def _axis_labels(surface) -> tuple[str, str]:
    if surface.kind == "hessian":
        lmax, lmin = surface.eigenvalues
        return (f"α along v_max (λ_max = {lmax:.3g}); distance in parameter space",
                f"β along v_min (λ_min = {lmin:.3g})")
    if surface.kind == "random":
        return "α along δ (random, normalised)", "β along η (random, normalised)"
    return "α along δ", "β along η"


def surface_figure(surface, *, mode: str = "contour", title: str, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """A loss surface ``engine.landscape.LossSurface`` as a contour map or one 3D (WebGL) surface.

    Colour is log10 L with the colour bar labelled in L; the 3D height is L itself, so the basin
    keeps its true shape. The centre (α, β) = (0, 0) is the current model θ*.
    """
    A, B = surface.alpha, surface.beta
    loss = np.asarray(surface.loss, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logL = np.log10(np.where(loss > 0, loss, np.nan))
    tickvals, ticktext = _log_ticks(loss)
    bar = dict(title=dict(text="loss L<br>(nats)", side="top"), tickvals=tickvals, ticktext=ticktext, len=0.85)
    xl, yl = _axis_labels(surface)
    hover = "α = %{x:.3g}<br>β = %{y:.3g}<br>L = %{customdata:.4g} nats<extra></extra>"
    if mode == "3d":
        fig = go.Figure(go.Surface(x=A, y=B, z=loss, surfacecolor=logL, colorscale=SCALE, colorbar=bar,
                                   customdata=loss, hovertemplate=hover.replace("%{customdata", "%{z"),
                                   contours=dict(z=dict(show=True, usecolormap=True, project_z=True, width=1))))
        fig.add_trace(go.Scatter3d(x=[0.0], y=[0.0], z=[surface.center_loss], mode="markers",
                                   marker=dict(size=5, color=COLORS["shuffled"]), name="θ* (the model)"))
        fig.update_layout(scene=dict(xaxis_title="α", yaxis_title="β", zaxis_title="L (nats)",
                                     camera=dict(eye=dict(x=1.5, y=-1.5, z=1.0)),
                                     aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.7)))
        fig.update_layout(scene=dict(xaxis_title="α" + (" (v_max)" if surface.kind == "hessian" else " (δ)"),
                                     yaxis_title="β" + (" (v_min)" if surface.kind == "hessian" else " (η)")))
        style(fig, title=title, note=note, height=600, legend=True)
        fig.update_layout(margin=dict(l=10, r=10, b=10),
                          legend=dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0.0))
    else:
        fig = go.Figure(go.Contour(x=A, y=B, z=logL, colorscale=SCALE, colorbar=bar, customdata=loss,
                                   hovertemplate=hover, ncontours=24, contours=dict(showlines=True),
                                   line=dict(width=0.5, color="rgba(255,255,255,0.5)")))
        fig.add_trace(go.Scatter(x=[0.0], y=[0.0], mode="markers", name="θ* (the model)",
                                 marker=dict(size=11, color=COLORS["shuffled"], symbol="x",
                                             line=dict(width=1, color="white"))))
        style(fig, title=title, x=xl, y=yl, note=note, height=560, legend=True)
        if np.isclose(np.ptp(A), np.ptp(B)):
            fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
            fig.update_xaxes(constrain="domain")
    return fig, surface.to_frame()


def centre_cuts_figure(surface, *, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """ΔL = L - L(θ*) along the two axes of a Hessian surface, against the quadratic model ½ λ x².

    Left: along α (the eigenvector of λ_max); right: along β (of λ_min). Where the curve leaves
    the dashed parabola, higher-order terms of the loss take over.
    """
    lmax, lmin = surface.eigenvalues
    ia, ib = int(np.argmin(np.abs(surface.alpha))), int(np.argmin(np.abs(surface.beta)))
    centre = surface.loss[ib, ia]
    cuts = (("α along v_max", surface.alpha, surface.loss[ib, :] - centre, lmax, "λ_max"),
            ("β along v_min", surface.beta, surface.loss[:, ia] - centre, lmin, "λ_min"))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1)
    frames = []
    for k, (label, x, dl, lam, sym) in enumerate(cuts, start=1):
        fine = np.linspace(x.min(), x.max(), 201)
        fig.add_trace(go.Scatter(x=fine, y=0.5 * lam * fine**2, mode="lines", name="quadratic model ½ λ x²",
                                 line=dict(color=COLORS["theory"], dash="dash", width=1.5), showlegend=k == 1),
                      row=1, col=k)
        fig.add_trace(go.Scatter(x=x, y=dl, mode="lines+markers", marker=dict(size=5), name="the loss, computed",
                                 line=dict(color=COLORS["trained"] if k == 1 else COLORS["shuffled"]),
                                 showlegend=k == 1), row=1, col=k)
        finite = dl[np.isfinite(dl)]
        if finite.size:  # the parabola must not squash the computed curve out of view
            lo, hi = float(finite.min()), float(finite.max())
            pad = 0.15 * (hi - lo) or 1e-6
            fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=k)
        fig.update_xaxes(title_text=f"{label} ({sym} = {lam:.3g}); distance in parameter space", row=1, col=k)
        fig.update_yaxes(exponentformat="e", row=1, col=k)
        frames.append(pd.DataFrame({"axis": sym, "x": x, "delta_loss": dl, "quadratic": 0.5 * lam * x**2}))
    fig.update_yaxes(title_text="ΔL = L − L(θ*) (nats per example)", row=1, col=1)
    fig.add_hline(y=0, line=dict(color=COLORS["grey"], width=1))
    style(fig, title="Cuts through the model: the loss against its quadratic model", note=note, height=420)
    return fig, pd.concat(frames, ignore_index=True)


# ============================================================================= spectrum

def symlog(x, c: float) -> np.ndarray:
    """sign(x) log10(1 + |x|/c): logarithmic in |x| ≫ c, linear through 0 (a symmetric-log axis)."""
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log10(1.0 + np.abs(x) / c)


def _symlog_ticks(c: float, top: float, bottom: float) -> tuple[list, list]:
    """Ticks at 0 and ±10^k for the decades between the linear width c and the largest |λ|."""
    vals = [0.0]
    k0 = math.floor(math.log10(c))
    for k in range(k0 + 1, math.ceil(math.log10(max(top, c))) + 1):
        vals.append(10.0**k)
    for k in range(k0 + 1, math.ceil(math.log10(max(bottom, c))) + 1):
        vals.append(-(10.0**k))
    vals = sorted(set(vals))
    return [float(symlog(v, c)) for v in vals], [("0" if v == 0 else f"{v:g}") for v in vals]


def spectrum_figure(spectrum, *, note: str, trace: float | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The Hessian's eigenvalues on a symmetric-log axis.

    A complete (exact) spectrum is a histogram, counts on a log axis; a partial one (Lanczos:
    the largest few and the smallest) is drawn as one marker per eigenvalue. ``trace`` (tr H,
    exact or estimated) adds the mean eigenvalue tr H / P: the curvature a random direction sees.
    """
    ev = np.asarray(spectrum.eigenvalues, dtype=float)
    big = float(np.max(np.abs(ev))) if ev.size else 1.0
    c = max(big * 1e-4, 1e-12)  # four decades on each side of the linear band
    x = symlog(ev, c)
    fig = go.Figure()
    if spectrum.complete:
        edges = np.linspace(x.min() - 1e-9, x.max() + 1e-9, 61)
        counts, edges = np.histogram(x, bins=edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        sign = np.where(centres < 0, COLORS["shuffled"], COLORS["trained"])
        keep = counts > 0
        fig.add_trace(go.Bar(x=centres[keep], y=counts[keep], width=np.diff(edges)[keep], marker_color=sign[keep],
                             name="eigenvalues (count per bin)", showlegend=False,
                             hovertemplate="count %{y}<extra></extra>"))
        fig.update_yaxes(title_text="number of eigenvalues (log scale)", type="log", **log_axis_ticks(counts[keep]))
        df = spectrum.to_frame()
    else:
        ends = {int(np.argmax(ev)): "λ_max", int(np.argmin(ev)): "λ_min"}
        text = [f"{ends[i]} = {v:.3g}" if i in ends else "" for i, v in enumerate(ev)]
        fig.add_trace(go.Scatter(x=x, y=np.ones_like(x), mode="markers+text", text=text,
                                 textposition="top center", name="eigenvalues found by Lanczos",
                                 marker=dict(size=22, symbol="line-ns-open", line=dict(width=3),
                                             color=np.where(ev < 0, COLORS["shuffled"], COLORS["trained"])),
                                 customdata=ev, hovertemplate="λ = %{customdata:.5g}<extra></extra>"))
        fig.update_yaxes(visible=False, range=[0.5, 1.8])
        df = spectrum.to_frame()
    if trace is not None and np.isfinite(trace):
        mean = trace / spectrum.n_params
        fig.add_vline(x=float(symlog(mean, c)), line=dict(color=COLORS["theory"], dash="dash", width=1.5))
        fig.add_annotation(x=float(symlog(mean, c)), y=1.0, yref="paper", showarrow=False, xanchor="left",
                           yanchor="bottom", text=f" tr H / P = {mean:.3g}", font=dict(size=11))
    tv, tt = _symlog_ticks(c, max(ev.max(), 0.0) if ev.size else 1.0, max(-ev.min(), 0.0) if ev.size else 0.0)
    fig.update_xaxes(tickvals=tv, ticktext=tt)
    what = "all eigenvalues (exact)" if spectrum.complete else "eigenvalues found by Lanczos"
    style(fig, title=f"Hessian spectrum: {what}", x=f"eigenvalue λ ({EIG_UNIT}); symmetric-log axis, linear "
          f"within ±{c:.1g}", note=note, height=400, legend=False)
    return fig, df


def hutchinson_figure(estimate, *, note: str, exact: float | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Hutchinson's running estimate of tr H against the number of probes, ± its running standard error."""
    df = estimate.to_frame()
    fig = go.Figure()
    err = df["running_stderr"].fillna(0.0).to_numpy()
    error_band(fig, df["probe"], df["running_trace"], err, name="running mean of vᵀHv ± standard error",
               color=COLORS["simulation"])
    if exact is not None and np.isfinite(exact):
        fig.add_hline(y=exact, line=dict(color=COLORS["theory"], dash="dash"),
                      annotation_text=f"exact tr H = {exact:.4g}", annotation_position="bottom right")
    style(fig, title=f"tr H by Hutchinson's estimator: {estimate.trace:.4g} ± {estimate.stderr:.2g}",
          x="number of Rademacher probes v", y=f"tr H ({EIG_UNIT})", note=note, height=360)
    return fig, df


# ============================================================================ the zoo

def sharpness_figure(df: pd.DataFrame, measure: str, label: str, *, note: str,
                     current: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """``measure`` (log axis) against test accuracy: colour = training stage, symbol = data set.

    ``df`` has columns name, dataset, stage, test_accuracy and ``measure``; ``current`` rings the
    current model's point when it is in the table.
    """
    fig = go.Figure()
    datasets = sorted(df["dataset"].dropna().unique())
    symbol = {d: _SYMBOLS[i % len(_SYMBOLS)] for i, d in enumerate(datasets)}
    several = len(datasets) > 1
    stages = list(STAGE_COLORS) + sorted(set(df["stage"].dropna()) - set(STAGE_COLORS))
    colors = {s: STAGE_COLORS.get(s, COLORS["accent"]) for s in stages}
    if several:  # two short legends (colour = stage, symbol = data set) instead of every combination
        for stage in stages:
            if (df["stage"] == stage).any():
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=stage or "no stage",
                                         marker=dict(size=10, color=colors[stage])))
        for d in datasets:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=d,
                                     marker=dict(size=10, color=COLORS["grey"], symbol=symbol[d])))
    for stage in stages:
        for d in datasets:
            part = df[(df["stage"] == stage) & (df["dataset"] == d)]
            if part.empty:
                continue
            fig.add_trace(go.Scatter(
                x=part["test_accuracy"], y=part[measure], mode="markers", showlegend=not several,
                name=stage or "no stage", legendgroup=stage,
                marker=dict(size=10, color=colors[stage], symbol=symbol[d], line=dict(width=0.5, color="white")),
                text=part["name"], hovertemplate="%{text}<br>test accuracy %{x:.3f}<br>"
                                                 f"{label} " + "%{y:.4g}<extra></extra>"))
    if current is not None and (df["name"] == current).any():
        row = df[df["name"] == current].iloc[0]
        fig.add_trace(go.Scatter(x=[row["test_accuracy"]], y=[row[measure]], mode="markers",
                                 name="current model", hoverinfo="skip",
                                 marker=dict(size=20, color="rgba(0,0,0,0)", line=dict(width=2, color="black"))))
    style(fig, title=f"{label} against test accuracy", x="test accuracy (held-out split of each card)",
          y=f"{label}, log scale", note=note, height=520)
    fig.update_yaxes(type="log", **log_axis_ticks(df[measure]))
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02))
    cols = [c for c in ("name", "dataset", "stage", "widths", "n_params", "epochs", "test_accuracy", "train_loss",
                        "lambda_max", "epsilon_sharpness", "grad_norm") if c in df.columns]
    return fig, df[cols]


def stage_medians(df: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The median of ``measure`` per data set and stage (rows: data sets; columns: the stages present)."""
    table = df.pivot_table(index="dataset", columns="stage", values=measure, aggfunc="median")
    return table[[s for s in STAGE_COLORS if s in table.columns]]
