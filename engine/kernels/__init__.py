"""numba kernels: private to the engine.

Each kernel takes only arrays and scalars, keeps its random state in local
variables (see :mod:`engine.kernels.rng`), and has a plain NumPy reference beside
it that the tests hold it to. Public, validated entry points live one level up
(``engine/montecarlo.py`` and friends); nothing outside ``engine/`` imports these.
"""
