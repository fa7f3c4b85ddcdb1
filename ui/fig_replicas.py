"""Figures of replica overlaps layer by layer (pure functions: a ReplicaResult -> plotly Figure, table).

The engine (:mod:`engine.replicas`) computes every number; these functions only lay them out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from engine.replicas import ReplicaResult

from .plotting import COLORS, SEQUENCE, style

T_LABEL = "temperature T (units of the couplings)"

#: Heat-map quantities: key -> (column of ReplicaResult.to_frame(), label, colour-bar title).
QUANTITIES = {
    "q_EA = √⟨q²⟩": ("q_ea", "Edwards-Anderson overlap q_EA = √⟨q²⟩", "q_EA"),
    "⟨|q|⟩": ("q_abs", "mean absolute overlap ⟨|q|⟩", "⟨|q|⟩"),
    "Binder g": ("binder", "Binder cumulant g = ½(3 − ⟨q⁴⟩/⟨q²⟩²)", "g"),
}
#: y-axis titles of the curves.
AXIS = {
    "q_ea": "overlap q_EA = √⟨q²⟩",
    "q_abs": "overlap ⟨|q|⟩",
    "binder": "Binder cumulant g",
}


def layer_colors(names: list[str]) -> dict[str, str]:
    """One colour per layer (house sequence, black left out), black for the whole network."""
    palette = [c for c in SEQUENCE if c != "#000000"]
    out = {n: palette[k % len(palette)] for k, n in enumerate(names[:-1])}
    out[names[-1]] = COLORS["theory"]
    return out


def _label(name: str, n: int) -> str:
    return f"{name} ({n})"


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick values 1, 2, 5 × 10^k inside [lo, hi] and their labels (plotly's log minor ticks clutter)."""
    vals = [m * 10.0 ** k for k in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
            for m in (1, 2, 5)]
    vals = [v for v in vals if lo * 0.999 <= v <= hi * 1.001]
    if len(vals) < 2:
        vals = [lo, hi]
    return vals, [f"{v:g}" for v in vals]


def _log_t_axis(fig: go.Figure, T) -> None:
    vals, text = log_ticks(float(T[0]), float(T[-1]))
    fig.update_xaxes(type="log", tickvals=vals, ticktext=text)


def _legend_below(fig: go.Figure, extra: int = 0) -> None:
    """Legend under the x-axis title, so that it never covers the provenance subtitle."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2 - extra / 1000, xanchor="left", x=0.0),
                      margin=dict(b=110 + extra))


def overlap_heatmap(res: ReplicaResult, quantity: str = "q_EA = √⟨q²⟩", *, note: str | None = None,
                    height: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Layer (rows, input at the bottom, the whole network on top) × temperature (columns) heat map.

    Hover shows the value with its error and, for q_EA, the T = ∞ floor 1/√n of the layer.
    The height grows with the number of layers unless given.
    """
    height = height or max(320, 190 + 40 * len(res.layer_names))
    col, title, bar = QUANTITIES[quantity]
    df = res.to_frame()
    names = res.layer_names
    sizes = res.sizes
    rows = [_label(n, int(s)) for n, s in zip(names, sizes)]
    z = getattr(res.stats, col).T  # (groups, T)
    err = getattr(res.stats, col + "_err").T
    floor = np.sqrt(1.0 / sizes)[:, None] * np.ones_like(z)
    text = np.vectorize(lambda v, e: "—" if not np.isfinite(v) else
                        (f"{v:.3f} ± {e:.3f}" if np.isfinite(e) else f"{v:.3f}"))(z, err)
    fig = go.Figure(go.Heatmap(
        x=res.T, y=rows, z=z, zmin=0.0, zmax=1.0, colorscale="Viridis", text=text,
        customdata=floor,
        colorbar=dict(title=dict(text=bar, side="right"), thickness=14),
        hovertemplate="T = %{x:.4g}<br>%{y}<br>" + bar + " = %{text}"
                      + ("<br>floor at T = ∞: 1/√n = %{customdata:.3f}" if col == "q_ea" else "")
                      + "<extra></extra>"))
    _log_t_axis(fig, res.T)
    fig.update_yaxes(title_text="layer (spins)", type="category")
    style(fig, title=f"{title}, layer by layer", x=T_LABEL, note=note, height=height, legend=False)
    keep = ["T", "layer", "layer_name", "n_spins", col, col + "_err"] + (["q2_free"] if col == "q_ea" else [])
    return fig, df[keep]


def overlap_curves(res: ReplicaResult, quantity: str = "q_EA = √⟨q²⟩", *, note: str | None = None,
                   height: int = 460) -> tuple[go.Figure, pd.DataFrame]:
    """The heat map's quantity against T, one curve with error bars per layer (dotted: the T = ∞ floor)."""
    col, title, _ = QUANTITIES[quantity]
    df = res.to_frame()
    colors = layer_colors(res.layer_names)
    fig = go.Figure()
    for g, (name, n) in enumerate(zip(res.layer_names, res.sizes)):
        sub = df[df["layer_name"] == name]
        c = colors[name]
        fig.add_trace(go.Scatter(
            x=sub["T"], y=sub[col], error_y=dict(type="data", array=sub[col + "_err"], thickness=1, width=3),
            mode="lines+markers", marker=dict(size=5), line=dict(color=c, width=3 if g == len(res.sizes) - 1 else 2),
            name=_label(name, int(n))))
        if col in ("q_ea", "q_abs"):
            free = 1.0 / np.sqrt(n) if col == "q_ea" else _free_abs(int(n))
            fig.add_trace(go.Scatter(x=[res.T[0], res.T[-1]], y=[free, free], mode="lines",
                                     line=dict(color=c, dash="dot", width=1), hoverinfo="skip", showlegend=False))
        else:
            fig.add_trace(go.Scatter(x=[res.T[0], res.T[-1]], y=[1.0 / n, 1.0 / n], mode="lines",
                                     line=dict(color=c, dash="dot", width=1), hoverinfo="skip", showlegend=False))
    _log_t_axis(fig, res.T)
    lo = -0.1 if col == "binder" else 0.0
    fig.update_yaxes(range=[lo, 1.05])
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=COLORS["grey"], dash="dot", width=1),
                             name="independent spins (T = ∞)"))
    style(fig, title=f"{title} against temperature", x=T_LABEL, y=AXIS[col], note=note, height=height)
    _legend_below(fig)
    return fig, df[["T", "layer", "layer_name", "n_spins", col, col + "_err"]]


def _free_abs(n: int) -> float:
    """<|q|> of n independent spins (binomial), the floor of the ⟨|q|⟩ curves."""
    from engine.replicas import free_overlap_distribution

    q, p = free_overlap_distribution(n)
    return float(np.sum(np.abs(q) * p))


def pq_figure(res: ReplicaResult, layer: int, t_index: int, *, exact: np.ndarray | None = None,
              note: str | None = None, height: int = 440) -> tuple[go.Figure, pd.DataFrame]:
    """P(q) of one layer at one temperature: bars with jackknife error bars on the exact grid q = 2k/n - 1.

    Black line: independent spins (T = ∞, binomial); black diamonds: exact enumeration
    (``exact``, when the model is small enough).
    """
    df = res.pq(layer, t_index)
    names = res.layer_names
    g = layer % len(names)
    name, n = names[g], int(res.sizes[g])
    color = layer_colors(names)[name] if g != len(names) - 1 else COLORS["trained"]
    width = 2.0 / n * 0.9
    fig = go.Figure()
    fig.add_trace(go.Bar(x=df["q"], y=df["probability"], width=width, marker_color=color, name="sampled",
                         error_y=dict(type="data", array=df["probability_err"], thickness=1, width=2,
                                      color="#444444"),
                         hovertemplate="q = %{x:.3f}<br>P = %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=df["q"], y=df["probability_free"], mode="lines", name="independent spins (T = ∞)",
                             line=dict(color=COLORS["grey"], width=1.5, dash="dot")))
    if exact is not None:
        df = df.assign(probability_exact=exact)
        fig.add_trace(go.Scatter(x=df["q"], y=exact, mode="markers", name="exact enumeration",
                                 marker=dict(symbol="diamond-open", size=8, color=COLORS["theory"])))
    T = float(res.T[t_index])
    fig.update_xaxes(range=[-1.05, 1.05])
    style(fig, title=f"P(q): {_label(name, n)} at T = {T:.3g}", x=f"overlap q ({name}, grid 2/{n})",
          y="probability P(q)", note=note, height=height)
    fig.update_layout(bargap=0.0)
    _legend_below(fig)
    return fig, df.assign(T=T, layer=name)


def binder_figure(res: ReplicaResult, *, note: str | None = None, height: int = 460) -> tuple[go.Figure, pd.DataFrame]:
    """Binder cumulant g(T) per layer with error bars; 0 (Gaussian P(q)) and 1 (two sharp peaks) marked."""
    return overlap_curves(res, "Binder g", note=note, height=height)


def swap_figure(res: ReplicaResult, *, note: str | None = None, height: int = 300) -> tuple[go.Figure, pd.DataFrame]:
    """Replica-exchange acceptance between neighbouring temperatures (mean and range over runs)."""
    acc = res.swap_acceptance
    mid = np.sqrt(res.T[1:] * res.T[:-1])
    mean = np.nanmean(acc, axis=0)
    lo, hi = np.nanmin(acc, axis=0), np.nanmax(acc, axis=0)
    fig = go.Figure(go.Scatter(x=mid, y=mean, mode="lines+markers", line=dict(color=COLORS["simulation"]),
                               error_y=dict(type="data", symmetric=False, array=hi - mean, arrayminus=mean - lo,
                                            thickness=1, width=3),
                               name="swap acceptance", hovertemplate="T ≈ %{x:.3g}: %{y:.2f}<extra></extra>"))
    vals, text = log_ticks(float(mid[0]), float(mid[-1]))
    fig.update_xaxes(type="log", tickvals=vals, ticktext=text)
    fig.update_yaxes(range=[0, 1.02])
    style(fig, title="Parallel tempering: swap acceptance between neighbouring temperatures (bars: range over runs)",
          x=T_LABEL + ", geometric mean of the pair", y="acceptance", note=note, height=height, legend=False)
    return fig, pd.DataFrame({"T_low": res.T[:-1], "T_high": res.T[1:], "acceptance_mean": mean,
                              "acceptance_min": lo, "acceptance_max": hi})
