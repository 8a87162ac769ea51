"""Generated documentation: the parameter table, from baseline.yaml.

    python -m simulation.documentation        # rewrites docs/parameters.md

A test fails if the committed table is out of date or if any parameter
lacks a source or an assumption, so the table in ``docs/`` always traces
every default to where it comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .parameters import ParamSpec
from .scenario import BASELINE_FILE, shipped_catalogue

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _value(spec: ParamSpec) -> str:
    v = spec.value
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1000:
        v = int(v)
    if spec.is_money:
        return f"£{v:,}" if isinstance(v, int) else f"£{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:g}"


def _range(spec: ParamSpec) -> str:
    if spec.distribution:
        args = ", ".join(f"{k} {v}" for k, v in spec.distribution.items() if k != "type")
        return f"{spec.distribution['type']} ({args})"
    if spec.low is None or spec.high is None:
        return ""
    lo = spec.with_value(spec.low)
    hi = spec.with_value(spec.high)
    return f"{_value(lo)} to {_value(hi)}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parameter_table(catalogue: Mapping[str, ParamSpec]) -> str:
    """Markdown: every default with value, unit, range, and its source or assumption."""
    sections: dict[str, list[ParamSpec]] = {}
    for path, spec in catalogue.items():
        head = path.split(".")[0] if not path.startswith("services.") else ".".join(path.split(".")[:2])
        sections.setdefault(head, []).append(spec)
    n_source = sum(1 for s in catalogue.values() if s.source)
    n_assumption = sum(1 for s in catalogue.values() if not s.source and s.assumption)
    lines = [
        "# Parameters",
        "",
        f"Generated from `{BASELINE_FILE.relative_to(BASELINE_FILE.parent.parent)}` by `python -m simulation.documentation`; do not edit by hand.",
        "",
        f"{len(catalogue)} parameters: {n_source} stand on a published figure (a `source`: an id from",
        "`shared/PARAMETERS.md`, S = the Essex report, C = unit costs, R = rates and outcomes, E = Essex, or MODEL.md),",
        f"{n_assumption} are assumptions, each with its reasoning. Money is in the price year shown and uprated to 2024 prices",
        "by the `prices` indices; the payer is who bears the cost. Ranges are what sensitivity analysis samples.",
        "",
    ]
    for head, specs in sections.items():
        lines += [f"## {head}", "", "| parameter | value | unit | range | source or assumption |", "|---|---|---|---|---|"]
        for spec in specs:
            unit = spec.unit + (f" ({spec.price_year} prices, {spec.payer})" if spec.is_money else "")
            where = f"**source:** {spec.source}" if spec.source else f"**assumption:** {spec.assumption}"
            lines.append(f"| `{spec.path}` | {_value(spec)} | {unit} | {_range(spec)} | {_escape(where)} |")
        lines.append("")
    return "\n".join(lines)


def assumptions(catalogue: Mapping[str, ParamSpec]) -> list[ParamSpec]:
    """Defaults that are assumptions rather than published figures."""
    return [s for s in catalogue.values() if not s.source]


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    (DOCS / "parameters.md").write_text(parameter_table(shipped_catalogue()) + "\n")
    print(f"wrote {DOCS / 'parameters.md'}")


if __name__ == "__main__":
    main()
