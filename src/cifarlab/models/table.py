"""The model-zoo table, measured: ``python -m cifarlab.models.table [--out docs/models.md]``.

One row per registered model: family, study, parameters at 100 and 10 classes, forward
FLOPs at the model's input size, the seed's claimed count, the seed section and the
fidelity note. Every number is measured from the code, never typed in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from cifarlab.models.complexity import count_flops, count_params
from cifarlab.models.registry import ModelInfo, get_model, get_model_info, list_models

COLUMNS = ("model", "family", "study", "params@100", "params@10", "input px", "GFLOPs",
           "claimed", "measured vs claim", "seed source", "fidelity note")


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _fmt_claim(info: ModelInfo) -> str:
    c = info.claimed_params
    if c is None:
        return ""
    # A claim given to the unit prints as such; one given in millions prints in millions.
    text = f"{int(c):,}" if c == int(c) and c % 1_000 else f"{c / 1e6:.4g}M"
    return text + (f" @{info.claimed_num_classes}" if info.claimed_num_classes != 100 else "")


def measure(name: str) -> dict[str, object]:
    """Counts (and FLOPs at 100 classes) for one registered model."""
    info = get_model_info(name)
    with torch.device("meta"):
        p10 = count_params(get_model(name, 10))
    model = get_model(name, 100)
    p100 = count_params(model)
    flops = count_flops(model, info.input_size)
    at_claim = p100 if info.claimed_num_classes == 100 else p10
    return {"info": info, "p100": p100, "p10": p10, "flops": flops, "at_claim": at_claim}


def row(m: dict[str, object]) -> list[str]:
    info: ModelInfo = m["info"]  # type: ignore[assignment]
    delta = ""
    if info.claimed_params:
        delta = f"{(int(m['at_claim']) - info.claimed_params) / info.claimed_params:+.2%}"
    return [f"`{info.name}`", info.family, info.study, _fmt_int(int(m["p100"])),
            _fmt_int(int(m["p10"])), str(info.input_size), f"{int(m['flops']) / 1e9:.3f}",
            _fmt_claim(info), delta, info.source, info.fidelity_note]


def markdown_table(names: list[str]) -> str:
    """Markdown table of the measured zoo (rows in registry order)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for name in names:
        cells = [c.replace("|", "\\|") for c in row(measure(name))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pattern", default="*", help="shell pattern over registry names")
    ap.add_argument("--out", type=Path, help="write docs/models.md-style file (table between markers)")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    table = markdown_table(list_models(args.pattern))
    if args.out is None:
        sys.stdout.write(table)
        return
    _splice(args.out, table)


BEGIN, END = "<!-- BEGIN MEASURED TABLE -->", "<!-- END MEASURED TABLE -->"


def _splice(path: Path, table: str) -> None:
    """Replace the text between the markers in ``path`` with ``table`` (atomically)."""
    from cifarlab.io import write_text

    text = path.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    write_text(path, f"{head}{BEGIN}\n{table}{END}{tail}")


if __name__ == "__main__":
    main()
