"""Renormalisation: neurons as a chain along depth; the exact decimation flow of linear layers, ν, and the
kernel map's depth flow as the nonlinear analogue.

Composes engine.renormalisation with the figure builders of ui.fig_criticality. The source's
formulation (Lee, Lee & Yi) and this lab's construction are kept in separately headed
sections. A theory page: it does not use the current model; everything here is instant.
"""
import numpy as np
import pandas as pd
import streamlit as st

from engine import renormalisation as rg
from engine import signal_propagation as sp
from engine.errors import EngineError
from ui import catalog, params
from ui.downloads import figure_with_downloads
from ui.errors import engine_errors
from ui.fig_criticality import (chain_schematic, decimation_figure, fmt, kernel_flow_figure, nu_figure,
                                rg_coupling_figure, rg_flow_figure)
from ui.shell import page_header

INFO = catalog.page_info("renormalisation.py")
page_header(INFO.title, "Treat the neurons of every layer as variables of a one-dimensional chain along depth. "
            "With identical layers the chain is translation invariant, so a renormalisation-group (RG) step can "
            "integrate out every other layer and ask how the couplings change: which fixed points attract, which "
            "repel, and how the correlation length along depth diverges at the critical one.", source=INFO.source)
st.caption("A theory page: the current model in the sidebar is not used. Sections are labelled **source's "
           "formulation** (what Lee, Lee & Yi propose) or **this lab's construction** (what the lab computes exactly "
           "in their spirit; not taken from the paper).")

ACTIVATIONS = ("tanh", "erf", "sin", "relu", "linear", "sigmoid")
#: Starting points (w, T) of the reference trajectories in the flow diagram.
STARTS = ((0.97, 0.03), (0.85, 0.3), (0.6, 0.6), (0.3, 0.9), (-0.8, 0.15), (-0.55, 0.75), (1.03, 0.04))
NU_WINDOWS = (0.01, 0.05, 0.1, 0.2, 0.5)
N_SAMPLES = 20_000


@st.cache_data(show_spinner=False)
def field(n_w: int, n_t: int):
    return rg.flow_field(np.linspace(-1.2, 1.2, n_w), np.linspace(0.0, 1.0, n_t))


@st.cache_data(show_spinner=False, max_entries=256)
def trajectory(w0: float, b0: float, t0: float, steps: int):
    return rg.scalar_flow(w0, b0, t0, steps)


@st.cache_data(show_spinner=False)
def nu_fit(eps_max: float, n: int = 30):
    return rg.fit_nu(1.0 - np.geomspace(1e-4, eps_max, n))


@st.cache_data(show_spinner=False, max_entries=128)
def kernel_flow(act: str, w: float, b: float, depth: int):
    return rg.kernel_depth_flow(act, w, b, depth)


def parse_matrix(name: str, text: str) -> np.ndarray:
    """'a, b; c, d' -> [[a, b], [c, d]] (rows separated by ';', entries by ',')."""
    try:
        rows = [[float(x) for x in r.split(",")] for r in text.replace(" ", "").strip(";").split(";")]
    except ValueError as e:
        raise EngineError(f"`{name}` must be numbers, entries separated by ',' and rows by ';', got {text!r}") from e
    if len({len(r) for r in rows}) != 1:
        raise EngineError(f"`{name}` must have rows of equal length, got lengths {[len(r) for r in rows]}")
    return np.array(rows)


@st.cache_data(show_spinner=False, max_entries=64)
def chain_check(W1, W2, T1: float, T2: float, seed: int):
    """sample_chain on (W1, T1), (W2, T2), with biases and input drawn from ``seed``."""
    r = np.random.default_rng(seed)
    W1, W2 = np.asarray(W1, float), np.asarray(W2, float)
    b1, b2, x = r.normal(size=W1.shape[0]), r.normal(size=W2.shape[0]), r.normal(size=W1.shape[1])
    return rg.sample_chain(W1, b1, T1, W2, b2, T2, x, n_samples=N_SAMPLES, seed=seed)


def set_critical():
    act, b = st.session_state["ctl:rg_act"], st.session_state["ctl:rg_b"]
    try:
        w = sp.critical_weight_variance(act, b)
    except EngineError as e:
        st.session_state["rg_msg"] = f"No critical σ_w² for {act} at σ_b² = {b:g}: {str(e).split(': ', 1)[-1]}"
        return
    if 0.1 <= w <= 5.0:
        st.session_state["ctl:rg_w"] = w
    else:
        st.session_state["rg_msg"] = f"The critical σ_w² of {act} at σ_b² = {b:g} is {w:.4g}, outside the slider."


# =================================================================== the source's formulation
st.header("1 · Source's formulation: dynamic neurons", divider="gray")
st.markdown("Lee, Lee & Yi make the neurons h⁽ᵐ⁾ of each layer integration variables, next to the weights and "
            "biases. The activation h⁽ᵐ⁺¹⁾ = σ(W⁽ᵐ⁾h⁽ᵐ⁾ + b⁽ᵐ⁾) is imposed by a delta function, which they soften "
            "into a Gaussian of stiffness κ:")
st.latex(r"H \;=\; \sum_{\text{data}} \bigl(y - h^{(M)}\bigr)^2 \;+\; \frac{\kappa}{2\beta}"
         r"\sum_{m,\,\text{data}} \bigl|\,h^{(m+1)} - \sigma\!\bigl(W^{(m)} h^{(m)} + b^{(m)}\bigr)\bigr|^2")
st.markdown("Each layer couples only to its neighbours, so the network is a **one-dimensional chain along depth**; "
            "with equal widths and activations it is translation invariant in m, and a renormalisation step can "
            "integrate out every other layer. The paper's full text was not available to us, so the lab does not "
            "reproduce its RG analysis of nonlinear layers; the sections below are labelled as this lab's own.")
figure_with_downloads(chain_schematic(), None, "dynamic neuron chain", key="rg_chain")
st.caption("**Source's formulation** (the chain and its softened constraints); the red row, one exact step for "
           "linear σ, is **this lab's construction** (section 2).")

# =================================================================== this lab's construction: linear chain
st.header("2 · This lab's construction: exact decimation of linear layers", divider="gray")
st.markdown("For linear σ the Gaussian factor says h⁽ᵐ⁺¹⁾ = W h⁽ᵐ⁾ + b + η with noise η ~ N(0, Σ), Σ = κ⁻¹ I. "
            "Integrating out the middle one of two layers is then exact:")
st.latex(r"W' = W_2 W_1,\qquad b' = W_2 b_1 + b_2,\qquad \Sigma' = \Sigma_2 + W_2 \Sigma_1 W_2^{\mathsf T}")
st.markdown("For a translation-invariant scalar chain (W = w, Σ = T = 1/κ) one step is **w′ = w², b′ = b(1 + w), "
            "T′ = T(1 + w²)**. Its fixed points: **w\\* = 0** (ordered and stable: the layers decouple) and "
            "**w\\* = 1** (critical: the noise grows linearly with depth); |w| > 1 runs away. Along depth the "
            "correlation length is ξ = −1/ln|w|, which halves at every step, as a length must when two layers "
            "become one.")

st.subheader("2a · Flow diagram in (w, T)")
g1, g2, g3, g4 = st.columns(4)
with g1:
    w0 = params.slider("Start coupling w₀", key="rg_w0", default=0.9, min_value=-1.2, max_value=1.2, step=0.01)
with g2:
    t0 = params.slider("Start noise T₀ = 1/κ", key="rg_t0", default=0.1, min_value=0.0, max_value=1.0, step=0.01)
with g3:
    b0 = params.slider("Start bias b₀", key="rg_b0", default=0.1, min_value=-1.0, max_value=1.0, step=0.05)
with g4:
    steps = params.slider("RG steps", key="rg_steps", default=5, min_value=1, max_value=10)
user_flow = None
with engine_errors("RG flow"):
    user_flow = trajectory(float(w0), float(b0), float(t0), int(steps))
    others = [trajectory(w, 0.0, t, 8) for w, t in STARTS]
    fig, df = rg_flow_figure(field(17, 11), field(241, 101), [user_flow] + others)
    figure_with_downloads(fig, df, "rg flow linear chain", key="rg_flow")
    st.caption("**This lab's construction.** Grey arrows: the direction of one step everywhere; dotted curves: "
               "T/(1 − w²) = const, the chain's stationary variance, which one step leaves unchanged, so every "
               "trajectory with |w| < 1 slides along one of them to the stable line w* = 0. Only w = ±1 exactly "
               "reaches the critical point; a start just below w = 1 lingers near it for many steps.")
    with st.expander("Your trajectory as a table"):
        tdf = user_flow.to_frame()
        st.dataframe(tdf, hide_index=True, width="stretch",
                     column_config={"xi": st.column_config.NumberColumn("ξ (renormalised layers)", format="%.4g"),
                                    "layers": st.column_config.NumberColumn("original layers per block",
                                                                            format="%d")})

st.subheader("2b · Correlation-length exponent ν")
st.markdown("Near w = 1 the correlation length diverges as ξ ~ |w − 1|^(−ν). Fitting log ξ against log|w − 1| for "
            "30 couplings w = 1 − ε (ε log-spaced from 10⁻⁴ to the chosen window) gives ν:")
eps_max = params.select_slider("Fit window: largest ε = 1 − w", key="rg_eps", default=0.5, options=NU_WINDOWS)
with engine_errors("ν fit"):
    fit = nu_fit(float(eps_max))
    fig, df = nu_figure(fit)
    figure_with_downloads(fig, df, f"nu fit eps {eps_max:g}", key="rg_nu")
    c_txt, c_tab = st.columns([1.6, 1])
    with c_tab:
        conv = pd.DataFrame([{"window ε ≤": e, "ν": f.nu, "± (fit)": f.nu_err, "ν − 1": f.nu - 1}
                             for e, f in ((e, nu_fit(e)) for e in NU_WINDOWS)])
        st.dataframe(conv, hide_index=True, width="stretch",
                     column_config={"ν": st.column_config.NumberColumn(format="%.4f"),
                                    "± (fit)": st.column_config.NumberColumn(format="%.1e"),
                                    "ν − 1": st.column_config.NumberColumn(format="%.1e")})
    c_txt.markdown(
        f"**Fitted ν = {fit.nu:.4f} ± {fit.nu_err:.4f}** (least-squares error from the residuals). The exact answer "
        "is ν = 1: with ε = 1 − w, ξ = −1/ln(1 − ε) = 1/ε − 1/2 + O(ε), so the local slope of log ξ against "
        "log ε is −(1 + ε/2 + …). A straight line through a window reaching ε_max therefore finds ν = 1 + O(ε_max): "
        f"the deviation {fit.nu - 1:+.4f} is a **systematic** correction to scaling, not noise — the ± above "
        "measures only how curved the data are, which is why it does not cover ν − 1. Shrink the window and ν → 1 "
        "(table).")
    st.caption("**This lab's construction** (the exact scalar chain; no sampling involved).")

st.subheader("2c · Decimation check: two sampled layers against one decimated layer")
st.markdown(f"Draw the noise of two linear layers {N_SAMPLES:,} times, propagate a fixed input through both, and "
            "compare the output's sample covariance with Σ′ = Σ₂ + W₂Σ₁W₂ᵀ from the formula (error bars: the "
            "Gaussian standard error √((Σ′ᵢⱼ² + Σ′ᵢᵢΣ′ⱼⱼ)/(n − 1))).")
d1, d2, d3, d4, d5 = st.columns([1, 1, 1, 1, 1.2], vertical_alignment="bottom")
with d1:
    n_dim = params.select_slider("Width n", key="rg_n", default=3, options=[1, 2, 3, 4, 5])
with d2:
    T1 = params.select_slider("Noise T₁ (layer 1)", key="rg_T1", default=0.3, options=[0.0, 0.05, 0.1, 0.3, 1.0])
with d3:
    T2 = params.select_slider("Noise T₂ (layer 2)", key="rg_T2", default=0.1, options=[0.0, 0.05, 0.1, 0.3, 1.0])
with d4:
    d_seed = params.number_input("Seed", key="rg_seed", default=0, min_value=0, max_value=2**31 - 1, step=1)
with d5:
    own = params.toggle("Enter my own W₁, W₂", key="rg_own", default=False)
if own:
    e1, e2 = st.columns(2)
    W1_text = e1.text_input("W₁ (rows separated by ';')", value="0.9, 0.3; -0.2, 0.8; 0.5, 0.1", key="rg_W1",
                            help="Shape (n₁, n₀): n₁ rows of n₀ numbers.")
    W2_text = e2.text_input("W₂ (rows separated by ';')", value="1.0, -0.5, 0.2; 0.3, 0.7, -0.4", key="rg_W2",
                            help="Shape (n₂, n₁): n₂ rows of n₁ numbers (n₁ = the rows of W₁).")
with engine_errors("Decimation check"):
    if own:
        W1, W2 = parse_matrix("W1", W1_text), parse_matrix("W2", W2_text)
    else:
        r = np.random.default_rng(int(d_seed))
        W1, W2 = r.normal(size=(n_dim, n_dim)) / np.sqrt(n_dim), r.normal(size=(n_dim, n_dim)) / np.sqrt(n_dim)
    sample = chain_check(W1.tolist(), W2.tolist(), float(T1), float(T2), int(d_seed))
    st.session_state["rg_chain_last"] = sample
sample = st.session_state.get("rg_chain_last")
if sample is not None:
    fig, df = decimation_figure(sample)
    figure_with_downloads(fig, df, "decimation check", key="rg_dec")
    k1, k2 = st.columns([1, 2.2])
    with k1:
        d = sample.decimated
        W_err = float(np.max(np.abs(sample.W_measured - d.W)))
        st.metric("Largest |sampled − exact| / error", f"{sample.max_z:.2f}",
                  help="Over the mean and every covariance entry; a few entries, so values up to ~3 are normal.")
        st.metric("max |W′ measured − W₂W₁|", f"{W_err:.1e}", help="From noiseless passes of unit vectors.")
    with k2:
        tab = df.assign(z=(df["sampled"] - df["decimated"]) / df["error"])
        st.dataframe(tab, hide_index=True, width="stretch", height=min(38 + 35 * len(tab), 300),
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("sampled", "decimated", "error")}
                     | {"z": st.column_config.NumberColumn("z = Δ/error", format="%+.2f")})
    st.caption(f"**This lab's construction.** Sampled: {sample.n_samples:,} noise draws, seed {d_seed}; the input "
               "and biases are drawn from the same seed. Agreement within a few error bars confirms the decimation "
               "formula (leaving out the propagated noise W₂Σ₁W₂ᵀ fails this check by many error bars).")

# =================================================================== this lab's construction: nonlinear analogue
st.header("3 · This lab's construction: the nonlinear analogue", divider="gray")
st.markdown("For nonlinear σ the layer-to-layer map is not Gaussian, and the lab does not integrate it out. What it "
            "can compute exactly (at infinite width) is the **kernel map**: how the correlation c of two inputs "
            "flows from layer to layer (the Criticality page's c-map). Its slope χ_c at the fixed point c* plays the "
            "role of w: composing the map with itself squares the slope (χ_c → χ_c², like w → w²), correlations "
            "approach c* as χ_c^l = e^(−l/ξ_c), and χ_c = 1 is the critical point.")
n1, n2, n3, n4, n5 = st.columns([1.1, 2, 2, 1.3, 1.1], vertical_alignment="bottom")
with n1:
    k_act = params.selectbox("Activation φ", key="rg_act", default="tanh", options=ACTIVATIONS)
with n2:
    k_w = params.slider("Weight variance σ_w²", key="rg_w", default=1.5, min_value=0.1, max_value=5.0, step=0.01)
with n3:
    k_b = params.slider("Bias variance σ_b²", key="rg_b", default=0.05, min_value=0.0, max_value=0.5, step=0.01)
with n4:
    k_depth = params.select_slider("Depth", key="rg_depth", default=64, options=[16, 32, 64, 128, 256])
with n5:
    st.button("Critical σ_w²", key="rg_crit", on_click=set_critical, icon=":material/target:")
if "rg_msg" in st.session_state:
    st.warning(st.session_state.pop("rg_msg"), icon=":material/info:")
with engine_errors("Kernel depth flow"):
    kf = kernel_flow(k_act, float(k_w), float(k_b), int(k_depth))
    fpk = kf.fixed
    st.markdown(f"Fixed point: **{fpk.phase}**, c* = {fmt(fpk.c_star)}, χ_c = {fmt(fpk.chi_c, 6)}, "
                f"ξ_c = {fmt(fpk.xi_c)} layers.")
    if fpk.note:
        st.info(f"**Convention at this point.** {fpk.note}.", icon=":material/info:")
    fig, df = kernel_flow_figure(kf)
    figure_with_downloads(fig, df, f"kernel flow {k_act} w{k_w:g} b{k_b:g}", key="rg_kflow")
    st.caption("**This lab's construction** (mean-field kernel map, 11 input correlations c₀ from −1 to 1). Right: "
               "the distance to the fixed point on a log scale; a straight stretch is the exponential approach "
               "e^(−l/ξ_c), the dashed line the slope predicted by χ_c.")
    if user_flow is not None:
        lin = trajectory(float(w0), float(b0), float(t0), int(kf.rg_layers.size - 1))
        fig, df = rg_coupling_figure(kf, lin)
        figure_with_downloads(fig, df, f"rg coupling {k_act}", key="rg_coupling")
        st.caption(f"**This lab's construction.** Blue: the slope of the kernel map composed 2^k times at c*, "
                   f"χ_c^(2^k); red: the linear chain's coupling from section 2a (w₀ = {w0:g}) after k exact steps. "
                   "Away from criticality both flow to 0: the fixed point attracts (for the kernel map in the ordered "
                   "and in the chaotic phase alike, since c* is stable in both); only at exactly 1 do they stay "
                   "critical, and a linear coupling |w| > 1 runs away. For the kernel map the doubling is exact "
                   "only at linear order around c*.")
