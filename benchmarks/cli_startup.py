"""Wall time of ``leuko-keras --help`` and ``--version`` (median of 5 runs each): how fast the CLI answers.

Each run is a fresh interpreter, as a user's shell starts one. ``--blocked``
also times it with TensorFlow, Keras and NumPy blocked from importing (a
check, beside the timing, that ``--help`` loads none of them). No test times
anything: timings depend on the machine and its load.

    python benchmarks/cli_startup.py           # the installed console script
    python benchmarks/cli_startup.py --blocked # also: with heavy imports blocked
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCKED = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "numpy"):
            raise ImportError(f"the CLI imported {name}")
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
sys.argv = ["leuko-keras", *sys.argv[2:]]
from leuko_keras.cli import main
main()
"""


def median_seconds(command: list[str], runs: int = 5) -> float:
    """Median wall time of ``command`` over ``runs`` fresh processes (it must exit 0).

    >>> median_seconds([sys.executable, "-c", "pass"], runs=1) < 60
    True
    """
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs per command (median reported).")
    parser.add_argument("--blocked", action="store_true", help="Also time the CLI with heavy imports blocked.")
    args = parser.parse_args()
    script = shutil.which("leuko-keras")
    base = [script] if script else [sys.executable, "-m", "leuko_keras"]
    rows = [(f"leuko-keras {flag}", [*base, flag]) for flag in ("--help", "--version")]
    if args.blocked:
        blocked = [sys.executable, "-c", BLOCKED, str(REPO)]
        rows += [(f"blocked {flag}", [*blocked, flag]) for flag in ("--help", "--version")]
    for label, command in rows:
        print(f"{label:<24} {median_seconds(command, args.runs):6.2f} s (median of {args.runs})", flush=True)


if __name__ == "__main__":
    main()
