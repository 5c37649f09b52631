"""Markdown rendering + sanitising of a 10 KB message (the per-post cost paid once),
and each of the two steps alone: Python-Markdown's convert, then bleach's clean of
its output.

    .venv/bin/python bench/sanitise.py [--runs 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from council.text import _cleaner, _take_converter, render_markdown

PARAGRAPH = (
    "At 06:40 the **payment switch** operator saw mass renames on settlement hosts; see "
    "[the advisory](https://cert.example/adv/2026-11) and `hash 3f2a…`.\n\n"
    "- isolate the settlement VLAN\n- rotate service credentials\n- notify the *State Bank* liaison\n\n"
    "> Do not pay. Preserve memory images.\n\n| host | state |\n|---|---|\n| sw-01 | encrypted |\n\n"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    text = (PARAGRAPH * (10_240 // len(PARAGRAPH) + 1))[:10_240]
    converter = _take_converter()
    html = converter.reset().convert(text)
    steps = {
        "markdown + bleach (render_markdown)": lambda: render_markdown(text),
        "Python-Markdown convert alone": lambda: converter.reset().convert(text),
        "bleach clean of its output alone": lambda: _cleaner().clean(html),
    }
    for name, step in steps.items():
        step()  # warm caches
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"10 KB message, {name}: median {statistics.median(times):.2f} ms, "
              f"p95 {times[int(len(times) * .95)]:.2f} ms over {args.runs} runs")

if __name__ == "__main__":
    main()
