"""Run every benchmark in bench/ (each a plain script printing its figures), one after the other.

    python bench/run_all.py              # all of them
    python bench/run_all.py paging_sweep # only those whose name contains an argument

A benchmark is any bench/*.py except this file and files starting with "_" (shared helpers). Add one by
dropping a script here; it should exit non-zero when it could not measure.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks(selected: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    return [p for p in found if not selected or any(s in p.stem for s in selected)]


def main(argv: list[str]) -> int:
    scripts = benchmarks(argv)
    if not scripts:
        print("No benchmark matches.", file=sys.stderr)
        return 2
    results = []
    for script in scripts:
        print(f"\n######## {script.stem} ########", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        results.append((script.stem, code, time.monotonic() - started))
    print("\n######## summary ########")
    for name, code, seconds in results:
        print(f"{name:<30} {'ok' if code == 0 else f'FAILED ({code})':<12} {seconds:>7.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
