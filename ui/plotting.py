"""House style for figures: pure functions, no Streamlit calls.

Every figure says what it shows: axis titles carry units (energies "per spin" or
"total", temperatures "in units of the couplings"), and :func:`provenance` puts the
model, temperature range and seed into the figure so that a downloaded HTML file or a
screenshot keeps its context.
"""
from __future__ import annotations

import plotly.graph_objects as go

#: Colours used across pages: trained vs shuffled and friends (colour-blind safe, Okabe-Ito).
COLORS = {
    "trained": "#0072B2",
    "shuffled": "#D55E00",
    "partial": "#E69F00",
    "theory": "#000000",
    "simulation": "#009E73",
    "accent": "#CC79A7",
    "grey": "#999999",
}
SEQUENCE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def wrap_lines(text: str, width: int, sep: str = " · ") -> list[str]:
    """Split ``text`` at ``sep`` into lines of at most ``width`` characters (a longer part keeps its own line)."""
    lines, cur = [], ""
    for part in text.split(sep):
        if cur and len(cur) + len(sep) + len(part) > width:
            lines.append(cur)
            cur = part
        else:
            cur = f"{cur}{sep}{part}" if cur else part
    lines.append(cur)
    return lines


def provenance(verbatim: dict | None = None, /, **items) -> str:
    """``model: x · seed: 3 · T: 0.1-5`` (``None`` values are skipped).

    Keyword names have ``_`` shown as a space; keys of the optional positional dict are shown
    as they are (for labels such as ``σ_w²``).
    """
    pairs = [(k, v) for k, v in (verbatim or {}).items()] + [(k.replace("_", " "), v) for k, v in items.items()]
    parts = []
    for k, v in pairs:
        if v is None:
            continue
        if isinstance(v, float):
            v = f"{v:.4g}"
        parts.append(f"{k}: {v}")
    return " · ".join(parts)


def style(fig: go.Figure, *, title: str | None = None, x: str | None = None, y: str | None = None,
          note: str | None = None, height: int = 420, legend: bool = True) -> go.Figure:
    """Apply the house layout: title, axis labels (with units), the provenance note as a subtitle."""
    title_block = None
    if title or note:
        title_block = dict(text=title or "", x=0.0, xanchor="left", font=dict(size=16))
        if note:
            title_block["subtitle"] = dict(text=note, font=dict(size=11, color="#666666"))
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin=dict(l=60, r=20, t=(95 if note else 60) if (title or note) else 30, b=50),
        title=title_block,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0) if legend else None,
        showlegend=legend,
        colorway=SEQUENCE,
        font=dict(size=13),
    )
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    return fig


def error_band(fig: go.Figure, x, y, err, *, name: str, color: str, row=None, col=None,
               dash: str | None = None, showlegend: bool = True) -> go.Figure:
    """A line with a shaded ±err band (err may be None)."""
    import numpy as np

    x = np.asarray(x)
    y = np.asarray(y)
    kw = {} if row is None else dict(row=row, col=col)
    if err is not None:
        err = np.asarray(err)
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([y + err, (y - err)[::-1]]),
                                 fill="toself", fillcolor=color, opacity=0.2, line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, legendgroup=name), **kw)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=color, dash=dash),
                             legendgroup=name, showlegend=showlegend), **kw)
    return fig
