"""Figures of a network itself: weight histograms, a drawing, training curves (pure functions)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.network import Network

from .plotting import COLORS, provenance, style


def weight_histograms(net: Network, bins: int = 40) -> tuple[go.Figure, pd.DataFrame]:
    """One histogram of W_l per layer (with its mean and standard deviation in the title)."""
    L = net.n_layers
    cols = min(L, 3)
    rows = int(np.ceil(L / cols))
    titles = [f"W{l + 1}: {w.shape[1]}→{w.shape[0]}, mean {w.mean():+.3f}, std {w.std():.3f}"
              for l, w in enumerate(net.weights)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    frames = []
    for l, w in enumerate(net.weights):
        counts, edges = np.histogram(w.ravel(), bins=bins)
        centres = 0.5 * (edges[1:] + edges[:-1])
        fig.add_trace(go.Bar(x=centres, y=counts, width=np.diff(edges), marker_color=COLORS["trained"],
                             name=f"layer {l + 1}", showlegend=False),
                      row=l // cols + 1, col=l % cols + 1)
        frames.append(pd.DataFrame({"layer": l + 1, "bin_left": edges[:-1], "bin_right": edges[1:], "count": counts}))
    fig.update_xaxes(title_text="weight value")
    fig.update_yaxes(title_text="count")
    fig.update_annotations(font_size=11)
    style(fig, title="Weights per layer", height=280 * rows, legend=False,
          note=provenance(model=net.name, parameters=f"{net.n_params:,}"))
    return fig, pd.concat(frames, ignore_index=True)


def network_drawing(net: Network, max_neurons: int = 16, max_edges: int = 800) -> go.Figure:
    """Neurons as dots, layer by layer; edges coloured by sign and shaded by |w| (largest kept)."""
    widths = net.widths
    shown = [min(w, max_neurons) for w in widths]
    fig = go.Figure()
    pos = []
    for k, (n, m) in enumerate(zip(widths, shown)):
        idx = np.linspace(0, n - 1, m).round().astype(int)
        y = np.linspace(-1, 1, m) if m > 1 else np.zeros(1)
        pos.append((idx, y))
    scale = max(np.abs(w).max() for w in net.weights)
    for l, w in enumerate(net.weights):
        (i_in, y_in), (i_out, y_out) = pos[l], pos[l + 1]
        sub = w[np.ix_(i_out, i_in)]
        flat = np.argsort(-np.abs(sub).ravel())[: max_edges // net.n_layers]
        for sign, color in ((1, COLORS["trained"]), (-1, COLORS["shuffled"])):
            xs, ys = [], []
            for f in flat:
                a, b = divmod(int(f), sub.shape[1])
                if np.sign(sub[a, b]) != sign:
                    continue
                xs += [l, l + 1, None]
                ys += [y_in[b], y_out[a], None]
            if xs:
                fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", line=dict(width=0.8, color=color),
                                           opacity=0.45, hoverinfo="skip",
                                           name="positive weight" if sign > 0 else "negative weight",
                                           showlegend=l == 0))
    for k, (idx, y) in enumerate(pos):
        label = "input" if k == 0 else ("output" if k == len(widths) - 1 else f"hidden {k}")
        fig.add_trace(go.Scatter(x=np.full(len(y), k), y=y, mode="markers",
                                 marker=dict(size=9, color="#333333"), showlegend=False,
                                 hovertext=[f"{label}, neuron {i}" for i in idx], hoverinfo="text"))
    fig.update_xaxes(tickvals=list(range(len(widths))),
                     ticktext=[f"{'in' if k == 0 else ('out' if k == len(widths) - 1 else k)}<br>{w}"
                               for k, w in enumerate(widths)], title_text="layer (width)", showgrid=False)
    fig.update_yaxes(visible=False)
    hidden = [w for w in widths if w > max_neurons]
    note = (f"{max_neurons} evenly spaced neurons shown per layer wider than {max_neurons}; "
            f"the strongest edges drawn; |w| max {scale:.2f}") if hidden else f"|w| max {scale:.2f}"
    return style(fig, title=f"{net.name}: {net.describe()}", height=380, note=note)


def training_curves(history: dict, title: str = "Training") -> tuple[go.Figure, pd.DataFrame]:
    """Loss (left axis) and train/test accuracy (right axis) against epoch."""
    df = pd.DataFrame(history)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=df["epoch"], y=df["loss"], name="training loss (cross-entropy)",
                             line=dict(color=COLORS["shuffled"])), secondary_y=False)
    fig.add_trace(go.Scatter(x=df["epoch"], y=df["train_accuracy"], name="train accuracy",
                             line=dict(color=COLORS["trained"], dash="dot")), secondary_y=True)
    fig.add_trace(go.Scatter(x=df["epoch"], y=df["test_accuracy"], name="test accuracy",
                             line=dict(color=COLORS["trained"])), secondary_y=True)
    fig.update_yaxes(title_text="loss", secondary_y=False)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0], showgrid=False,
                     secondary_y=True)
    style(fig, title=title, x="epoch", height=360)
    return fig, df
