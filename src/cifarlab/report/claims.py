"""The seeds' claims (claims.yaml, shipped in this package) as flat records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

CLAIMS_PATH = Path(__file__).with_name("claims.yaml")
_REQUIRED = ("study", "experiment", "metric", "claimed")
_CONDITIONS = ("seed", "dataset", "num_classes", "epochs", "train_size", "device")


def load_claims(path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Read claims.yaml (default: the packaged one) and flatten each claim.

    Each returned dict has: study, experiment, metric, claimed, section, simulated,
    baseline (top1_gain only), tolerance (the claim's, else the file's per-metric default),
    caveat (the claim's, then the study's), and the study's conditions seed, dataset,
    num_classes, epochs, train_size, device (a claim may override any of them).
    Raises ValueError naming the claim for a missing key or an unknown study.
    """
    p = Path(path) if path is not None else CLAIMS_PATH
    doc = yaml.safe_load(p.read_text())
    studies, tolerances = doc.get("studies", {}), doc.get("tolerances", {})
    out = []
    for i, claim in enumerate(doc.get("claims", [])):
        where = f"{p.name}: claims[{i}]"
        missing = [k for k in _REQUIRED if k not in claim]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        if claim["study"] not in studies:
            raise ValueError(f"{where}: unknown study {claim['study']!r}")
        study = studies[claim["study"]]
        flat = {k: study.get(k) for k in _CONDITIONS}
        flat.update({k: v for k, v in claim.items() if k != "caveat"})
        flat.setdefault("section", "")
        flat["simulated"] = bool(claim.get("simulated", False))
        flat.setdefault("baseline", None)
        if flat.get("tolerance") is None:
            flat["tolerance"] = tolerances.get(claim["metric"])
        flat["caveat"] = "; ".join(c for c in (claim.get("caveat"), study.get("caveat")) if c)
        out.append(flat)
    return out


def load_study_facts(path: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """claims.yaml's ``studies`` section: each study's conditions and document facts
    (s002's families, family_claims and innovations)."""
    p = Path(path) if path is not None else CLAIMS_PATH
    return dict(yaml.safe_load(p.read_text()).get("studies", {}))
