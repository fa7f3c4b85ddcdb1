"""The command line: ``python -m engine <command> ...``.

Each command lives in the module that owns its science and exposes ``cli(argv)``;
this file only dispatches, so ``python -m engine --help`` stays fast (no torch,
no numba compile) and a new command is one line in :data:`COMMANDS`.
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "zoo": ("engine.zoo", "build the shipped model zoo in sample_models/"),
    "analyze": ("engine.fingerprint", "print a model's thermodynamic fingerprint as JSON"),
    "sweep": ("engine.sweep", "run a thermal-machine sweep (resumable; local processes or Dask)"),
    "landscape": ("engine.landscape", "loss landscapes: zoo sharpness table, Hessian spectrum, 2D surfaces (CSV)"),
    "inputham": ("engine.input_hamiltonian", "a random MLP as a Hamiltonian over inputs: verdicts, simulation"),
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
        print("usage: python -m engine <command> [options]\n\ncommands:\n" + "\n".join(lines))
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return int(module.cli(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
