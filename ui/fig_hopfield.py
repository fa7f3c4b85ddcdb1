"""Figures of the Hopfield and Boltzmann-machine pages (pure functions: data -> Plotly figure + its data).

Images (stored patterns, recall frames, RBM filters and Gibbs samples) are drawn as one heatmap
of tiles separated by grey gaps (:func:`image_grid`), which is fast however many tiles there are.
Every builder returns ``(figure, DataFrame)`` so the page can offer the data behind it as CSV.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotting import COLORS, SEQUENCE, style, wrap_lines

#: ±1 spins: -1 white (background), +1 black (ink), as the digits are drawn.
SPIN_SCALE = [[0.0, "#ffffff"], [1.0, "#111111"]]
#: Signed weights: red negative, white zero, blue positive.
SIGNED_SCALE = "RdBu"
#: Grey between tiles, so that white pixels at a tile's edge stay visible.
GAP_COLOR = "#9a9a9a"

TIME_AXIS = "time t (sweeps: N single-spin updates)"


def pattern_name(k: int, label) -> str:
    """``ξ3: 7`` for a pattern with a label (a digit), ``ξ3`` for an unlabelled one (label "")."""
    return f"ξ{k}: {label}" if str(label) else f"ξ{k}"


def wrap_note(fig: go.Figure, chars: int = 70) -> go.Figure:
    """Break a figure's provenance subtitle into lines of at most ``chars`` characters (for half-width charts).

    The subtitle is split at its `` · `` separators; the top margin grows by one line per extra line.
    """
    title = fig.layout.title
    text = title.subtitle.text if title is not None and title.subtitle is not None else None
    if not text or len(text) <= chars:
        return fig
    lines = wrap_lines(text, chars)
    fig.update_layout(title_subtitle_text="<br>".join(lines),
                      margin_t=(fig.layout.margin.t or 95) + 14 * (len(lines) - 1))
    return fig
ALPHA_AXIS = "storage ratio α = P/N"


# ------------------------------------------------------------------------------- tiles

def mosaic(tiles, gap: int = 1):
    """Tiles (R, C, h, w) laid out in one (R h + (R-1) gap, C w + (C-1) gap) array, NaN in the gaps.

    Returns ``(z, x_centres (C,), y_centres (R,))``, the centres in array coordinates.
    """
    t = np.asarray(tiles, dtype=np.float64)
    R, C, h, w = t.shape
    z = np.full((R * h + (R - 1) * gap, C * w + (C - 1) * gap), np.nan)
    for r in range(R):
        for c in range(C):
            z[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = t[r, c]
    xc = np.arange(C) * (w + gap) + (w - 1) / 2
    yc = np.arange(R) * (h + gap) + (h - 1) / 2
    return z, xc, yc


def as_rows(images, n_cols: int):
    """(n, h, w) images as (R, n_cols, h, w) tiles row by row, NaN-padded; R = ceil(n / n_cols)."""
    imgs = np.asarray(images, dtype=np.float64)
    n, h, w = imgs.shape
    R = -(-n // n_cols)
    out = np.full((R * n_cols, h, w), np.nan)
    out[:n] = imgs
    return out.reshape(R, n_cols, h, w)


def image_grid(tiles, *, col_labels=None, row_labels=None, colorscale=SPIN_SCALE, zmin=-1.0, zmax=1.0,
               colorbar: str | None = None, title: str | None = None, note: str | None = None,
               height: int | None = None, gap: int = 1, value_name: str = "value", width: int = 1000) -> go.Figure:
    """Tiles (R, C, h, w) as one heatmap with square pixels; labels under columns and beside rows.

    ``width``: the expected width of the plot area in pixels (a full-width chart is about 1000), used to
    choose a height that keeps the pixels square without blank bands when ``height`` is not given.
    """
    t = np.asarray(tiles, dtype=np.float64)
    z, xc, yc = mosaic(t, gap)
    fig = go.Figure(go.Heatmap(z=z, colorscale=colorscale, zmin=zmin, zmax=zmax, hoverongaps=False,
                               showscale=colorbar is not None,
                               colorbar=dict(title=dict(text=colorbar, side="right"), thickness=12, len=0.8)
                               if colorbar else None,
                               hovertemplate=f"{value_name} %{{z:.3g}}<extra></extra>"))
    fig.update_xaxes(showgrid=False, zeroline=False, showline=False, constrain="domain",
                     tickvals=xc if col_labels is not None else [], ticktext=list(col_labels or []), ticks="")
    fig.update_yaxes(showgrid=False, zeroline=False, showline=False, autorange="reversed", scaleanchor="x",
                     constrain="domain", tickvals=yc if row_labels is not None else [],
                     ticktext=list(row_labels or []), ticks="")
    if height is None:
        height = int(np.clip(0.9 * width * z.shape[0] / z.shape[1], 140, 720)) + (95 if note else 60) + 40
    style(fig, title=title, note=note, height=height, legend=False)
    fig.update_layout(plot_bgcolor=GAP_COLOR, margin=dict(l=60 if row_labels is not None else 10, r=10, b=40))
    return fig


def _tiles_frame(tiles, col_labels=None, row_labels=None) -> pd.DataFrame:
    """Long format of (R, C, h, w) tiles: row, column (with labels), pixel row y, pixel column x, value."""
    t = np.asarray(tiles, dtype=np.float64)
    R, C, h, w = t.shape
    r, c, y, x = np.meshgrid(np.arange(R), np.arange(C), np.arange(h), np.arange(w), indexing="ij")
    df = pd.DataFrame({"tile_row": r.ravel(), "tile_col": c.ravel(), "y": y.ravel(), "x": x.ravel(),
                       "value": t.ravel()})
    if col_labels is not None:
        df.insert(2, "col_label", np.asarray(list(col_labels), dtype=object)[df["tile_col"]])
    if row_labels is not None:
        df.insert(1, "row_label", np.asarray(list(row_labels), dtype=object)[df["tile_row"]])
    return df.dropna(subset=["value"]).reset_index(drop=True)


# ------------------------------------------------------------------------------ Hopfield

def stored_patterns(images, labels, *, start: int | None = None, max_shown: int = 10, note: str | None = None):
    """The stored patterns ξ^μ as images (at most ``max_shown``, always with the cue's pattern ``start``)."""
    idx = list(range(min(max_shown, len(labels))))
    if start is not None and start not in idx:
        idx[-1] = start
    imgs = np.asarray(images)[idx]
    names = [pattern_name(k, labels[k]) + (" (cue)" if k == start else "") for k in idx]
    tiles = imgs[None]
    title = "Stored patterns" + (f" ({len(idx)} of {len(labels)} shown)" if len(labels) > len(idx) else "")
    fig = image_grid(tiles, col_labels=names, title=title, note=note,
                     height=_strip_height(imgs.shape[1:], len(imgs), note))
    return fig, _tiles_frame(tiles, names)


def _strip_height(shape, n_tiles, note) -> int:
    """A one-row strip of n square-ish tiles in a full-width chart: square pixels, labels below."""
    h, w = shape
    return int(np.clip(1050 * h / (n_tiles * (w + 1)), 90, 150)) + (95 if note else 60) + 45


def frame_indices(n_records: int, n_frames: int) -> np.ndarray:
    """``n_frames`` record indices spread evenly from the first to the last (all if fewer)."""
    if n_records <= n_frames:
        return np.arange(n_records)
    return np.unique(np.rint(np.linspace(0, n_records - 1, n_frames)).astype(int))


def recall_strip(target_image, images, times, overlaps, *, n_frames: int = 8, note: str | None = None):
    """The stored pattern, then the state at ``n_frames`` times from the cue to the end, with m(t) under each."""
    imgs = np.asarray(images)
    idx = frame_indices(len(imgs), n_frames)
    tiles = np.concatenate([np.asarray(target_image)[None], imgs[idx]])[None]
    labels = ["stored pattern"] + [("cue" if k == 0 else ("end" if k == len(imgs) - 1 else f"t = {times[k]:.3g}"))
                                   + f"<br>m = {overlaps[k]:.2f}" for k in idx]
    fig = image_grid(tiles, col_labels=labels, title="Recall: the state s(t), from the noisy cue to the end",
                     note=note, height=_strip_height(imgs.shape[1:], tiles.shape[1], note) + 15)
    fig.update_layout(margin=dict(b=55))
    df = _tiles_frame(tiles, [lab.replace("<br>", ", ") for lab in labels])
    return fig, df


def recall_animation(images, times, overlaps, energies_per_neuron, *, note: str | None = None,
                     height: int = 520, narrow: bool = False) -> go.Figure:
    """The state as an animated image with a time slider and a play button (one frame per record)."""
    imgs = np.asarray(images, dtype=np.float64)

    def caption(k):
        return dict(text=f"t = {times[k]:.3g} sweeps · m = {overlaps[k]:.3f} · E/N = {energies_per_neuron[k]:.4f}",
                    x=0.5, y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom", showarrow=False,
                    font=dict(size=13))

    heat = dict(colorscale=SPIN_SCALE, zmin=-1, zmax=1, showscale=False, hovertemplate="s = %{z:+.0f}<extra></extra>")
    fig = go.Figure(go.Heatmap(z=imgs[0], **heat),
                    frames=[go.Frame(data=[go.Heatmap(z=imgs[k], **heat)], name=str(k),
                                     layout=dict(annotations=[caption(k)]))
                            for k in range(len(imgs))])
    steps = [dict(method="animate", label=f"{times[k]:.3g}",
                  args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                       transition=dict(duration=0))]) for k in range(len(imgs))]
    fig.update_layout(
        annotations=[caption(0)],
        sliders=[dict(active=0, steps=steps, x=0.22, len=0.78, y=0.0, yanchor="top", pad=dict(t=10, b=0),
                      currentvalue=dict(prefix="t = ", suffix=" sweeps", font=dict(size=12)),
                      tickcolor="#999999", font=dict(size=10))],
        updatemenus=[dict(type="buttons", showactive=False, direction="left", x=0.0, y=-0.02, xanchor="left",
                          yanchor="top", pad=dict(t=30),
                          buttons=[dict(label="▶", method="animate",
                                        args=[None, dict(frame=dict(duration=200, redraw=True), fromcurrent=True,
                                                         transition=dict(duration=0))]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                                           transition=dict(duration=0))])])])
    h, w = imgs.shape[1:]
    fig.add_shape(type="rect", x0=-0.5, x1=w - 0.5, y0=-0.5, y1=h - 0.5, line=dict(color=GAP_COLOR, width=2))
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, constrain="domain")
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, autorange="reversed",
                     scaleanchor="x", constrain="domain")
    style(fig, title="The state s(t): drag the slider or press ▶", note=note, height=height, legend=False)
    fig.update_layout(margin=dict(l=10, r=10, b=110, t=(95 if note else 60) + 25))
    if narrow:
        wrap_note(fig, 60)
    return fig


def energy_trace(times, energies_per_neuron, *, temperature: float, converged: bool, note: str | None = None,
                 narrow: bool = False):
    """E(t)/N of a recall run; zero temperature: never increasing (asynchronous updates)."""
    t = np.asarray(times)
    e = np.asarray(energies_per_neuron)
    fig = go.Figure(go.Scatter(x=t, y=e, mode="lines+markers", marker=dict(size=4),
                               line=dict(color=COLORS["simulation"], shape="hv" if temperature == 0 else "linear"),
                               name="E/N"))
    if temperature == 0 and converged:
        fig.add_annotation(x=t[-1], y=e[-1], text="fixed point", showarrow=True, arrowhead=2, ax=-40, ay=-30)
    style(fig, title="Energy per neuron E/N = -½ sᵀws / N", x=TIME_AXIS, y="energy per neuron E/N", note=note,
          height=380, legend=False)
    if narrow:
        wrap_note(fig)
    return fig, pd.DataFrame({"time_sweeps": t, "energy_per_neuron": e})


def overlap_traces(times, overlaps, labels, *, target: int | None = None, note: str | None = None,
                   max_lines: int = 20, narrow: bool = False):
    """m_μ(t) = ξ^μ·s(t)/N for every stored pattern (at most ``max_lines`` drawn; the target bold)."""
    t = np.asarray(times)
    m = np.asarray(overlaps)
    P = m.shape[1]
    order = list(range(P))
    if P > max_lines:  # the target and the patterns with the largest overlaps at any time
        peak = np.abs(m).max(axis=0)
        order = sorted(set([target] if target is not None else []) |
                       set(np.argsort(-peak)[:max_lines - 1].tolist()))
    fig = go.Figure()
    for mu in order:
        is_t = mu == target
        name = pattern_name(mu, labels[mu]) + (" (cue)" if is_t else "")
        fig.add_trace(go.Scatter(x=t, y=m[:, mu], mode="lines", name=name,
                                 line=dict(width=3.5 if is_t else 1.5, color=SEQUENCE[mu % len(SEQUENCE)]),
                                 opacity=1.0 if is_t else 0.75))
    title = "Overlaps with the stored patterns" + (f" ({len(order)} of {P} drawn)" if len(order) < P else "")
    style(fig, title=title, x=TIME_AXIS, y="overlap m_μ = ξ^μ·s / N", note=note, height=380,
          legend=P <= 12)
    if 3 < P <= 12:  # a horizontal legend of many entries would run into the title
        fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1.0, yanchor="top"))
    if narrow:
        wrap_note(fig)
    fig.update_yaxes(range=[-1.05, 1.05])
    df = pd.DataFrame({"time_sweeps": t, **{f"m_{mu}": m[:, mu] for mu in range(P)}})
    return fig, df


def pattern_overlap_matrix(overlaps, labels, *, note: str | None = None, narrow: bool = False):
    """The (P, P) matrix (1/N) ξ^μ·ξ^ν as an annotated heatmap (random patterns: O(1/√N) off the diagonal)."""
    q = np.asarray(overlaps)
    P = q.shape[0]
    names = [pattern_name(k, lab) for k, lab in enumerate(labels)]
    fig = go.Figure(go.Heatmap(z=q, x=names, y=names, colorscale=SIGNED_SCALE, zmin=-1, zmax=1, zmid=0,
                               reversescale=False, text=np.round(q, 2) if P <= 12 else None,
                               texttemplate="%{text}" if P <= 12 else None,
                               colorbar=dict(title=dict(text="overlap", side="right"), thickness=12),
                               hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", showgrid=False)
    fig.update_xaxes(constrain="domain", showgrid=False)
    off = q[~np.eye(P, dtype=bool)]
    sub = f"off-diagonal mean {off.mean():.2f}, max {off.max():.2f}" if P > 1 else "one pattern"
    style(fig, title="Overlaps between stored patterns (1/N) ξ^μ·ξ^ν", note=note, height=440, legend=False,
          x=sub)
    if narrow:
        wrap_note(fig)
    i, j = np.meshgrid(np.arange(P), np.arange(P), indexing="ij")
    df = pd.DataFrame({"mu": i.ravel(), "nu": j.ravel(), "label_mu": np.asarray(labels, dtype=object)[i.ravel()],
                       "label_nu": np.asarray(labels, dtype=object)[j.ravel()], "overlap": q.ravel()})
    return fig, df


def capacity_figure(theory_alphas, theory_m, alpha_c: float, *, result=None, partial=None, note: str | None = None):
    """Final overlap and retrieved fraction against α = P/N, with the AGS T = 0 curve and α_c.

    ``result``: an :class:`engine.hopfield.CapacityResult` (means ± s.e.m. and every probe as a dot);
    ``partial``: ``(alphas (A,), overlaps (A, draws, probes))`` of a stopped run (dots only).
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.62, 0.38])
    ta, tm = np.asarray(theory_alphas), np.asarray(theory_m)
    fig.add_trace(go.Scatter(x=ta, y=tm, mode="lines", name="AGS theory m(α), T = 0",
                             line=dict(color=COLORS["theory"], width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=[alpha_c, alpha_c, 0.3], y=[tm[-1], 0.0, 0.0], mode="lines",
                             name="AGS: no retrieval state above α_c (m = 0)",
                             line=dict(color=COLORS["theory"], width=1.5, dash="dot")), row=1, col=1)
    for r in (1, 2):
        fig.add_vline(x=alpha_c, line=dict(color=COLORS["grey"], dash="dash"), row=r, col=1)
    fig.add_annotation(x=alpha_c, y=0.5, xref="x", yref="y", text=f"α_c = {alpha_c:.3f}", showarrow=False,
                       xanchor="left", xshift=4, font=dict(color="#555555"))
    frames = [pd.DataFrame({"alpha": ta, "theory_m": tm, "kind": "theory"})]
    dots = None
    if result is not None:
        dots = (result.alphas, result.overlaps)
    elif partial is not None:
        dots = partial
    if dots is not None:
        a, over = np.asarray(dots[0]), np.asarray(dots[1])
        xs = np.repeat(a, over.shape[1] * over.shape[2])
        ys = over.reshape(-1)
        ok = np.isfinite(ys)
        rng = np.random.default_rng(0)  # horizontal jitter only, so that the dots do not hide each other
        jitter = (rng.random(ok.sum()) - 0.5) * 0.006
        fig.add_trace(go.Scatter(x=xs[ok] + jitter, y=ys[ok], mode="markers", name="single probes",
                                 marker=dict(size=4, color=COLORS["simulation"], opacity=0.25)), row=1, col=1)
    if result is not None:
        fig.add_trace(go.Scatter(x=result.alphas, y=result.m_mean, mode="lines+markers",
                                 name=f"simulation, N = {result.n_neurons}: mean ± s.e.m.",
                                 line=dict(color=COLORS["trained"]),
                                 error_y=dict(type="data", array=np.nan_to_num(result.m_err), visible=True)),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=result.alphas, y=result.retrieved_fraction, mode="lines+markers",
                                 name=f"retrieved fraction (m ≥ {result.threshold:g})",
                                 line=dict(color=COLORS["shuffled"]),
                                 error_y=dict(type="data", array=np.nan_to_num(result.retrieved_err), visible=True)),
                      row=2, col=1)
        frames.append(result.to_frame().assign(kind="simulation"))
    elif partial is not None:
        fig.add_annotation(text="the retrieved fraction is drawn after a complete run", x=0.5, y=0.5,
                           xref="x2 domain", yref="y2 domain", showarrow=False, font=dict(color="#777777"))
        frames.append(pd.DataFrame({"alpha": np.repeat(partial[0], np.asarray(partial[1])[0].size),
                                    "final_overlap": np.asarray(partial[1]).reshape(-1), "kind": "partial"}))
    fig.update_yaxes(title_text="final overlap m", range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="retrieved fraction", range=[-0.05, 1.05], row=2, col=1)
    fig.update_xaxes(title_text=ALPHA_AXIS, row=2, col=1)
    style(fig, title="Storage capacity: zero-temperature recall started at stored patterns", note=note, height=620)
    fig.update_layout(legend=dict(orientation="v", yanchor="bottom", y=0.42, xanchor="left", x=0.01,
                                  bgcolor="rgba(255,255,255,0.85)", font=dict(size=12)))
    return fig, pd.concat(frames, ignore_index=True)


def phase_diagram_figure(ags, *, points=None, t_max: float = 1.5, alpha_max: float = 0.2, note: str | None = None):
    """The replica-symmetric AGS (α, T) phase diagram, with simulation points coloured by m if given.

    ``ags``: :class:`engine.hopfield.AGSPhaseDiagram`; ``points``: :class:`engine.hopfield.PhasePoints`.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ags.alphas, y=ags.t_glass, mode="lines", name="T_g = 1 + √α (spin glass below)",
                             line=dict(color=COLORS["theory"], dash="dot", width=2)))
    fig.add_trace(go.Scatter(x=ags.alpha_retrieval, y=ags.temperatures, mode="lines",
                             name="T_M: retrieval states exist (left)", line=dict(color=COLORS["theory"], width=2.5)))
    ok = np.isfinite(ags.alpha_global)
    fig.add_trace(go.Scatter(x=ags.alpha_global[ok], y=ags.temperatures[ok], mode="lines",
                             name="T_c: retrieval states are global minima (left)",
                             line=dict(color=COLORS["shuffled"], width=2, dash="dash")))
    labels = [(0.02, 0.1, "retrieval<br>(global minima)"), (0.095, 0.1, "retrieval<br>(metastable)"),
              (0.155, 0.5, "spin glass"), (0.06, 1.42, "paramagnet")]
    for x, y, text in labels:
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=13, color="#444444"),
                           bgcolor="rgba(255,255,255,0.7)")
    frames = [ags.to_frame().assign(kind="AGS replica-symmetric theory")]
    if points is not None:
        A, B = np.meshgrid(points.alphas, points.temperatures, indexing="ij")
        m, err = points.m_mean.ravel(), points.m_err.ravel()
        hover = [f"α = {a:.3f}, T = {t:g}<br>m = {mm:.3f} ± {e:.3f}" if np.isfinite(e) else
                 f"α = {a:.3f}, T = {t:g}<br>m = {mm:.3f}" for a, t, mm, e in zip(A.ravel(), B.ravel(), m, err)]
        fig.add_trace(go.Scatter(
            x=A.ravel(), y=B.ravel(), mode="markers", name=f"simulation N = {points.n_neurons}: m (colour)",
            marker=dict(size=17, color=m, colorscale="Viridis", cmin=0, cmax=1, line=dict(color="#333333", width=1),
                        symbol=np.where(points.retrieved.ravel(), "circle", "x"),
                        colorbar=dict(title=dict(text="overlap m", side="right"), thickness=12, len=0.75, y=0.45)),
            hovertext=hover, hoverinfo="text"))
        frames.append(points.to_frame().assign(kind="simulation"))
    fig.update_xaxes(range=[0, alpha_max])
    fig.update_yaxes(range=[-0.04, t_max])  # room for the T = 0 markers
    style(fig, title="Phase diagram of the Hopfield model (replica-symmetric AGS theory)", x=ALPHA_AXIS,
          y="temperature T (units of the couplings)", note=note, height=620)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.14, xanchor="left", x=0.0),
                      margin=dict(b=110))
    return fig, pd.concat(frames, ignore_index=True)


def phase_points_summary(points, alpha_c: float) -> str:
    """A sentence on what the simulation shows at T = 0 above α_c (finite-size survival), or ''."""
    if points is None or not np.any(points.temperatures == 0):
        return ""
    j = int(np.flatnonzero(points.temperatures == 0)[0])
    above = points.alphas > alpha_c
    if not np.any(above):
        return ""
    m = points.m_mean[above, j]
    return (f"At T = 0 the runs started at a stored pattern end with m = {np.nanmin(m):.2f}-{np.nanmax(m):.2f} "
            f"at α = {points.alphas[above].min():.2f}-{points.alphas[above].max():.2f}, above α_c = {alpha_c:.3f}: "
            f"at N = {points.n_neurons} a pattern sits near a fixed point with m close to 1 (its basin shrinks but "
            "does not vanish). The AGS jump of m at α_c is a large-N statement; see the Capacity view.")


# ------------------------------------------------------------------------------ RBM

def rbm_history(history, *, note: str | None = None):
    """Reconstruction error, free energy (train vs test) and pseudo-log-likelihood against updates."""
    df = history.to_frame()
    x = df["updates"]
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                        subplot_titles=["reconstruction error (train)", "mean free energy ⟨F(v)⟩",
                                        "pseudo-log-likelihood"])
    fig.add_trace(go.Scatter(x=x, y=df["reconstruction_error"], mode="lines+markers", name="reconstruction error",
                             line=dict(color=COLORS["trained"]), showlegend=False), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=df["free_energy_train"], mode="lines+markers", name="F, training data",
                             line=dict(color=COLORS["trained"])), row=1, col=2)
    if np.any(np.isfinite(df["free_energy_test"])):
        fig.add_trace(go.Scatter(x=x, y=df["free_energy_test"], mode="lines+markers", name="F, test data",
                                 line=dict(color=COLORS["shuffled"], dash="dash")), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=df["pseudo_log_likelihood"], mode="lines+markers", name="pseudo-log-likelihood",
                             line=dict(color=COLORS["simulation"]), showlegend=False), row=1, col=3)
    fig.update_xaxes(title_text="parameter updates (mini-batches)")
    fig.update_yaxes(title_text="mean squared error per pixel", row=1, col=1)
    fig.update_yaxes(title_text="free energy F per image (nats)", row=1, col=2)
    fig.update_yaxes(title_text="Σ_i ln P(v_i | v_-i) per image (nats)", row=1, col=3)
    fig.update_annotations(font_size=12)
    style(fig, title="Training history (one point per epoch)", note=note, height=400)
    fig.update_layout(legend=dict(orientation="v", x=0.37, y=0.02, xanchor="left", yanchor="bottom",
                                  bgcolor="rgba(255,255,255,0.85)"))
    return fig, df


def rbm_filters(filters, *, n_cols: int = 16, note: str | None = None, title: str | None = None, width: int = 1000):
    """The receptive fields W_{·j} (n_h, h, w) as a grid of images, one colour scale centred on 0."""
    f = np.asarray(filters, dtype=np.float64)
    tiles = as_rows(f, min(n_cols, len(f)))
    lim = float(np.nanmax(np.abs(f))) or 1.0
    fig = image_grid(tiles, colorscale=SIGNED_SCALE, zmin=-lim, zmax=lim, colorbar="weight W_ij",
                     title=title or f"Filters: the weights into each of the {len(f)} hidden units (8×8 pixels each)",
                     note=note, value_name="W", width=width)
    return fig, _tiles_frame(tiles)


def gibbs_grid(steps, images, *, probabilities: bool, note: str | None = None):
    """Block-Gibbs chains: rows are chains, columns the recorded steps; images (K, R, h, w)."""
    imgs = np.asarray(images, dtype=np.float64)
    tiles = np.swapaxes(imgs, 0, 1)  # (R chains, K steps, h, w)
    cols = [f"step {s}" for s in steps]
    rows = [f"chain {r + 1}" for r in range(tiles.shape[0])]
    what = "p(v = 1 | h)" if probabilities else "samples v"
    fig = image_grid(tiles, col_labels=cols, row_labels=rows, colorscale=[[0, "#ffffff"], [1, "#111111"]],
                     zmin=0, zmax=1, colorbar=what, title=f"Gibbs sampling from the trained RBM: {what}",
                     note=note, value_name=what)
    return fig, _tiles_frame(tiles, cols, rows)


def digit_examples(images, labels, *, note: str | None = None):
    """Binarised training digits (n, 8, 8) in {0, 1}, labelled."""
    imgs = np.asarray(images, dtype=np.float64)
    tiles = imgs[None]
    names = [str(x) for x in labels]
    fig = image_grid(tiles, col_labels=names, colorscale=[[0, "#ffffff"], [1, "#111111"]], zmin=0, zmax=1,
                     title="The training data: binarised 8×8 digits (pixel ≥ 8 of 16 → 1)", note=note,
                     height=_strip_height(imgs.shape[1:], len(imgs), note))
    return fig, _tiles_frame(tiles, names)
