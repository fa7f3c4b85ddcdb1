"""Shared fixtures. Tests mirror engine/ (test_<module>.py), plus page and browser tests."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NN_LAB_TINY", "1")  # pages pick small default sizes under test


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
