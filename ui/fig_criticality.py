"""Figures of criticality and renormalisation across depth (pure functions: data -> Figure, no st calls).

Criticality page (Poole et al. 2016; Schoenholz et al. 2017; PHYSICS.md section 7): the
order-to-chaos phase diagram, depth flows of q_l and c_l with finite-width simulation, and
the trainable depth ≈ 6 ξ_c with training runs. Renormalisation page (Lee, Lee & Yi,
arXiv:2410.00396, and this lab's exact linear decimation): the chain schematic, the (w, T)
flow diagram, ν, the decimation check and the kernel map as the nonlinear analogue.

Every builder returns ``(figure, data frame)`` (the frame is what the CSV download holds),
except the schematic, which has no data. Infinite correlation lengths (on the critical line,
or where q_l grows without bound) cannot be drawn on a log scale: they are clipped to the top
of the axis or colour bar, and the figure says so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from .plotting import COLORS, style

#: log10 ξ_c range of the phase diagram's colour bar (0.1 to 1000 layers); beyond is clipped.
LOG_XI_RANGE = (-1.0, 3.0)
#: Literature values that the Criticality page sets beside the engine's (PHYSICS.md section 7):
#: (activation, σ_b², quantity, reference value, how it is stated in the sources).
REFERENCES = (
    ("tanh", 0.0, "critical σ_w²", 1.0, "1"),
    ("tanh", 0.05, "critical σ_w²", 1.7610, "1.7610 (Schoenholz et al. 2017)"),
    ("tanh", 0.05, "q* at the critical point", 0.570, "0.570"),
    ("erf", 0.0, "critical σ_w²", float(np.pi / 4), "π/4"),
    ("relu", 0.0, "critical σ_w²", 2.0, "2 (only at σ_b² = 0)"),
)

_XI_LABEL = "correlation depth ξ_c (layers)"
_W_LABEL = "weight variance σ_w² (W ~ N(0, σ_w²/fan-in))"
_B_LABEL = "bias variance σ_b²"


def _finite(x):
    x = np.asarray(x, dtype=float)
    return np.where(np.isfinite(x), x, np.nan)


def fmt(x, digits=4) -> str:
    """A number for hover text and notes: ∞ for inf, '–' for nan."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    if np.isinf(x):
        return "∞"
    return f"{x:.{digits}g}"


def _legend_below(fig: go.Figure, height: int) -> go.Figure:
    """Legend in a row under the x-axis titles (two-panel figures: above, it would cover a subplot title)."""
    fig.update_layout(legend=dict(orientation="h", x=0.0, xanchor="left", y=-0.2, yanchor="top"),
                      margin=dict(b=110, t=120), height=height + 75)
    return fig


def theory_note(activation: str, weight_variance=None, bias_variance=None, extra: str | None = None) -> str:
    """Provenance line of a mean-field figure: activation, (σ_w², σ_b²), then ``extra``.

    Written like :func:`ui.plotting.provenance` ("key: value · ..."), whose key formatting
    would turn the underscores of σ_w² into spaces.
    """
    parts = [f"activation: {activation}"]
    if weight_variance is not None:
        parts.append(f"σ_w²: {float(weight_variance):.6g}")
    if bias_variance is not None:
        parts.append(f"σ_b²: {float(bias_variance):.6g}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------
# Criticality page
# ---------------------------------------------------------------------------------------------

def phase_diagram_figure(diagram, *, point=None, height: int = 470) -> tuple[go.Figure, pd.DataFrame]:
    """Heat map of log10 ξ_c over (σ_w², σ_b²) with the χ1 = 1 line and the user's point.

    ``diagram`` an :class:`engine.signal_propagation.PhaseDiagram`; ``point`` (σ_w², σ_b²) or
    None. ξ_c = ∞ (the critical line; homogeneous activations where q_l grows without bound)
    takes the top colour, ξ_c below 0.1 layers the bottom one.
    """
    w, b = diagram.weight_variances, diagram.bias_variances
    lo, hi = LOG_XI_RANGE
    with np.errstate(invalid="ignore"):
        z = np.clip(np.where(np.isposinf(diagram.log_xi_c), hi, diagram.log_xi_c), lo, hi)
    custom = np.dstack([diagram.xi_c, diagram.chi1, diagram.q_star])
    text = np.vectorize(lambda v: fmt(v, 4))(diagram.xi_c)
    fig = go.Figure(go.Heatmap(
        x=w, y=b, z=z, zmin=lo, zmax=hi, colorscale="Viridis", customdata=custom, text=text,
        colorbar=dict(title=dict(text="ξ_c<br>(layers)", side="top"), tickvals=list(range(int(lo), int(hi) + 1)),
                      ticktext=[f"{10.0 ** k:g}" for k in range(int(lo), int(hi))] + [f"≥ {10.0 ** hi:g}"],
                      len=0.9),
        hovertemplate="σ_w² %{x:.3f}, σ_b² %{y:.3f}<br>ξ_c %{text} layers<br>χ₁ %{customdata[1]:.4f}"
                      "<br>q* %{customdata[2]:.4g}<extra></extra>"))
    crit = np.asarray(diagram.critical_weight_variance, dtype=float)
    inside = np.isfinite(crit) & (crit >= w[0]) & (crit <= w[-1])
    if inside.sum() > 1:
        fig.add_trace(go.Scatter(x=crit[inside], y=b[inside], mode="lines", name="critical line χ₁ = 1",
                                 line=dict(color=COLORS["theory"], width=3),
                                 hovertemplate="critical: σ_w² %{x:.4f} at σ_b² %{y:.3f}<extra></extra>"))
    elif inside.sum() == 1:  # homogeneous activations: only the point (1/κ, 0)
        fig.add_trace(go.Scatter(x=crit[inside], y=b[inside], mode="markers", name="critical point χ₁ = 1",
                                 marker=dict(color=COLORS["theory"], size=13, symbol="diamond",
                                             line=dict(color="white", width=1.5)),
                                 hovertemplate="critical: σ_w² %{x:.4f}, σ_b² %{y:.3f}<extra></extra>"))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="your (σ_w², σ_b²)",
                                 marker=dict(symbol="star", size=17, color="white",
                                             line=dict(color=COLORS["shuffled"], width=2.5)),
                                 hovertemplate="your choice: σ_w² %{x:.3f}, σ_b² %{y:.3f}<extra></extra>"))
    chi1 = diagram.chi1
    for frac, label, show in ((0.03, "ordered<br>χ₁ < 1", np.nanmin(chi1) < 1),
                              (0.97, "chaotic<br>χ₁ > 1", np.nanmax(chi1) > 1)):
        if show:
            fig.add_annotation(x=frac, y=0.96, xref="paper", yref="paper", text=f"<b>{label}</b>", showarrow=False,
                               xanchor="left" if frac < 0.5 else "right", yanchor="top",
                               font=dict(color="white", size=13), bgcolor="rgba(0,0,0,0.35)")
    fig.update_xaxes(range=[w[0], w[-1]])
    fig.update_yaxes(range=[b[0], b[-1]])
    style(fig, title=f"Order-to-chaos phase diagram: correlation depth ξ_c ({diagram.activation})", x=_W_LABEL,
          y=_B_LABEL, height=height,
          note=theory_note(diagram.activation, extra=f"mean field (infinite width) · {b.size}×{w.size} grid"))
    df = diagram.to_frame()
    df["critical_weight_variance"] = np.repeat(crit, w.size)
    return fig, df


def depth_flow_figure(flow, sims=None, *, trainable_depth: float | None = None,
                      height: int = 440) -> tuple[go.Figure, pd.DataFrame]:
    """q_l (left) and c_l (right) against layer l: mean-field maps and finite-width simulation.

    ``flow`` an :class:`engine.signal_propagation.DepthFlow` with several c_0; ``sims`` a list
    of :class:`~engine.signal_propagation.PropagationSample`, one per c_0 (or None). The
    simulation's q_l is drawn from the first sample (q does not depend on c_0). Layers
    l <= ``trainable_depth`` (6 ξ_c) are shaded.
    """
    fp = flow.fixed
    c0 = np.atleast_1d(flow.c0)
    c = flow.c.reshape(flow.layer.size, -1)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.09,
                        subplot_titles=("length q_l: pre-activation variance", "correlation c_l of two inputs"))
    depth = int(flow.layer[-1])
    if trainable_depth is not None and trainable_depth > 0:
        top = min(trainable_depth, depth)
        label = f"l ≤ 6ξ_c = {fmt(trainable_depth, 3)}: trainable (Schoenholz et al.)"
        for col in (1, 2):
            fig.add_vrect(x0=0, x1=top, fillcolor=COLORS["simulation"], opacity=0.12, line_width=0, row=1, col=col)
        # explained in the legend: a label inside the band collides with the curves' c₀ labels
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"shaded: {label}", hoverinfo="skip",
                                 marker=dict(symbol="square", size=12, color=COLORS["simulation"], opacity=0.25)))
    fig.add_trace(go.Scatter(x=flow.layer, y=flow.q, mode="lines", name="mean field (infinite width)",
                             line=dict(color=COLORS["theory"], width=2), legendgroup="theory",
                             hovertemplate="l %{x}: q %{y:.4g}<extra>mean field</extra>"), row=1, col=1)
    for k, c0k in enumerate(c0):
        fig.add_trace(go.Scatter(x=flow.layer, y=c[:, k], mode="lines", line=dict(color=COLORS["theory"], width=2),
                                 legendgroup="theory", showlegend=False,
                                 hovertemplate=f"c₀ = {c0k:g}, " + "l %{x}: c %{y:.4f}<extra>mean field</extra>"),
                      row=1, col=2)
        fig.add_annotation(x=0, y=c[0, k], xref="x2", yref="y2", text=f"c₀={c0k:g}", showarrow=False,
                           xanchor="right", xshift=-4, font=dict(size=10))
    for value, col, name in ((fp.q_star, 1, "q*"), (fp.c_star, 2, "c*")):
        if np.isfinite(value):
            fig.add_hline(y=value, line=dict(color=COLORS["grey"], dash="dash", width=1), row=1, col=col,
                          annotation_text=f"{name} = {value:.4g}", annotation_position="bottom right",
                          annotation_font_size=11)
    frames = [flow.to_frame()]
    if sims:
        s0 = sims[0]
        name = f"simulation: width {s0.width}, mean ± s.e. over {s0.n_networks} nets"
        fig.add_trace(go.Scatter(x=s0.layer, y=s0.q_mean, mode="markers", name=name, legendgroup="sim",
                                 marker=dict(color=COLORS["simulation"], size=6),
                                 error_y=dict(array=s0.q_err, color=COLORS["simulation"], thickness=1.2),
                                 hovertemplate="l %{x}: q %{y:.4g}<extra>simulation</extra>"), row=1, col=1)
        for s, c0k in zip(sims, c0):
            fig.add_trace(go.Scatter(x=s.layer, y=s.c_mean, mode="markers", legendgroup="sim", showlegend=False,
                                     marker=dict(color=COLORS["simulation"], size=6),
                                     error_y=dict(array=s.c_err, color=COLORS["simulation"], thickness=1.2),
                                     hovertemplate=f"c₀ = {c0k:g}, " + "l %{x}: c %{y:.4f} ± %{error_y.array:.2g}"
                                                   "<extra>simulation</extra>"), row=1, col=2)
        frames = [flow.to_frame().merge(
            pd.concat([s.to_frame().assign(c0=c0k) for s, c0k in zip(sims, c0)], ignore_index=True)
            .rename(columns={"q_mean": "q_sim", "q_err": "q_sim_err", "c_mean": "c_sim", "c_err": "c_sim_err"})
            .drop(columns=["q_theory", "c_theory"]), on=["layer", "c0"], how="left")]
    fig.update_xaxes(title_text="layer l (hidden layers from the input)", range=[-0.03 * depth - 3, depth * 1.02])
    q = flow.q[np.isfinite(flow.q) & (flow.q > 0)]
    if q.size and q.max() > 100 * q.min():  # q_l growing or dying exponentially: only a log axis shows it
        fig.update_yaxes(title_text="q_l = |h_l|²/N (log scale)", type="log", dtick=1, exponentformat="power",
                         row=1, col=1)
    else:
        fig.update_yaxes(title_text="q_l = |h_l|²/N (pre-activation variance)", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="c_l = h¹·h²/(|h¹||h²|)", row=1, col=2)
    extra = "mean field" + (f" vs simulation (seed {sims[0].seed}, {sims[0].method} sampling)" if sims else "")
    style(fig, title="Signal propagation across depth", height=height,
          note=theory_note(fp.activation, fp.weight_variance, fp.bias_variance,
                           f"q₀ = {flow.q[0]:g} · {extra}"))
    _legend_below(fig, height)
    return fig, frames[0]


def trainable_depth_figure(row, runs=(), *, point=None, y_max: float = 1000.0,
                           height: int = 430) -> tuple[go.Figure, pd.DataFrame]:
    """ξ_c and 6 ξ_c against σ_w² at one σ_b², with training runs marked trained / failed.

    ``row`` a :class:`~engine.signal_propagation.PhaseDiagram` with a single σ_b²; ``runs`` a
    list of :class:`~engine.signal_propagation.TrainabilityResult` at that σ_b²; ``point`` the
    user's σ_w². Depth on a log axis from 1 to ``y_max`` layers; ξ_c = ∞ is clipped to the top.
    """
    w = row.weight_variances
    b = float(row.bias_variances[0])
    xi = row.xi_c[0]
    top = np.log10(y_max)
    fig = go.Figure()
    six = np.clip(_finite(np.where(np.isinf(6 * xi), y_max, 6 * xi)), None, y_max)
    fig.add_trace(go.Scatter(x=w, y=six, mode="lines", name="6 ξ_c: predicted trainable depth",
                             line=dict(color=COLORS["theory"], width=2.5), fill="tozeroy",
                             fillcolor="rgba(0,158,115,0.12)",
                             hovertemplate="σ_w² %{x:.3f}: 6ξ_c %{y:.3g} layers<extra></extra>"))
    fig.add_trace(go.Scatter(x=w, y=np.clip(_finite(np.where(np.isinf(xi), y_max, xi)), None, y_max), mode="lines",
                             name="ξ_c", line=dict(color=COLORS["theory"], width=1.2, dash="dot"),
                             hovertemplate="σ_w² %{x:.3f}: ξ_c %{y:.3g} layers<extra></extra>"))
    # vertical lines as legend entries: as annotations they collide when σ_w² sits on the critical line
    crit = float(row.critical_weight_variance[0])
    if np.isfinite(crit) and w[0] <= crit <= w[-1]:
        fig.add_trace(go.Scatter(x=[crit, crit], y=[1, y_max], mode="lines", name=f"χ₁ = 1 at σ_w² = {crit:.4f}",
                                 line=dict(color=COLORS["grey"], dash="dash", width=1.2), hoverinfo="skip"))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point, point], y=[1, y_max], mode="lines", name=f"your σ_w² = {point:.4g}",
                                 line=dict(color=COLORS["shuffled"], width=1.5), hoverinfo="skip"))
    frames = [pd.DataFrame({"kind": "theory", "weight_variance": w, "xi_c": xi, "trainable_depth": 6 * xi})]
    for trained, name, color, symbol in ((True, "trained (test accuracy ≥ threshold)", COLORS["simulation"],
                                          "circle"),
                                         (False, "failed to train", COLORS["shuffled"], "x")):
        xs, ys, acc = [], [], []
        for r in runs:
            m = np.asarray(r.trained, bool) == trained
            xs += [r.fixed.weight_variance] * int(m.sum())
            ys += list(np.asarray(r.depths)[m])
            acc += list(np.asarray(r.test_accuracy)[m])
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name, customdata=acc,
                                     marker=dict(color=color, size=13, symbol=symbol,
                                                 line=dict(color="white", width=1)),
                                     hovertemplate="σ_w² %{x:.3f}, depth %{y}: test accuracy %{customdata:.3f}"
                                                   "<extra></extra>"))
    for r in runs:
        frames.append(r.to_frame().assign(kind="training run").rename(columns={"depth": "trained_depth"}))
    fig.update_yaxes(type="log", range=[0, top], dtick=1)
    fig.update_xaxes(range=[w[0], w[-1]])
    seeds = sorted({r.settings.get("seed") for r in runs})
    extra = f"σ_b² = {b:g} · mean field; runs: {len(runs)}" + (f" (seed {', '.join(map(str, seeds))})" if runs else "")
    style(fig, title="Trainable depth ≈ 6 ξ_c, and which nets actually train", x=_W_LABEL,
          y="depth (hidden layers, log scale)", height=height, note=theory_note(row.activation, extra=extra))
    _legend_below(fig, height)
    return fig, pd.concat(frames, ignore_index=True)


def reference_frame(activation: str, engine_values: dict) -> pd.DataFrame:
    """The literature values of :data:`REFERENCES` beside the engine's.

    ``engine_values`` maps (activation, σ_b², quantity) to the engine's number (or an error
    message string). Rows of the chosen ``activation`` come first.
    """
    rows = []
    for act, b, quantity, ref, stated in REFERENCES:
        got = engine_values.get((act, b, quantity))
        num = got if isinstance(got, (int, float)) else np.nan
        rows.append({"activation": act, "σ_b²": b, "quantity": quantity, "reference": stated,
                     "this engine": f"{num:.5f}" if np.isfinite(num) else str(got),
                     "difference": float(num - ref) if np.isfinite(num) else np.nan})
    df = pd.DataFrame(rows)
    return pd.concat([df[df.activation == activation], df[df.activation != activation]], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Renormalisation page
# ---------------------------------------------------------------------------------------------

def chain_schematic(n_layers: int = 8, height: int = 300) -> go.Figure:
    """The dynamic-neuron chain h⁽⁰⁾ … h⁽ᴹ⁾ along depth and one decimation step (every other layer out)."""
    fig = go.Figure()
    notes = []
    rows = [(1.0, list(range(n_layers + 1)), "W", "original chain: soft constraint (κ/2β)|h⁽ᵐ⁺¹⁾ − σ(W h⁽ᵐ⁾ + b)|²"),
            (0.0, list(range(0, n_layers + 1, 2)), "W′", "after one step: the grey (odd) layers integrated out")]
    for y, idx, wlabel, caption in rows:
        xs = np.array(idx, dtype=float)
        for a, bb in zip(xs[:-1], xs[1:]):
            notes.append(dict(x=bb - 0.18, y=y, ax=a + 0.18, ay=y, xref="x", yref="y", axref="x", ayref="y",
                              showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.6, text="",
                              arrowcolor=COLORS["trained"] if y else COLORS["shuffled"]))
            notes.append(dict(x=0.5 * (a + bb), y=y + 0.17, text=wlabel, showarrow=False, font=dict(size=12)))
        # in the first row, the layers that one step integrates out are filled grey
        fill = ["#CCCCCC" if (y and i % 2) else "white" for i in idx]
        fig.add_trace(go.Scatter(x=xs, y=np.full(xs.size, y), mode="markers+text", showlegend=False,
                                 text=[f"h⁽{_superscript(i)}⁾" for i in idx], textposition="bottom center",
                                 marker=dict(size=22, color=fill, line=dict(color="#333333", width=2)),
                                 hoverinfo="skip"))
        notes.append(dict(x=-0.4, y=y + 0.42, text=caption, showarrow=False, xanchor="left", font=dict(size=12)))
    fig.update_layout(annotations=notes)
    fig.update_xaxes(visible=False, range=[-0.6, n_layers + 0.6])
    fig.update_yaxes(visible=False, range=[-0.45, 1.55])
    return style(fig, title="Neurons as a chain along depth, and one renormalisation step", height=height,
                 legend=False, note="source's formulation: the chain (Lee, Lee & Yi) · "
                                    "the exact step W′ = W₂W₁ for linear σ is this lab's construction")


_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _superscript(i: int) -> str:
    return str(i).translate(_SUP)


def rg_flow_figure(arrows, contours, trajectories, *, aspect: float = 2.2,
                   height: int = 500) -> tuple[go.Figure, pd.DataFrame]:
    """The (w, T) flow diagram of the scalar chain: one-step directions, invariant curves, trajectories.

    ``arrows`` and ``contours`` are :class:`engine.renormalisation.FlowField` on a coarse and a
    fine grid; ``trajectories`` a list of :class:`~engine.renormalisation.ScalarFlow` (the
    first is the user's). Arrows show the direction of one step only (``aspect`` is the plot's
    width/height, so that arrows look equally long); the trajectories' markers are the real
    steps.
    """
    x_lo, x_hi = float(arrows.w.min()) - 0.08, float(arrows.w.max()) + 0.08
    y_lo, y_hi = -0.03, float(arrows.T.max()) + 0.05
    fig = go.Figure()
    fig.add_vrect(x0=x_lo, x1=-1, fillcolor=COLORS["shuffled"], opacity=0.06, line_width=0)
    fig.add_vrect(x0=1, x1=x_hi, fillcolor=COLORS["shuffled"], opacity=0.06, line_width=0)
    for x, anchor in ((x_lo, "left"), (x_hi, "right")):  # above the plot area: inside, arrows cover it
        fig.add_annotation(x=x, y=1.0, yref="paper", text="|w| > 1: runs away", showarrow=False, xanchor=anchor,
                           yanchor="bottom", font=dict(size=11, color=COLORS["shuffled"]))
    inv = np.where(np.isfinite(contours.invariant) & (contours.invariant > 0), contours.invariant, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        fig.add_trace(go.Contour(x=contours.w[0], y=contours.T[:, 0], z=np.log10(inv), showscale=False,
                                 contours=dict(coloring="none", start=-1.5, end=0.25, size=0.25),
                                 line=dict(color="#BBBBBB", width=1, dash="dot"), hoverinfo="skip",
                                 name="invariant T/(1 − w²) = const", showlegend=True))
    # directions normalised in screen units (the plot is ``aspect`` times wider than high), so every
    # arrow has the same on-screen length whatever its direction; ``half`` is in plot heights. Arrows are
    # two traces (shafts, and triangle heads turned by marker.angle): light for the browser, and hoverable
    sx, sy = x_hi - x_lo, y_hi - y_lo
    half = 0.03
    x, y, dx, dy = arrows.w.ravel(), arrows.T.ravel(), arrows.dw.ravel(), arrows.dT.ravel()
    px, py = dx / sx * aspect, dy / sy
    n = np.hypot(px, py)
    keep = np.isfinite(n) & (n > 1e-12)
    x, y, dx, dy, px, py, n = (a[keep] for a in (x, y, dx, dy, px, py, n))
    ex, ey = half * px / n * sx / aspect, half * py / n * sy
    shaft_x = np.column_stack([x - ex, x + ex, np.full(x.size, np.nan)]).ravel()
    shaft_y = np.column_stack([y - ey, y + ey, np.full(y.size, np.nan)]).ravel()
    fig.add_trace(go.Scatter(x=shaft_x, y=shaft_y, mode="lines", line=dict(color="#8A8A8A", width=1.2),
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=x + ex, y=y + ey, mode="markers", showlegend=False, name="one RG step",
                             marker=dict(symbol="triangle-up", size=7, color="#8A8A8A",
                                         angle=np.degrees(np.arctan2(px, py))),
                             customdata=np.column_stack([x, y, dx, dy]),
                             hovertemplate="at w %{customdata[0]:.2f}, T %{customdata[1]:.2f}: one step moves "
                                           "Δw = %{customdata[2]:+.3g}, ΔT = %{customdata[3]:+.3g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 0], y=[0, float(arrows.T.max())], mode="lines",
                             name="stable fixed line w* = 0 (layers decouple)",
                             line=dict(color=COLORS["trained"], width=5),
                             hovertemplate="w* = 0, any T: stable<extra></extra>"))
    fig.add_trace(go.Scatter(x=[1], y=[0], mode="markers", name="critical fixed point w* = 1, T* = 0",
                             marker=dict(symbol="star", size=18, color=COLORS["shuffled"],
                                         line=dict(color="white", width=1)),
                             hovertemplate="w* = 1: unstable in w, noise grows linearly with depth<extra></extra>"))
    frames = [arrows.to_frame().assign(kind="one-step field")]
    for k, f in enumerate(trajectories):
        color = COLORS["simulation"] if k == 0 else COLORS["accent"]
        name = "your trajectory" if k == 0 else "other trajectories"
        fig.add_trace(go.Scatter(x=f.w, y=f.T, mode="lines+markers", name=name, legendgroup=name,
                                 showlegend=k <= 1, line=dict(color=color, width=2.2 if k == 0 else 1.2,
                                                              dash=None if k == 0 else "dot"),
                                 marker=dict(size=8 if k == 0 else 6, color=color,
                                             symbol=["circle-open"] + ["circle"] * (f.w.size - 1)),
                                 customdata=np.column_stack([f.step, f.layers, _finite(f.xi)]),
                                 hovertemplate="step %{customdata[0]} (%{customdata[1]} layers): w %{x:.4g}, "
                                               "T %{y:.4g}, ξ %{customdata[2]:.3g}<extra></extra>"))
        frames.append(f.to_frame().assign(kind=f"trajectory {k}"))
    fig.update_xaxes(range=[x_lo, x_hi], zeroline=False)
    fig.update_yaxes(range=[y_lo, y_hi], zeroline=False)
    style(fig, title="RG flow of the linear chain: w′ = w², T′ = T(1 + w²)",
          x="coupling w (gain of one layer)", y="noise variance T = 1/κ (units of h²)", height=height,
          note="this lab's construction: exact decimation of linear layers · arrows show the direction of one step; "
               "markers are the steps (open marker: start)")
    _legend_below(fig, height)
    return fig, pd.concat(frames, ignore_index=True)


def nu_figure(fit, *, height: int = 420) -> tuple[go.Figure, pd.DataFrame]:
    """ξ against |w − 1| on log-log axes with the least-squares line of :func:`engine.renormalisation.fit_nu`.

    ``fit`` a :class:`~engine.renormalisation.NuFit` (natural logs); the slope ν = 1 line
    through the point closest to w = 1 is drawn for comparison.
    """
    eps, xi = np.exp(fit.log_distance), np.exp(fit.log_xi)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=eps, y=xi, mode="markers", name="ξ = −1/ln w (exact)",
                             marker=dict(color=COLORS["trained"], size=8),
                             hovertemplate="1 − w = %{x:.3g}: ξ = %{y:.4g} layers<extra></extra>"))
    line = np.exp(fit.intercept - fit.nu * fit.log_distance)
    fig.add_trace(go.Scatter(x=eps, y=line, mode="lines", name=f"fit: ν = {fit.nu:.4f} ± {fit.nu_err:.4f}",
                             line=dict(color=COLORS["theory"], width=2)))
    i = int(np.argmin(eps))
    fig.add_trace(go.Scatter(x=eps, y=xi[i] * (eps / eps[i]) ** -1.0, mode="lines", name="slope ν = 1",
                             line=dict(color=COLORS["shuffled"], width=1.5, dash="dash")))
    fig.update_xaxes(type="log", dtick=1, exponentformat="power")
    fig.update_yaxes(type="log", dtick=1, exponentformat="power")
    style(fig, title="Correlation length near the critical point: ξ ~ |w − 1|^(−ν)",
          x="distance from the critical coupling |w − 1|", y="correlation length ξ (layers)", height=height,
          note=f"this lab's construction · {eps.size} couplings, 1 − w from {eps.min():.0e} to {eps.max():.2g}")
    return fig, fit.to_frame()


def decimation_figure(sample, *, height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """Sampled covariance of the two-layer output against the decimated Σ′ (error bars: 1 s.e.).

    ``sample`` a :class:`engine.renormalisation.ChainSample`.
    """
    df = sample.to_frame()
    exact = df["decimated"].to_numpy()
    fig = go.Figure()
    lo, hi = float(min(exact.min(), df["sampled"].min())), float(max(exact.max(), df["sampled"].max()))
    pad = 0.05 * (hi - lo or 1.0)
    fig.add_trace(go.Scatter(x=[lo - pad, hi + pad], y=[lo - pad, hi + pad], mode="lines", name="sampled = decimated",
                             line=dict(color=COLORS["theory"], dash="dash", width=1)))
    diag = (df["i"] == df["j"]).to_numpy()
    for m, name, symbol in ((diag, "variances Σ′_ii", "circle"), (~diag, "covariances Σ′_ij, i ≠ j", "diamond")):
        d = df[m]
        fig.add_trace(go.Scatter(x=d["decimated"], y=d["sampled"], mode="markers", name=name,
                                 marker=dict(color=COLORS["simulation"], size=9, symbol=symbol),
                                 error_y=dict(array=d["error"], color=COLORS["simulation"], thickness=1.5),
                                 customdata=np.column_stack([d["i"], d["j"]]),
                                 hovertemplate="Σ′[%{customdata[0]},%{customdata[1]}]: exact %{x:.4f}, "
                                               "sampled %{y:.4f} ± %{error_y.array:.2g}<extra></extra>"))
    style(fig, title="Decimation check: two sampled layers against one decimated layer",
          x="decimated Σ′ = Σ₂ + W₂Σ₁W₂ᵀ (units of h²)", y="sampled covariance of h⁽²⁾ (units of h²)",
          height=height, note=f"this lab's construction · {sample.n_samples:,} noise draws · "
                              f"largest |z| = {sample.max_z:.2f}")
    return fig, df


def kernel_flow_figure(kflow, *, height: int = 440) -> tuple[go.Figure, pd.DataFrame]:
    """The kernel map's depth flow c_l(c_0) (left) and the approach |c_l − c*| to its fixed point (right, log).

    ``kflow`` an :class:`engine.renormalisation.KernelFlow`; curves coloured by c_0. The
    dashed line on the right is χ_c^l through the curve that starts closest to c*: the linear
    (RG-relevant) decay e^{−l/ξ_c}.
    """
    fp = kflow.fixed
    c0 = np.atleast_1d(kflow.c0)
    colors = sample_colorscale("Viridis", list((c0 - c0.min()) / (np.ptp(c0) or 1.0)))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("correlation c_l against depth", "distance to the fixed point |c_l − c*|"))
    cstar = fp.c_star
    depth = int(kflow.layer[-1])
    dev = np.abs(kflow.c - cstar) if np.isfinite(cstar) else None
    for k, (c0k, color) in enumerate(zip(c0, colors)):
        fig.add_trace(go.Scatter(x=kflow.layer, y=kflow.c[:, k], mode="lines", line=dict(color=color, width=1.8),
                                 showlegend=False,
                                 hovertemplate=f"c₀ = {c0k:.2f}, " + "l %{x}: c %{y:.4f}<extra></extra>"), row=1, col=1)
        if dev is not None:
            d = np.where(dev[:, k] > 1e-15, dev[:, k], np.nan)
            fig.add_trace(go.Scatter(x=kflow.layer, y=d, mode="lines", line=dict(color=color, width=1.8),
                                     showlegend=False,
                                     hovertemplate=f"c₀ = {c0k:.2f}, " + "l %{x}: |c − c*| %{y:.3g}<extra></extra>"),
                          row=1, col=2)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                             marker=dict(colorscale="Viridis", cmin=float(c0.min()), cmax=float(c0.max()), color=[0.0],
                                         showscale=True, colorbar=dict(title=dict(text="c₀"), len=0.8, x=1.02))))
    if np.isfinite(cstar):
        fig.add_hline(y=cstar, line=dict(color=COLORS["theory"], dash="dash", width=1), row=1, col=1,
                      annotation_text=f"c* = {cstar:.4g}", annotation_position="bottom right", annotation_font_size=11)
    if dev is not None and 0 < fp.chi_c < 1:
        start = np.where(dev[0] > 1e-12, dev[0], np.inf)
        k = int(np.argmin(start))
        if np.isfinite(start[k]):
            ref = dev[1, k] * fp.chi_c ** (kflow.layer - 1.0)
            fig.add_trace(go.Scatter(x=kflow.layer[1:], y=np.where(ref[1:] > 1e-300, ref[1:], np.nan), mode="lines",
                                     name=f"χ_c^l, χ_c = {fp.chi_c:.4g} (ξ_c = {fmt(fp.xi_c, 3)} layers)",
                                     line=dict(color=COLORS["theory"], dash="dash", width=2)), row=1, col=2)
    fig.update_xaxes(title_text="layer l", range=[0, depth])
    fig.update_yaxes(title_text="c_l (correlation of two inputs)", row=1, col=1)
    fig.update_yaxes(title_text="|c_l − c*| (log scale)", type="log", dtick=1, exponentformat="power", row=1, col=2)
    style(fig, title="The nonlinear analogue: the kernel map's flow across depth", height=height,
          note=theory_note(fp.activation, fp.weight_variance, fp.bias_variance,
                           f"this lab's construction · mean field · q₀ = {kflow.q[0]:g}"))
    _legend_below(fig, height)
    return fig, kflow.to_frame()


def rg_coupling_figure(kflow, linear, *, height: int = 380) -> tuple[go.Figure, pd.DataFrame]:
    """One RG step squares the coupling: χ_c^(2^k) of the kernel map beside w^(2^k) of the linear chain.

    ``kflow`` an :class:`engine.renormalisation.KernelFlow` (``rg_chi``, ``rg_layers``);
    ``linear`` a :class:`~engine.renormalisation.ScalarFlow` (its |w| per step).
    """
    k_nl = np.log2(kflow.rg_layers).astype(int)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=k_nl, y=np.where(kflow.rg_chi > 0, kflow.rg_chi, np.nan), mode="lines+markers",
                             name=f"kernel map: χ_c^(2^k) ({kflow.fixed.activation})",
                             line=dict(color=COLORS["trained"], width=2), marker=dict(size=9),
                             customdata=kflow.rg_layers,
                             hovertemplate="k = %{x} (%{customdata} layers): χ %{y:.4g}<extra></extra>"))
    w = np.abs(linear.w)
    fig.add_trace(go.Scatter(x=linear.step, y=np.where((w > 0) & np.isfinite(w), w, np.nan), mode="lines+markers",
                             name=f"linear chain: |w|^(2^k), w₀ = {linear.w[0]:g}",
                             line=dict(color=COLORS["shuffled"], width=2, dash="dot"),
                             marker=dict(size=9, symbol="square"),
                             customdata=linear.layers,
                             hovertemplate="k = %{x} (%{customdata:.0f} layers): |w| %{y:.4g}<extra></extra>"))
    fig.add_hline(y=1.0, line=dict(color=COLORS["grey"], dash="dash", width=1), annotation_text="critical: 1",
                  annotation_position="bottom right", annotation_font_size=11)
    fig.update_yaxes(type="log", dtick=1, exponentformat="power")
    fig.update_xaxes(dtick=1)
    style(fig, title="One RG step squares the coupling", x="RG step k (one renormalised layer = 2^k layers)",
          y="coupling after k steps (log scale)", height=height,
          note=theory_note(kflow.fixed.activation, kflow.fixed.weight_variance, kflow.fixed.bias_variance,
                           "this lab's construction"))
    df = pd.concat([pd.DataFrame({"kind": "kernel map", "step": k_nl, "layers": kflow.rg_layers,
                                  "coupling": kflow.rg_chi}),
                    pd.DataFrame({"kind": "linear chain", "step": linear.step, "layers": linear.layers,
                                  "coupling": linear.w})], ignore_index=True)
    return fig, df
