"""What the engine's child processes share: how they are started and how they answer.

A child is a fresh interpreter (``python -m optimize.<module>``, not :mod:`multiprocessing`, which would
re-import the caller's main script) that finds this package through ``PYTHONPATH`` and answers on its
stdout, which HiGHS would otherwise fill with its banner.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


def child_env() -> dict[str, str]:
    """The environment for a child: this one, with the package's folder first on ``PYTHONPATH``."""
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH", "")]))}


def claim_stdout() -> BinaryIO:
    """In a child: a binary stream to the parent on the real stdout, with file descriptor 1 sent to
    ``/dev/null`` (HiGHS prints a banner on stdout whatever its options)."""
    pipe = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return pipe
