"""Draw the scale measurement: wall time against fleet size for every way (docs/benchmarks.png).

Needs matplotlib (requirements-bench.txt, installed by `make bench`). Also runs on its own:

    .venv/bin/python tools/bench_plot.py .bench/results.json docs/benchmarks.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402

LINES = (  # way, label, style
    ("floor_one_raw", "floor: 1 raw task per host", ":"),
    ("floor_two_raw", "floor: 2 raw tasks per host", "--"),
    ("two_agent_tasks", "the role's 2 agent tasks, bare (4 commands)", "--"),
    ("session_disconnect", "session_disconnect (filters, 2 commands)", "-"),
    ("end_of_day_role", "end_of_day role (warning, disconnect, report)", "-"),
    ("naive_loop", "naive loop (1 raw command per session)", "-."),
)


def draw(document: dict, path: Path) -> Path:
    """The plot of ``document`` (results.json) written to ``path``; returns the path."""
    scale = next(case for case in document["cases"] if case["case"] == "scale")["figures"]
    sizes = sorted(int(size) for size in scale["sizes"])
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for way, label, style in LINES:
        points = [(size, scale["sizes"][str(size)][way]["wall_seconds"]) for size in sizes
                  if way in scale["sizes"][str(size)]]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", label=label)
    machine = document["machine"]
    ax.set_title(f"End of day: wall time against fleet size ({scale['sessions_per_host']} sessions per host, "
                 f"forks {scale['forks']})", fontsize=10)
    ax.set_xlabel("hosts (MultiPoint 2016, NTLM, PowerShell start-up "
                  f"{scale['powershell_startup_ms']} ms, simulated)")
    ax.set_ylabel("wall time of ansible-playbook (s)")
    ax.set_xticks(sizes)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, f"make bench {document['date'][:10]}: {machine['cpus']} cores, Python {machine['python']}, "
             f"ansible-core {machine['ansible_core']}", fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])))
