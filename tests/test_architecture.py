"""The layering rules of the repo, checked by reading the source with ``ast``."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_never_imports_streamlit_or_plotly(path):
    bad = _imports(path) & {"streamlit", "plotly", "ui", "pages"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_engine_files_were_found():
    assert len(ENGINE_FILES) >= 10


@pytest.mark.parametrize("path", sorted((ROOT / "ui").glob("fig_*.py")) + [ROOT / "ui" / "plotting.py"],
                         ids=lambda p: p.name)
def test_figure_builders_make_no_streamlit_calls(path):
    assert "streamlit" not in _imports(path), f"{path.name} is a figure builder: data -> Figure, no st calls"


def test_pages_do_not_import_numba_or_define_physics():
    for page in (ROOT / "pages").glob("*.py"):
        assert "numba" not in _imports(page), page.name


def test_every_public_name_resolves():
    import engine

    for name in engine.__all__:
        assert getattr(engine, name) is not None, name
