"""Home: what the lab is, what each page shows and which paper it comes from."""
import streamlit as st

from ui import catalog, state
from ui.shell import page_header

page_header(
    "Neural networks as physical systems",
    "A laboratory for the statistical physics of neural networks. Pick a small trained MLP from the "
    "zoo (left sidebar) or train one on the **Models** page, then study it as a physical system: its "
    "Ising energy landscape and density of states, specific heat and critical temperature, replica "
    "overlaps layer by layer, and more. Every Monte Carlo number comes with an error bar, every figure "
    "with the data behind it.")

net = state.current_network()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Current model", net.describe())
c2.metric("Spins in its Ising model", f"{net.n_neurons}")
c3.metric("Parameters", f"{net.n_params:,}")
acc = net.card.get("test_accuracy")
c4.metric("Test accuracy", f"{acc:.3f}" if isinstance(acc, (int, float)) else "not measured")

for section, infos in catalog.available().items():
    if section == "Start":
        continue
    st.subheader(section)
    for info in infos:
        cols = st.columns([1, 3])
        cols[0].page_link(str(info.path), label=info.title, icon=info.icon)
        cols[1].markdown(f"{info.summary}" + (f"  \n*Source: {info.source}*" if info.source else ""))

st.divider()
st.caption(f"Shipped zoo: {len(state.zoo_names())} models built by `python -m engine zoo`. "
           "Temperatures are in units of the couplings (k_B = 1). The app runs offline: nothing is downloaded.")
