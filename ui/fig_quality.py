"""Figures of "quality without data": physics indicators of the zoo against test accuracy (pure functions).

Data come from :func:`engine.fingerprint.quality_table` (one row per model) and the zoo table
(:func:`engine.fingerprint.load_zoo_table`, one row per model, variant and number of layers);
correlations from :func:`engine.fingerprint.rank_correlations`. No Streamlit calls here.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotting import COLORS, provenance, style

#: Group colours: Okabe-Ito without black, then Paul Tol's muted set (colour-blind safe, 12 in all).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#332288", "#882255", "#44AA99", "#999933", "#AA4499"]
STAGE_COLORS = {"untrained": COLORS["grey"], "partly trained": COLORS["partial"], "trained": COLORS["trained"]}
STAGE_ORDER = {"untrained": 0, "partly trained": 1, "trained": 2}
#: Reference lines of the difference panels: no difference between a network and its twin.
NO_DIFFERENCE = {"d_e_min_per_spin": 0.0, "d_w_per_spin": 0.0, "w_ratio": 1.0, "d_t_c_pt": 0.0,
                 "d_c_max_pt_per_spin": 0.0}
COLOR_BY = {"data set": "dataset", "architecture": "group", "training stage": "stage"}
#: Legend name of the starred points: the current model, and models fingerprinted in this session.
HIGHLIGHT = "current model / fingerprinted here"
#: What the paper (or WeightWatcher) expects of ρ(indicator, test accuracy): sign, source, size band.
EXPECTED = {
    "w_per_spin": ("+", "the paper's ρ(W, error) = −0.8 to −0.96, i.e. +0.8 to +0.96 here", (0.8, 0.96)),
    "e_min_per_spin": ("−", "the paper: lower E_min for trained networks", None),
    "t_c_pt": ("+", "the paper: higher T_c for trained networks", None),
    "d_w_per_spin": ("+", "the paper: W wider for trained than shuffled", None),
    "w_ratio": ("+", "the paper: W ratios 1.1-4.7 for trained networks", None),
    "d_t_c_pt": ("+", "the paper: T_c higher for trained than shuffled", None),
    "alpha_mean": ("−", "WeightWatcher: α falls with better training", None),
    "alpha_mean_reliable": ("−", "WeightWatcher: α falls with better training", None),
}
#: Short panel names.
SHORT = {
    "e_min_per_spin": "E_min/N", "w_per_spin": "W/N", "t_c_pt": "T_c (tempering)", "t_c_wl": "T_c (g(E))",
    "c_max_pt_per_spin": "C_max/N (tempering)", "t_c_paper": "T_c (paper's normalised C)",
    "d_e_min_per_spin": "ΔE_min/N", "d_w_per_spin": "ΔW/N", "w_ratio": "W ratio", "d_t_c_pt": "ΔT_c",
    "d_c_max_pt_per_spin": "ΔC_max/N", "alpha_mean": "spectral α", "alpha_mean_reliable": "α (reliable layers)",
    "typical_field": "weight scale (baseline)", "w_scaled": "W/N ÷ weight scale",
}
#: Error-bar columns of indicators that have them.
ERRORS = {"t_c_pt": "t_c_pt_err", "c_max_pt_per_spin": "c_max_pt_err_per_spin", "d_t_c_pt": "d_t_c_pt_err",
          "d_c_max_pt_per_spin": "d_c_max_pt_err_per_spin"}
#: Axis titles with units.
UNITS = {
    "e_min_per_spin": "E_min/N (coupling units)",
    "w_per_spin": "W/N (coupling units)",
    "t_c_pt": "T_c (coupling units)",
    "t_c_wl": "T_c (coupling units)",
    "c_max_pt_per_spin": "C_max/N",
    "t_c_paper": "T_c (normalised, 0-1)",
    "d_e_min_per_spin": "ΔE_min/N",
    "d_w_per_spin": "ΔW/N",
    "w_ratio": "W_network/W_shuffled",
    "d_t_c_pt": "ΔT_c",
    "d_c_max_pt_per_spin": "ΔC_max/N",
    "alpha_mean": "α",
    "alpha_mean_reliable": "α",
    "typical_field": "rms local field (coupling units)",
    "w_scaled": "(W/N) / rms local field",
}


def _groups(table: pd.DataFrame, key: str):
    """(name, rows) per group; training stages in training order, other groups alphabetically."""
    names = sorted(table[key].astype(str).unique(), key=lambda n: (STAGE_ORDER.get(n, 9), n))
    return [(n, table[table[key].astype(str) == n]) for n in names]


def group_colors(values) -> dict:
    """A fixed colour per group name (stages: grey untrained, orange partly trained, blue trained)."""
    names = sorted({str(v) for v in values})
    if set(names) <= set(STAGE_COLORS):
        return {n: STAGE_COLORS[n] for n in names}
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def fmt_rho(rho: float, p: float, n: int) -> str:
    """``ρ = +0.41 (p = 0.003, n = 51)``; ``ρ: n/a`` when it cannot be computed."""
    if not np.isfinite(rho):
        return f"ρ: n/a (n = {n})"
    return f"ρ = {rho:+.2f} (p = {fmt_p(p)}, n = {n})"


def fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    if p < 1e-15:
        return "≈ 0"
    return f"{p:.0e}" if p < 1e-3 else f"{p:.3f}"


def _hover(df: pd.DataFrame) -> list[str]:
    return [f"{m}<br>{a} · {s}<br>test accuracy {acc:.3f}" for m, a, s, acc in
            zip(df["model"], df["group"], df["stage"], df["test_accuracy"])]


def indicator_grid(table: pd.DataFrame, indicators: list[str], corr: pd.DataFrame, *, color_by: str = "data set",
                   highlight: pd.DataFrame | None = None, cols: int = 4, title: str = "", note: str = "",
                   x_column: str = "test_accuracy") -> tuple[go.Figure, pd.DataFrame]:
    """One scatter per indicator (y) against test accuracy (x), Spearman ρ in each panel's title.

    ``table`` one row per model (:func:`engine.fingerprint.quality_table`); indicators with an
    error column (:data:`ERRORS`) get error bars; ``highlight`` rows (models fingerprinted in this
    session) are drawn as large stars. Returns the figure and the long table behind it.
    """
    indicators = [c for c in indicators if c in table.columns]
    rho = corr.set_index("indicator") if len(corr) else pd.DataFrame()
    titles = []
    for c in indicators:
        r = rho.loc[c] if c in rho.index else None
        head = SHORT.get(c, c)
        titles.append(f"<b>{head}</b><br>{fmt_rho(r['rho'], r['p'], int(r['n'])) if r is not None else 'ρ: n/a'}")
    rows = max(1, math.ceil(len(indicators) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07,
                        vertical_spacing=0.2 if rows > 1 else 0.1)
    key = COLOR_BY.get(color_by, "dataset")
    colors = group_colors(table[key]) if len(table) else {}
    frames = []
    for i, c in enumerate(indicators):
        r, k = i // cols + 1, i % cols + 1
        for g, sub in _groups(table, key):
            err = sub[ERRORS[c]] if c in ERRORS and ERRORS[c] in sub.columns else None
            fig.add_trace(go.Scatter(
                x=sub[x_column], y=sub[c], mode="markers", name=str(g), legendgroup=str(g), showlegend=i == 0,
                marker=dict(color=colors.get(str(g)), size=8, line=dict(width=0.5, color="white")),
                error_y=dict(type="data", array=err, visible=True, thickness=1, width=2) if err is not None else None,
                hovertext=_hover(sub), hoverinfo="text+y"), row=r, col=k)
        if highlight is not None and len(highlight) and c in highlight.columns:
            fig.add_trace(go.Scatter(
                x=highlight[x_column], y=highlight[c], mode="markers", name=HIGHLIGHT, legendgroup="live",
                showlegend=i == 0, marker=dict(symbol="star-open", size=18, color=COLORS["accent"],
                                               line=dict(width=2.5, color=COLORS["accent"])),
                hovertext=_hover(highlight), hoverinfo="text+y"), row=r, col=k)
        if c in NO_DIFFERENCE:
            fig.add_hline(y=NO_DIFFERENCE[c], line_dash="dot", line_color=COLORS["theory"], line_width=1, row=r, col=k)
        fig.update_yaxes(title_text=UNITS.get(c, c), row=r, col=k, title_standoff=4)
        fig.update_xaxes(title_text="test accuracy", row=r, col=k, title_standoff=4)
        part = table[["model", "group", "dataset", "stage", x_column, c]].rename(columns={c: "value"})
        part.insert(1, "indicator", c)
        if c in ERRORS and ERRORS[c] in table.columns:
            part["error"] = table[ERRORS[c]].to_numpy()
        frames.append(part)
    fig.update_annotations(font_size=12)
    height = 320 * rows + 200
    style(fig, title=title or None, note=note or None, height=height)
    # room for the subtitle above the panel titles, and for the legend below the last axis title
    fig.update_layout(margin=dict(t=150, b=110), legend=dict(orientation="h", yanchor="top", y=-70 / (height - 260),
                                                               x=0.0, xanchor="left", title_text=f"{color_by}: "))
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def correlation_bars(corr: pd.DataFrame, *, title: str = "", note: str = "") -> go.Figure:
    """Spearman ρ of every indicator with test accuracy as horizontal bars (p-values as labels).

    The paper's range for W (ρ(W, accuracy) = +0.8 to +0.96) is shaded on the W bar's row.
    """
    c = corr.iloc[::-1].reset_index(drop=True)
    colors = [COLORS["simulation"] if np.isfinite(p) and p < 0.05 else COLORS["grey"] for p in c["p"]]
    labels = [f"{r:+.2f} (p {fmt_p(p) if fmt_p(p).startswith('≈') else '= ' + fmt_p(p)})" if np.isfinite(r)
              else "n/a" for r, p in zip(c["rho"], c["p"])]
    fig = go.Figure(go.Bar(x=c["rho"].fillna(0.0), y=c["label"], orientation="h", marker_color=colors, text=labels,
                           textposition="outside", cliponaxis=False, showlegend=False,
                           hovertext=[f"{lab}: n = {n}" for lab, n in zip(c["label"], c["n"])], hoverinfo="text"))
    if "w_per_spin" in set(c["indicator"]):
        y = c.index[c["indicator"] == "w_per_spin"][0]
        fig.add_shape(type="rect", x0=0.8, x1=0.96, y0=y - 0.45, y1=y + 0.45, fillcolor=COLORS["theory"],
                      opacity=0.12, line_width=0)
        fig.add_annotation(x=0.88, y=y + 0.45, text="paper", showarrow=False, yanchor="bottom", font=dict(size=10))
    fig.add_vline(x=0.0, line_color="#444444", line_width=1)
    style(fig, title=title or None, note=note or None,
          x="Spearman ρ with test accuracy (green: p < 0.05, grey: not significant)", height=140 + 34 * len(c),
          legend=False)
    fig.update_xaxes(range=[-1.7, 1.7], tickvals=[-1, -0.5, 0, 0.5, 1])
    fig.update_layout(margin=dict(l=260))
    return fig


def trained_vs_shuffled(table: pd.DataFrame, column: str, *, title: str = "", note: str = "",
                        highlight: pd.DataFrame | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Each model's twin value (x) against its own (y), coloured by training stage; y = x drawn.

    Points above the diagonal: the trained (as-is) network has the larger value.
    """
    twin = f"{column}_shuffled"
    err = ERRORS.get(column)
    fig = go.Figure()
    colors = group_colors(table["stage"])
    for stage, sub in _groups(table, "stage"):
        kw = {}
        if err and err in sub.columns and f"{err}_shuffled" in sub.columns:
            kw = dict(error_y=dict(type="data", array=sub[err], thickness=1, width=2),
                      error_x=dict(type="data", array=sub[f"{err}_shuffled"], thickness=1, width=2))
        fig.add_trace(go.Scatter(x=sub[twin], y=sub[column], mode="markers", name=str(stage),
                                 marker=dict(color=colors.get(str(stage)), size=8), hovertext=_hover(sub),
                                 hoverinfo="text+x+y", **kw))
    if highlight is not None and len(highlight) and twin in highlight.columns:
        fig.add_trace(go.Scatter(x=highlight[twin], y=highlight[column], mode="markers", name=HIGHLIGHT,
                                 marker=dict(symbol="star-open", size=18, color=COLORS["accent"],
                                             line=dict(width=2.5, color=COLORS["accent"])),
                                 hovertext=highlight["model"]))
    both = pd.concat([table[column], table[twin]]).dropna()
    if len(both):
        lo, hi = float(both.min()), float(both.max())
        pad = 0.05 * (hi - lo or 1.0)
        fig.add_trace(go.Scatter(x=[lo - pad, hi + pad], y=[lo - pad, hi + pad], mode="lines", name="equal",
                                 line=dict(color=COLORS["theory"], dash="dot", width=1)))
    label = UNITS.get(column, column)
    style(fig, title=title or None, note=note or None, x=f"shuffled twin: {label}", y=f"network: {label}", height=420)
    data = table[["model", "group", "stage", "test_accuracy", column, twin]].copy()
    return fig, data


def layers_figure(rows: pd.DataFrame, model: str, *, per_spin: bool = True,
                  note: str = "") -> tuple[go.Figure, pd.DataFrame]:
    """W (per spin or total) of the first b layers against b, the network and its shuffled twin.

    ``rows``: variant, layers_included, n_spins, w_ground_per_spin (W = 2|E_min| without fields).
    """
    d = rows.sort_values("layers_included").copy()
    d["w"] = d["w_ground_per_spin"] * (1 if per_spin else d["n_spins"])
    fig = go.Figure()
    for variant, color in (("trained", COLORS["trained"]), ("shuffled", COLORS["shuffled"])):
        sub = d[d["variant"] == variant]
        name = "network (as trained)" if variant == "trained" else "shuffled twin (f = 1)"
        fig.add_trace(go.Scatter(x=sub["layers_included"], y=sub["w"], mode="lines+markers", name=name,
                                 line=dict(color=color), marker=dict(size=9),
                                 hovertext=[f"first {b} layers: {n} spins" for b, n in
                                            zip(sub["layers_included"], sub["n_spins"])]))
    style(fig, title=f"W of the first b layers: {model}", note=note or None, x="layers included b",
          y="energy width W/N (coupling units)" if per_spin else "energy width W, total (coupling units)", height=380)
    fig.update_xaxes(dtick=1)
    return fig, d[["variant", "layers_included", "n_spins", "w_ground_per_spin", "w"]]


def layers_ratio_figure(zoo: pd.DataFrame, *, min_layers: int = 2, note: str = "") -> tuple[go.Figure, pd.DataFrame]:
    """W_trained/W_shuffled of the first b layers against b for every zoo model with ≥ ``min_layers`` layers."""
    d = zoo[zoo["n_layers"] >= min_layers]
    piv = d.pivot_table(index=["model", "layers_included"], columns="variant", values="w_ground_per_spin")
    if piv.empty or not {"trained", "shuffled"} <= set(piv.columns):
        return style(go.Figure(), title="W ratio against depth (no data)", height=300), pd.DataFrame()
    piv = piv.reset_index()
    piv["ratio"] = piv["trained"] / piv["shuffled"]
    meta = d.drop_duplicates("model").set_index("model")[["stage", "architecture", "activation", "test_accuracy"]]
    piv = piv.join(meta, on="model")
    colors = group_colors(piv["stage"])
    fig = go.Figure()
    shown = set()
    piv = piv.sort_values(["stage", "model"], key=lambda col: col.map(STAGE_ORDER) if col.name == "stage" else col)
    for model, sub in piv.groupby("model", sort=False):
        stage = str(sub["stage"].iloc[0])
        fig.add_trace(go.Scatter(x=sub["layers_included"], y=sub["ratio"], mode="lines+markers", name=stage,
                                 legendgroup=stage, showlegend=stage not in shown,
                                 line=dict(color=colors.get(stage), width=1.2), marker=dict(size=6),
                                 hovertext=f"{model} (accuracy {sub['test_accuracy'].iloc[0]:.3f})",
                                 hoverinfo="text+y"))
        shown.add(stage)
    fig.add_hline(y=1.0, line_dash="dot", line_color=COLORS["theory"])
    style(fig, title="W_network / W_shuffled for the first b layers, every zoo model with ≥ 2 layers",
          note=note or None, x="layers included b", y="W ratio (network / shuffled twin)", height=400)
    fig.update_xaxes(dtick=1)
    return fig, piv


def spectral_figure(table: pd.DataFrame, corr: pd.DataFrame, *, note: str = "",
                    highlight: pd.DataFrame | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The WeightWatcher-style baseline: α against test accuracy, per network (left) and per layer (right).

    Left: mean α over all fitted layers and over reliable layers only (≥ 50 eigenvalues).
    Right: every layer's α; layers with < 50 eigenvalues are hollow grey (unreliable fits).
    """
    rho = corr.set_index("indicator") if len(corr) else pd.DataFrame()

    def head(c):
        r = rho.loc[c] if c in rho.index else None
        return fmt_rho(r["rho"], r["p"], int(r["n"])) if r is not None else "ρ: n/a"

    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=[
        f"per network: mean α {head('alpha_mean')}<br>reliable layers only {head('alpha_mean_reliable')}",
        "per layer (hollow grey: < 50 eigenvalues, unreliable)"])
    fig.add_trace(go.Scatter(x=table["test_accuracy"], y=table["alpha_mean"], mode="markers",
                             name="mean α, all fitted layers", marker=dict(color=COLORS["grey"], size=8),
                             hovertext=_hover(table), hoverinfo="text+y"), row=1, col=1)
    fig.add_trace(go.Scatter(x=table["test_accuracy"], y=table["alpha_mean_reliable"], mode="markers",
                             name="mean α, reliable layers", marker=dict(color=COLORS["simulation"], size=9,
                                                                         symbol="diamond"),
                             hovertext=_hover(table), hoverinfo="text+y"), row=1, col=1)
    if highlight is not None and len(highlight) and "alpha_mean" in highlight.columns:
        fig.add_trace(go.Scatter(x=highlight["test_accuracy"], y=highlight["alpha_mean"], mode="markers",
                                 name=HIGHLIGHT, marker=dict(symbol="star-open", size=18, color=COLORS["accent"],
                                                                        line=dict(width=2.5, color=COLORS["accent"]))),
                      row=1, col=1)
    layers = layer_table(table)
    for reliable, sub in layers.groupby("reliable"):
        fig.add_trace(go.Scatter(
            x=sub["test_accuracy"], y=sub["alpha"], mode="markers",
            name="layer, ≥ 50 eigenvalues" if reliable else "layer, < 50 eigenvalues (unreliable)",
            marker=dict(size=7, color=COLORS["trained"] if reliable else "rgba(0,0,0,0)",
                        line=dict(width=1, color=COLORS["trained"] if reliable else COLORS["grey"])),
            hovertext=[f"{m} layer {l}: {n} eigenvalues" for m, l, n in
                       zip(sub["model"], sub["layer"], sub["n_eigenvalues"])], hoverinfo="text+y"), row=1, col=2)
    fig.add_hrect(y0=2, y1=6, line_width=0, fillcolor=COLORS["simulation"], opacity=0.07, row=1, col=2)
    fig.update_yaxes(title_text="power-law exponent α", row=1, col=1)
    fig.update_xaxes(title_text="test accuracy")
    fig.update_annotations(font_size=12)
    style(fig, title="Spectral baseline (WeightWatcher-style α)", note=note or None, height=540)
    fig.update_layout(margin=dict(t=150, b=120),
                      legend=dict(orientation="h", y=-0.25, yanchor="top", x=0, xanchor="left"))
    return fig, layers


def tc_agreement_figure(full: pd.DataFrame, *, note: str = "") -> tuple[go.Figure, pd.DataFrame]:
    """T_c from tempering (± resampling error) against T_c from the Wang-Landau g(E), every fingerprint.

    ``full``: zoo-table rows of full networks (both variants). Two independent methods on the same
    model: the points must sit on the diagonal within their error bars (g(E) adds a binning error).
    """
    d = full[["model", "variant", "n_spins", "t_c_wl", "t_c_pt", "t_c_pt_err"]].dropna(subset=["t_c_wl", "t_c_pt"])
    fig = go.Figure()
    for variant, color in (("trained", COLORS["trained"]), ("shuffled", COLORS["shuffled"])):
        sub = d[d["variant"] == variant]
        fig.add_trace(go.Scatter(x=sub["t_c_wl"], y=sub["t_c_pt"], mode="markers",
                                 name="network (as trained)" if variant == "trained" else "shuffled twin",
                                 marker=dict(color=color, size=7),
                                 error_y=dict(type="data", array=sub["t_c_pt_err"], thickness=1, width=2),
                                 hovertext=[f"{m} ({variant}, {n} spins)"
                                            for m, n in zip(sub["model"], sub["n_spins"])],
                                 hoverinfo="text+x+y"))
    if len(d):
        lo, hi = float(d[["t_c_wl", "t_c_pt"]].min().min()), float(d[["t_c_wl", "t_c_pt"]].max().max())
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="equal",
                                 line=dict(color=COLORS["theory"], dash="dot", width=1)))
    style(fig, title="Two methods, one T_c: parallel tempering against the Wang-Landau g(E)", note=note or None,
          x="T_c from g(E) (coupling units)", y="T_c from tempering ± error (coupling units)", height=420)
    return fig, d


def depth_finding(zoo: pd.DataFrame, *, stage: str = "trained") -> str:
    """How W and the network/twin gap build up over the first b layers, for the models at ``stage``."""
    d = zoo[(zoo["stage"] == stage) & (zoo["n_layers"] >= 2)]
    piv = d.pivot_table(index=["model", "layers_included"], columns="variant", values="w_ground_per_spin")
    if piv.empty or not {"trained", "shuffled"} <= set(piv.columns):
        return ""
    piv["ratio"] = piv["trained"] / piv["shuffled"]
    first, last, grows, widens, n = [], [], 0, 0, 0
    for _, sub in piv.groupby(level="model"):
        sub = sub.droplevel("model").sort_index()
        n += 1
        first.append(sub["ratio"].iloc[0])
        last.append(sub["ratio"].iloc[-1])
        grows += bool(np.all(np.diff(sub["trained"].to_numpy()) > 0))
        widens += bool(sub["ratio"].iloc[-1] > sub["ratio"].iloc[0])
    return (f"Over the {n} {stage} zoo models with ≥ 2 layers: W/N of the network grows with every layer added in "
            f"{grows} of {n}; the network/twin ratio is {np.median(first):.2f} (median) for the first layer alone "
            f"and {np.median(last):.2f} for the whole network, larger for the whole network in {widens} of {n}. "
            "Paper: W grows with the layers included, and the gap appears for the whole network, not single layers.")


def layer_table(table: pd.DataFrame) -> pd.DataFrame:
    """Long table of per-layer α from the ``;``-joined columns of the zoo table."""
    rows = []
    for _, r in table.iterrows():
        alphas = str(r.get("alpha_layers", "") or "").split(";")
        eigs = str(r.get("alpha_layer_eigenvalues", "") or "").split(";")
        for l, (a, n) in enumerate(zip(alphas, eigs), start=1):
            try:
                a_val, n_val = float(a), int(float(n))
            except ValueError:
                continue
            rows.append({"model": r["model"], "layer": l, "alpha": a_val, "n_eigenvalues": n_val,
                         "reliable": n_val >= 50, "test_accuracy": r["test_accuracy"]})
    return pd.DataFrame(rows, columns=["model", "layer", "alpha", "n_eigenvalues", "reliable", "test_accuracy"])


# ------------------------------------------------------------------------------ words from numbers

def finding(row: pd.Series) -> str:
    """One sentence about one indicator: ρ, p, n, its direction, and what the paper expected."""
    c, rho, p, n = row["indicator"], row["rho"], row["p"], int(row["n"])
    if not np.isfinite(rho):
        return f"**{row['label']}**: no rank correlation (n = {n})."
    direction = "higher values, higher accuracy" if rho > 0 else "lower values, higher accuracy"
    sig = "significant (p < 0.05)" if p < 0.05 else "not significant"
    text = f"**{row['label']}**: {fmt_rho(rho, p, n)}: {direction}; {sig}."
    if c in EXPECTED:
        sign, source, band = EXPECTED[c]
        agrees = (rho > 0) == (sign == "+")
        text += f" Expected ({source}): {'same sign' if agrees else 'the opposite sign'}"
        if band is not None and agrees:
            lo, hi = band
            size = round(abs(rho), 2)  # compared as printed
            text += ", " + ("weaker" if size < lo else ("as strong" if size <= hi else "stronger"))
        text += "."
    return text


def baseline_finding(corr: pd.DataFrame) -> str:
    """The trivial baseline: does the weights' size alone rank the models as well as W does?"""
    r = corr.set_index("indicator")
    need = {"typical_field", "w_per_spin", "w_scaled"}
    if not need <= set(r.index) or not np.isfinite(r.loc["w_per_spin", "rho"]):
        return ""
    base, w, scaled = (r.loc[c] for c in ("typical_field", "w_per_spin", "w_scaled"))
    verdict = ("the weights' size alone ranks these models at least as well as W does"
               if np.isfinite(base["rho"]) and abs(base["rho"]) >= abs(w["rho"])
               else "W ranks these models better than the weights' size alone")
    rho = {k: fmt_rho(v["rho"], v["p"], int(v["n"])) for k, v in (("base", base), ("w", w), ("scaled", scaled))}
    return (f"**A trivial baseline**: the weight scale (rms local field sqrt(mean_i Σ_j J_ij²), which training "
            f"grows) has {rho['base']}, W/N {rho['w']}: {verdict}. With the scale divided out, W/N ÷ scale has "
            f"{rho['scaled']}; the network − twin differences (same weights, rearranged) isolate the arrangement.")


def twin_counts(table: pd.DataFrame, column: str, err_column: str | None = None, *, sigmas: float = 2.0) -> dict:
    """How many models have the larger value than their twin (beyond ``sigmas`` errors when given)."""
    twin = f"{column}_shuffled"
    d = table[[column, twin] + ([err_column] if err_column and err_column in table.columns else [])].dropna()
    diff = d[column] - d[twin]
    if err_column and err_column in d.columns:
        above = int((diff > sigmas * d[err_column]).sum())
        below = int((diff < -sigmas * d[err_column]).sum())
    else:
        above, below = int((diff > 0).sum()), int((diff < 0).sum())
    return {"n": int(len(d)), "above": above, "below": below, "tied": int(len(d)) - above - below}


def twin_findings(table: pd.DataFrame) -> list[str]:
    """Sentences on network vs shuffled twin: W (paper: wider in 10 of 11, ratios 1.1-4.7), T_c (paper: 9 of 11)."""
    parts_w, parts_t = [], []
    trained = table[table["stage"] == "trained"]
    parts = [("fully trained", trained)] + ([("all stages", table)] if len(table) > len(trained) else [])
    for stage_label, sub in parts:
        w = twin_counts(sub, "w_per_spin")
        if w["n"]:
            r = sub["w_ratio"].dropna()
            parts_w.append(f"{stage_label}: wider in {w['above']} of {w['n']}, narrower in {w['below']} "
                           f"(ratio {r.min():.2f}-{r.max():.2f}, median {r.median():.2f})")
        t = twin_counts(sub, "t_c_pt", "d_t_c_pt_err")
        if t["n"]:
            parts_t.append(f"{stage_label}: higher by > 2σ in {t['above']} of {t['n']}, lower in {t['below']}, "
                           f"within 2σ in {t['tied']}")
    out = []
    if parts_w:
        out.append("**W, network vs its shuffled twin**: " + "; ".join(parts_w) +
                   ". Paper: wider in 10 of 11, ratios 1.1-4.7.")
    if parts_t:
        out.append("**T_c, network vs its shuffled twin**: " + "; ".join(parts_t) + ". Paper: higher in 9 of 11.")
    return out


def provenance_note(table: pd.DataFrame, subset: str) -> str:
    """Figure subtitle: which models, how their numbers were made."""
    seeds = sorted({int(s) for s in table.get("fp_seed", pd.Series(dtype=float)).dropna()})
    lf = table["log_f_final"].dropna().unique() if "log_f_final" in table.columns else []
    return provenance(models=f"{len(table)} ({subset})", seed=",".join(map(str, seeds)) or None,
                      WL=f"ln f → {lf[0]:g}" if len(lf) else None,
                      T="[0.2, 5] × typical field")
