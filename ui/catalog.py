"""The pages of the lab, grouped by topic, with what each shows and where it comes from.

``app.py`` builds the navigation from this list and the home page describes it; a page
appears once its file exists in ``pages/``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Tests set NN_LAB_TINY=1; pages then only shrink their default sizes (never their behaviour).
TINY = os.environ.get("NN_LAB_TINY") == "1"
PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"


@dataclass(frozen=True)
class PageInfo:
    file: str
    title: str
    icon: str
    summary: str
    source: str

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


SECTIONS: dict[str, list[PageInfo]] = {
    "Start": [
        PageInfo("home.py", "Home", ":material/home:", "What the lab is and where to begin.", ""),
        PageInfo("models.py", "Models", ":material/hub:",
                 "Pick a model from the zoo, train one live, upload or download one; its weights and drawing.",
                 ""),
    ],
    "A network as a spin system": [
        PageInfo("ising.py", "Ising energy landscape", ":material/grain:",
                 "Every neuron a spin, every weight a coupling: ground-state energies and the density of states "
                 "g(E) by Wang-Landau, trained vs shuffled vs the first b layers.",
                 "Stosic, Stosic & Stosic, arXiv:2209.08678 (2022)"),
        PageInfo("thermodynamics.py", "Thermodynamics", ":material/thermostat:",
                 "U, C, S, F against temperature from g(E) and from parallel tempering, with the critical "
                 "temperature T_c.", "Stosic et al. (2022); Wang & Landau (2001)"),
        PageInfo("quality.py", "Quality without data", ":material/insights:",
                 "Across the zoo: do E_min, the energy width W or T_c predict test accuracy? Compared with a "
                 "spectral (WeightWatcher-style) baseline.", "Stosic et al. (2022); Martin & Mahoney (2021)"),
        PageInfo("replicas.py", "Replica overlaps", ":material/join_inner:",
                 "Overlaps q between independent replicas, layer by layer, against temperature; P(q).",
                 "Edwards-Anderson; Parisi"),
    ],
    "Thermal learning machine": [
        PageInfo("thermal_machine.py", "Thermal machine", ":material/local_fire_department:",
                 "A deep network trained by Langevin dynamics: aging, accuracy, and which layers freeze.",
                 "Huang, Chan, Yoshino, Zhang & Jin, arXiv:2506.06789 (2025)"),
        PageInfo("phase_diagram.py", "Liquid & solid layers", ":material/layers:",
                 "Phase diagram over storage ratio α and depth: solid layers at the boundaries, liquid centre.",
                 "Huang et al. (2025); Yoshino, SciPost Phys. Core 2, 005 (2020)"),
    ],
    "Theory across depth": [
        PageInfo("input_hamiltonian.py", "Network as a Hamiltonian", ":material/landscape:",
                 "A random MLP as an energy over its inputs: replica-symmetric or broken, theory vs simulation.",
                 "Winer & Hanin, arXiv:2503.23982 (2025)"),
        PageInfo("criticality.py", "Criticality", ":material/timeline:",
                 "Order-to-chaos transition of signal propagation; correlation depth ξ_c and trainability.",
                 "Poole et al. (2016); Schoenholz et al. (2017)"),
        PageInfo("renormalisation.py", "Renormalisation", ":material/zoom_out_map:",
                 "Neurons as a chain along depth: decimation flow, fixed points, correlation length.",
                 "Lee, Lee & Yi, arXiv:2410.00396"),
    ],
    "Textbook models": [
        PageInfo("hopfield.py", "Hopfield network", ":material/memory:",
                 "Store and recall patterns; the capacity α_c ≈ 0.138 and the (α, T) phase diagram.",
                 "Böttcher & Wheeler, arXiv:2405.10957; Amit, Gutfreund & Sompolinsky (1985)"),
        PageInfo("boltzmann.py", "Boltzmann machines", ":material/blur_on:",
                 "A restricted Boltzmann machine on digits: filters, samples, free energy, and its heat capacity.",
                 "Böttcher & Wheeler, arXiv:2405.10957"),
        PageInfo("loss_landscape.py", "Loss landscape", ":material/terrain:",
                 "Loss along random and Hessian directions, interpolations, the Hessian spectrum, sharpness.",
                 "Li et al. (NeurIPS 2018); Böttcher & Wheeler, arXiv:2208.13219"),
    ],
}


def available() -> dict[str, list[PageInfo]]:
    """Sections with only the pages whose file exists."""
    out = {}
    for section, pages in SECTIONS.items():
        present = [p for p in pages if p.path.exists()]
        if present:
            out[section] = present
    return out


def page_info(file: str) -> PageInfo:
    """The catalogue entry of the page ``file`` (e.g. ``"ising.py"``)."""
    return next(p for pages in SECTIONS.values() for p in pages if p.file == file)
