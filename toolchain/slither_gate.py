"""Fails (exit 1) on every high or medium slither finding not explained in the triage file.

    python toolchain/slither_gate.py build/slither.json contracts/slither-triage.txt

A triage line is ``<detector> <Contract.function(signature)> | <one line: why it is accepted>``;
``#`` starts a comment. A finding is named by its detector and the first thing slither names in
its description, so moving code does not unexplain it. Lines that match nothing are reported
(stale), without failing: the finding they explained is gone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GATED = {"High", "Medium"}


def finding_key(result: dict) -> str:
    subject = result["description"].strip().split(" (", 1)[0]
    return f"{result['check']} {subject}"


def triaged(path: Path) -> dict[str, str]:
    accepted: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not line:
            continue
        key, separator, reason = line.partition("|")
        if not separator or not reason.strip():
            raise SystemExit(f"{path}:{number}: a triage line needs ' | <reason>'")
        accepted[key.strip()] = reason.strip()
    return accepted


def main(report: str, triage: str) -> int:
    results = json.loads(Path(report).read_text())["results"].get("detectors", [])
    accepted = triaged(Path(triage))
    gated = [r for r in results if r["impact"] in GATED]
    new = sorted({finding_key(r) for r in gated} - accepted.keys())
    for key in sorted(accepted.keys() - {finding_key(r) for r in gated}):
        print(f"slither gate: stale triage line (nothing matches): {key}")
    counts: dict[str, int] = {}
    for result in results:
        counts[result["impact"]] = counts.get(result["impact"], 0) + 1
    print(
        "slither gate: findings by impact "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    print(
        f"slither gate: {len(gated)} high/medium, {len(gated) - len(new)} triaged, {len(new)} new"
    )
    for key in new:
        print(f"slither gate: NEW {key}  (fix it, or explain it in {triage})")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
