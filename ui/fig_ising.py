"""Figures of a network as a spin system: ground states, energy width, g(E), thermodynamics (pure functions).

Every builder takes numbers (engine results, small data frames) and returns a Plotly figure and
the data frame behind it, for ``ui.downloads.figure_with_downloads``. Energies are per spin,
temperatures in the units of the couplings. Colours: trained blue, shuffled vermilion (dotted
for the first b layers), a session spin system green, exact enumeration black.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotting import COLORS, style

E_AXIS = "energy per spin E/N (units of the couplings)"
T_AXIS = "temperature T (units of the couplings)"
ROLE_STYLE = {
    "trained": (COLORS["trained"], "solid"),
    "shuffled": (COLORS["shuffled"], "solid"),
    "first": (COLORS["trained"], "dot"),
    "first_shuffled": (COLORS["shuffled"], "dot"),
    "session": (COLORS["simulation"], "solid"),
}
EXACT = COLORS["theory"]


def role_color(role: str) -> str:
    return ROLE_STYLE.get(role, (COLORS["grey"], "solid"))[0]


def role_dash(role: str) -> str:
    return ROLE_STYLE.get(role, (COLORS["grey"], "solid"))[1]


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 tick values covering [lo, hi] for a log axis (plotly's default labels minor ticks "2", "5")."""
    out = []
    for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1):
        out += [m * 10.0 ** e for m in (1, 2, 5)]
    inside = [t for t in out if lo * 0.999 <= t <= hi * 1.001]
    return inside if len(inside) >= 2 else [lo, hi]


def _log_t_axis(fig: go.Figure, temperatures, **kwargs) -> None:
    t = np.asarray(temperatures, dtype=float)
    t = t[np.isfinite(t) & (t > 0)]
    if t.size:
        ticks = log_ticks(float(t.min()), float(t.max()))
        fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{v:g}" for v in ticks], **kwargs)


def _pattern(role: str) -> str:
    return "/" if role in ("first", "first_shuffled") else ""


# ------------------------------------------------------------------ ground states and widths

def ground_state_figure(table: pd.DataFrame, *, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """Left: E_min/N by greedy quench from all +1 (paper, light) and by annealing (best, solid) for
    each system, exact ground states as black diamonds when known. Right: the energy width
    W/N = (E_max - E_min)/N from those estimates.

    ``table``: rows of :func:`ui.spin_systems.ground_state_rows`.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, column_widths=[0.58, 0.42],
                        subplot_titles=("ground-state energy per spin E_min/N", "energy width per spin W/N"))
    systems = list(table["system"])
    colors = [role_color(r) for r in table["role"]]
    patterns = [_pattern(r) for r in table["role"]]
    # two bars per system on a two-level axis (system / method), so each bar is labelled under it
    x = [[s for s in systems for _ in (0, 1)], [m for _ in systems for m in ("quench", "anneal")]]
    y = [v for q, a in zip(table["E_quench/N"], table["E_anneal/N"]) for v in (q, a)]
    fig.add_trace(go.Bar(x=x, y=y, marker_color=[c for c in colors for _ in (0, 1)],
                         marker_opacity=[o for _ in systems for o in (0.45, 1.0)],
                         marker_pattern_shape=[p for p in patterns for _ in (0, 1)], showlegend=False,
                         hovertemplate="%{x}<br>E_min/N = %{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=systems, y=table["W/N"], marker_color=colors, marker_pattern_shape=patterns,
                         showlegend=False, hovertemplate="%{x}<br>W/N = %{y:.4f}<extra></extra>"), row=1, col=2)
    exact = table["E_exact/N"].notna()
    if exact.any():
        ex = table[exact]
        fig.add_trace(go.Scatter(x=[list(ex["system"]), ["anneal"] * len(ex)], y=ex["E_exact/N"], mode="markers",
                                 marker=dict(symbol="diamond", size=11, color=EXACT), name="exact (enumeration)"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=ex["system"], y=ex["W_exact/N"], mode="markers", showlegend=False,
                                 marker=dict(symbol="diamond", size=11, color=EXACT)), row=1, col=2)
    fig.update_layout(bargap=0.3)
    fig.update_yaxes(title_text="E_min/N (units of the couplings)", row=1, col=1)
    fig.update_yaxes(title_text="W/N (units of the couplings)", rangemode="tozero", row=1, col=2)
    fig.update_annotations(font_size=12)
    style(fig, title="Ground states and energy width", note=note, height=450)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0.0))
    return fig, table.drop(columns=["role"])


def width_sweep_figure(sweep: pd.DataFrame, *, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """W/N against the shuffled fraction f (mean ± sd over shuffle seeds; trained as a line) and
    against the number of layers b included (trained vs fully shuffled)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("erasing structure: shuffled fraction f", "building up depth: first b layers"))
    fr = sweep[sweep["sweep"] == "fraction"]
    trained = fr[fr["variant"] == "trained"]["W/N"]
    sh = fr[fr["variant"] == "shuffled"].groupby("x")["W/N"].agg(["mean", "std", "count"]).reset_index()
    if len(trained):
        w0 = float(trained.iloc[0])
        xs = [float(sh["x"].min()) if len(sh) else 0.01, 1.0]
        fig.add_trace(go.Scatter(x=xs, y=[w0, w0], mode="lines", line=dict(color=COLORS["trained"], dash="dash"),
                                 name="trained (f = 0)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=sh["x"], y=sh["mean"], mode="lines+markers", name="shuffled (mean ± sd over seeds)",
                             line=dict(color=COLORS["shuffled"]),
                             error_y=dict(type="data", array=sh["std"].fillna(0.0), visible=True)), row=1, col=1)
    la = sweep[sweep["sweep"] == "layers"]
    for variant, color in (("trained", COLORS["trained"]), ("shuffled", COLORS["shuffled"])):
        d = la[la["variant"] == variant]
        fig.add_trace(go.Scatter(x=d["x"], y=d["W/N"], mode="lines+markers", line=dict(color=color),
                                 name=f"{variant}: first b layers", showlegend=True), row=1, col=2)
    ticks = [x for x in sh["x"]]
    fig.update_xaxes(type="log", title_text="shuffled fraction f (log scale)", tickvals=ticks,
                     ticktext=[f"{t:g}" for t in ticks], row=1, col=1)
    fig.update_xaxes(title_text="weight layers included b", dtick=1, row=1, col=2)
    fig.update_yaxes(title_text="W/N (units of the couplings)", row=1, col=1)
    fig.update_yaxes(title_text="W/N (units of the couplings)", row=1, col=2)
    fig.update_annotations(font_size=12)
    style(fig, title="Energy width W/N from annealing", note=note, height=430)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0.0))
    return fig, sweep


# ------------------------------------------------------------------ density of states

def dos_figure(curves: list[dict], *, exact: list[dict] | None = None, marks: list[dict] | None = None,
               note: str, title: str = "Density of states ln g(E)/N") -> tuple[go.Figure, pd.DataFrame]:
    """ln g(E)/N against E/N for each curve; exact enumeration as black points; ground-state marks.

    curves: dicts with ``label``, ``role``, ``dos`` (DensityOfStates) and optional ``live`` (a run in
    progress). exact: dicts with ``label`` and ``dos``. marks: dicts with ``label``, ``role``, ``x``
    (E/N positions, e.g. ±E_min(anneal)/N), drawn as triangles on the floor of the plot.
    """
    fig = go.Figure()
    frames = []
    lowest = 0.0
    for c in curves:
        d = c["dos"]
        v = d.visited
        x, y = d.energies[v] / d.n_spins, d.log_g[v] / d.n_spins
        if y.size:
            lowest = min(lowest, float(y.min()))
        state = " (running…)" if c.get("live") else ("" if d.converged else " (unconverged)")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{c['label']}{state}",
                                 line=dict(color=role_color(c["role"]), dash="dash" if state else role_dash(c["role"]),
                                           width=2.5 if c["role"] in ("trained", "session") else 2),
                                 hovertemplate="E/N = %{x:.4f}<br>ln g/N = %{y:.4f}<extra>" + c["label"] + "</extra>"))
        frames.append(pd.DataFrame({"system": c["label"], "method": d.method, "converged": d.converged,
                                    "E/N": x, "ln g/N": y}))
    for e in exact or []:
        d = e["dos"]
        v = d.visited
        x, y = d.energies[v] / d.n_spins, d.log_g[v] / d.n_spins
        lowest = min(lowest, float(y.min())) if y.size else lowest
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=f"{e['label']}: exact (enumeration)",
                                 marker=dict(color=EXACT, size=5, symbol="circle-open")))
        frames.append(pd.DataFrame({"system": e["label"], "method": "exact", "converged": True, "E/N": x,
                                    "ln g/N": y}))
    for m in marks or []:
        xs = np.asarray(m["x"], dtype=float)
        fig.add_trace(go.Scatter(x=xs, y=np.full(xs.size, lowest), mode="markers", name=m["label"],
                                 marker=dict(symbol="triangle-up", size=12, color=role_color(m["role"]),
                                             line=dict(color="white", width=1)),
                                 hovertemplate="E/N = %{x:.4f}<extra>" + m["label"] + "</extra>"))
    fig.update_yaxes(title_text="entropy per spin ln g(E)/N")
    style(fig, title=title, x=E_AXIS, note=note, height=460)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=0.99, xanchor="right", x=0.99,
                                  bgcolor="rgba(255,255,255,0.8)"))
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def symmetry_figure(residuals: list[dict], *, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """ln g(E) - ln g(-E) against E/N (zero for an exact field-free layered model)."""
    fig = go.Figure()
    frames = []
    for r in residuals:
        df = r["frame"]
        fig.add_trace(go.Scatter(x=df["E/N"], y=df["residual"], mode="lines+markers", name=r["label"],
                                 marker=dict(size=4),
                                 line=dict(color=role_color(r["role"]), dash=role_dash(r["role"]))))
        frames.append(df.assign(system=r["label"]))
    fig.add_hline(y=0.0, line=dict(color=EXACT, width=1))
    fig.update_yaxes(title_text="ln g(E) − ln g(−E)")
    style(fig, title="Symmetry check: g(E) = g(−E)", x=E_AXIS, note=note, height=330)
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


# ------------------------------------------------------------------ thermodynamics

_PANELS = (("U", "internal energy U/N"), ("C", "specific heat C/N"), ("S", "entropy S/N"), ("F", "free energy F/N"))


def thermo_figure(dos_curves: list[dict], pt_curves: list[dict], *, exact: list[dict] | None = None,
                  peaks: list[dict] | None = None, ref_temperatures: dict | None = None,
                  unresolved: list[dict] | None = None, note: str, log_t: bool = True
                  ) -> tuple[go.Figure, pd.DataFrame]:
    """U, C, S, F per spin against T: from g(E) (lines), parallel tempering (points with error
    bars; U and C only), exact enumeration (dashes). Only U and C when nothing gives S and F.

    dos_curves: dicts ``label``, ``role``, ``th`` (per-spin Thermodynamics). pt_curves: dicts
    ``label``, ``role``, ``run`` (TemperingResult). exact: dicts ``label``, ``th`` per spin (the
    first black, the others grey). peaks: dicts ``label``, ``role``, ``T``, ``at_edge`` (T_c marks
    in the C panel). ref_temperatures: {T: label}. unresolved: dicts ``label``, ``T`` (g(E) too
    coarse below T; shaded).
    """
    exact = exact or []
    full = bool(dos_curves or exact)
    panels = _PANELS if full else _PANELS[:2]
    rows = 2 if full else 1
    fig = make_subplots(rows=rows, cols=2, shared_xaxes=True, vertical_spacing=0.12, horizontal_spacing=0.1,
                        subplot_titles=[t for _, t in panels])
    pos = {"U": (1, 1), "C": (1, 2), "S": (2, 1), "F": (2, 2)}
    frames = []
    for c in dos_curves:
        th = c["th"]
        for q, _ in panels:
            r, k = pos[q]
            fig.add_trace(go.Scatter(x=th.T, y=getattr(th, q), mode="lines", name=f"{c['label']}: from g(E)",
                                     legendgroup=f"dos {c['label']}", showlegend=q == "U",
                                     line=dict(color=role_color(c["role"]), dash=role_dash(c["role"]), width=2)),
                          row=r, col=k)
        frames.append(pd.DataFrame({"system": c["label"], "source": "g(E)", "T": th.T, "U/N": th.U, "C/N": th.C,
                                    "S/N": th.S, "F/N": th.F}))
    for c in pt_curves:
        run = c["run"]
        for q, y, err in (("U", run.u_per_spin, run.u_err_per_spin), ("C", run.c_per_spin, run.c_err_per_spin)):
            r, k = pos[q]
            fig.add_trace(go.Scatter(x=run.T, y=y, mode="markers", name=f"{c['label']}: parallel tempering",
                                     legendgroup=f"pt {c['label']}", showlegend=q == "U",
                                     marker=dict(color=role_color(c["role"]), size=7, symbol="circle-open",
                                                 line=dict(width=1.5)),
                                     error_y=dict(type="data", array=np.nan_to_num(err), visible=True, thickness=1.5,
                                                  width=3)),
                          row=r, col=k)
        frames.append(pd.DataFrame({"system": c["label"], "source": "parallel tempering", "T": run.T,
                                    "U/N": run.u_per_spin, "U_err/N": run.u_err_per_spin, "C/N": run.c_per_spin,
                                    "C_err/N": run.c_err_per_spin}))
    for i, e in enumerate(exact):
        th = e["th"]
        for q, _ in panels:
            r, k = pos[q]
            fig.add_trace(go.Scatter(x=th.T, y=getattr(th, q), mode="lines", name=f"{e['label']}: exact",
                                     legendgroup=f"exact {e['label']}", showlegend=q == "U",
                                     line=dict(color=EXACT if i == 0 else COLORS["grey"], dash="dash", width=1.5)),
                          row=r, col=k)
        frames.append(pd.DataFrame({"system": e["label"], "source": "exact enumeration", "T": th.T, "U/N": th.U,
                                    "C/N": th.C, "S/N": th.S, "F/N": th.F}))

    def xpos(t):  # annotations on a log axis take log10 of the position
        return np.log10(t) if log_t else t

    for i, p in enumerate(peaks or []):
        fig.add_vline(x=p["T"], line=dict(color=role_color(p["role"]), dash="dot", width=1.5), row=1, col=2)
        fig.add_annotation(x=0.01, y=0.98 - 0.09 * i, xref="x2 domain", yref="y2 domain", showarrow=False,
                           text=f"T_c = {p['T']:.3g}{' (at the edge)' if p.get('at_edge') else ''}",
                           xanchor="left", yanchor="top", font=dict(size=11, color=role_color(p["role"])),
                           bgcolor="rgba(255,255,255,0.85)")
    for t, label in (ref_temperatures or {}).items():
        for q, _ in panels:
            r, k = pos[q]
            fig.add_vline(x=t, line=dict(color=COLORS["accent"], width=1.5), row=r, col=k)
        fig.add_annotation(x=xpos(t), y=0.02, xref="x", yref="y domain", text=label, showarrow=False,
                           xanchor="left", yanchor="bottom", font=dict(size=11, color=COLORS["accent"]),
                           bgcolor="rgba(255,255,255,0.85)")
    lo = min([float(np.min(c["th"].T)) for c in dos_curves] or [np.nan])
    for u in unresolved or []:
        for q, _ in panels:
            r, k = pos[q]
            fig.add_vrect(x0=lo if np.isfinite(lo) else u["T"] / 10, x1=u["T"], fillcolor=COLORS["grey"], opacity=0.15,
                          line_width=0, row=r, col=k)
    all_t = np.concatenate([np.asarray(c["th"].T) for c in dos_curves + exact]
                           + [np.asarray(c["run"].T) for c in pt_curves] or [np.ones(1)])
    if log_t:
        _log_t_axis(fig, all_t)
    for k in (1, 2):
        fig.update_xaxes(title_text=T_AXIS, row=rows, col=k)
    for q, _ in panels:
        r, k = pos[q]
        fig.update_yaxes(title_text=f"{q}/N", row=r, col=k)
    fig.update_annotations(font_size=12)
    style(fig, title="Thermodynamics per spin", note=note, height=720 if full else 430)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.1 if full else -0.2, xanchor="left", x=0.0),
                      margin=dict(b=120))
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def specific_heat_figure(pt_curves: list[dict], *, note: str, title: str = "Specific heat C(T)/N (live)"
                         ) -> go.Figure:
    """C/N with error bars from parallel tempering runs (finished or in progress)."""
    fig = go.Figure()
    for c in pt_curves:
        run = c["run"]
        fig.add_trace(go.Scatter(x=run.T, y=run.c_per_spin, mode="lines+markers", name=c["label"],
                                 line=dict(color=role_color(c["role"]), dash=role_dash(c["role"])),
                                 error_y=dict(type="data", array=np.nan_to_num(run.c_err_per_spin), visible=True)))
    _log_t_axis(fig, np.concatenate([np.asarray(c["run"].T) for c in pt_curves] or [np.ones(1)]))
    style(fig, title=title, x=T_AXIS, y="specific heat per spin C/N", note=note, height=360)
    return fig


def normalised_c_figure(curves: list[dict], *, note: str) -> tuple[go.Figure, pd.DataFrame]:
    """The paper's normalised C(T) = Var(x)/T², x = (E - E_min)/W_trained, weights exp(ln g/N - x/T).

    curves: dicts ``label``, ``role``, ``res`` (NormalisedSpecificHeat), ``peak`` (SpecificHeatPeak).
    """
    fig = go.Figure()
    frames = []
    for i, c in enumerate(curves):
        res, pk = c["res"], c["peak"]
        fig.add_trace(go.Scatter(x=res.T, y=res.C, mode="lines", name=c["label"],
                                 line=dict(color=role_color(c["role"]), dash=role_dash(c["role"]), width=2)))
        fig.add_trace(go.Scatter(x=[pk.temperature], y=[pk.c_max], mode="markers+text",
                                 text=[f"T_c = {pk.temperature:.3g}{' (edge)' if pk.at_edge else ''}"],
                                 textposition="top right" if i % 2 else "top left",
                                 textfont=dict(color=role_color(c["role"])),
                                 marker=dict(color=role_color(c["role"]), size=9),
                                 showlegend=False))
        frames.append(pd.DataFrame({"system": c["label"], "T": res.T, "C (normalised)": res.C,
                                    "reference E_min": res.e_min, "reference W": res.width}))
    style(fig, title="Specific heat in the paper's normalised convention",
          x="normalised temperature T (x = (E − E_min)/W)", y="C(T) = Var(x)/T²", note=note, height=400)
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def pt_diagnostics_figure(runs: list[dict], *, note: str, min_independent: float = 100.0
                          ) -> tuple[go.Figure, pd.DataFrame]:
    """Swap acceptance per neighbouring pair and independent samples per temperature (bars over
    the rungs of the ladder, labelled by temperature; counts below ``min_independent`` outlined red)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("swap acceptance between T_k and T_k+1",
                                        "independent samples per temperature"))
    frames = []
    for c in runs:
        run = c["run"]
        color = role_color(c["role"])
        pairs = [f"{a:.3g}–{b:.3g}" for a, b in zip(run.T[:-1], run.T[1:])]
        temps = [f"{t:.3g}" for t in run.T]
        fig.add_trace(go.Bar(x=pairs, y=run.swap_acceptance, name=c["label"], marker_color=color,
                             hovertemplate="T = %{x}: %{y:.2f}<extra>" + c["label"] + "</extra>"), row=1, col=1)
        low = run.n_independent < min_independent
        fig.add_trace(go.Bar(x=temps, y=run.n_independent, name=c["label"], marker_color=color, showlegend=False,
                             marker_line=dict(color=np.where(low, "#CC0000", color).tolist(),
                                              width=np.where(low, 3, 0).tolist()),
                             hovertemplate="T = %{x}: %{y:.0f}<extra>" + c["label"] + "</extra>"), row=1, col=2)
        frames.append(pd.DataFrame({"system": c["label"], "T": run.T,
                                    "swap_acceptance_to_next": np.append(run.swap_acceptance, np.nan),
                                    "n_independent": run.n_independent, "tau_int_sweeps": run.tau_int}))
    if runs:
        temps = [f"{t:.3g}" for t in runs[0]["run"].T]
        fig.add_trace(go.Scatter(x=[temps[0], temps[-1]], y=[min_independent] * 2, mode="lines",
                                 line=dict(color="#CC0000", dash="dash", width=1.5),
                                 name=f"{min_independent:g} independent samples"), row=1, col=2)
    fig.update_xaxes(title_text=T_AXIS, tickangle=-45, nticks=12)
    fig.update_yaxes(title_text="acceptance", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="n_independent (log scale)", type="log", row=1, col=2)
    fig.update_layout(barmode="group", bargap=0.15)
    fig.update_annotations(font_size=12)
    style(fig, title="Parallel tempering diagnostics", note=note, height=470)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.5, xanchor="left", x=0.0),
                      margin=dict(b=170))
    return fig, (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


__all__ = ["ground_state_figure", "width_sweep_figure", "dos_figure", "symmetry_figure", "thermo_figure",
           "specific_heat_figure", "normalised_c_figure", "pt_diagnostics_figure", "role_color", "E_AXIS", "T_AXIS"]
