"""Run every benchmark in bench/ (each a plain script printing its figures), one after the other.

    python bench/run_all.py              # all of them
    python bench/run_all.py paging_sweep # only those whose name contains an argument

A benchmark is any bench/*.py except this file and files starting with "_" (shared helpers). Add one by
dropping a script here; it should exit non-zero when it could not measure. Sections a benchmark heads
"== summary…" (its figures next to their baseline) are printed again at the end, all together.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks(selected: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    return [p for p in found if not selected or any(s in p.stem for s in selected)]


def run(script: Path) -> tuple[int, list[str]]:
    """Run a benchmark, passing its output through; its exit code and its summary sections' lines."""
    process = subprocess.Popen([sys.executable, "-u", str(script)], cwd=HERE.parent, stdout=subprocess.PIPE,
                               text=True, errors="replace")
    summary, keep = [], False
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith("== "):
            keep = line.startswith("== summary")
        if keep:
            summary.append(line)
    return process.wait(), summary


def main(argv: list[str]) -> int:
    scripts = benchmarks(argv)
    if not scripts:
        print("No benchmark matches.", file=sys.stderr)
        return 2
    results = []
    for script in scripts:
        print(f"\n######## {script.stem} ########", flush=True)
        started = time.monotonic()
        code, summary = run(script)
        results.append((script.stem, code, time.monotonic() - started, summary))
    print("\n######## summary ########")
    for name, code, seconds, summary in results:
        print(f"\n{name:<30} {'ok' if code == 0 else f'FAILED ({code})':<12} {seconds:>7.1f} s")
        print("".join(summary), end="")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
