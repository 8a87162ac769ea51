"""The documentation traces every default to its source, and stays up to date."""

from __future__ import annotations

from pathlib import Path

from simulation.documentation import DOCS, assumptions, parameter_table
from simulation.scenario import shipped_catalogue

ROOT = Path(__file__).resolve().parent.parent


def test_every_parameter_has_a_source_or_an_assumption():
    missing = [p for p, s in shipped_catalogue().items() if not (s.source or s.assumption)]
    assert missing == []


def test_every_uncertain_default_has_a_range_or_a_distribution():
    catalogue = shipped_catalogue()
    no_range = [p for p, s in catalogue.items() if s.unit not in ("switch", "date") and not s.is_uncertain]
    assert no_range == []


def test_the_parameter_table_in_docs_is_up_to_date():
    committed = (DOCS / "parameters.md").read_text()
    assert committed.strip() == parameter_table(shipped_catalogue()).strip(), "run: python -m simulation.documentation"


def test_the_parameter_table_covers_every_default():
    text = (DOCS / "parameters.md").read_text()
    for path in shipped_catalogue():
        assert f"`{path}`" in text, path


def test_assumptions_are_listed_separately_from_sourced_figures():
    catalogue = shipped_catalogue()
    listed = assumptions(catalogue)
    assert listed and all(not s.source and s.assumption for s in listed)
    assert len(listed) < len(catalogue)


def test_the_documentation_files_exist():
    for name in ("model.md", "stress-des.md", "limitations.md", "verification.md", "parameters.md"):
        assert (DOCS / name).is_file(), name
    assert (ROOT / "CITATION.cff").is_file()


def test_every_effect_has_a_prior_that_allows_benefit_and_harm():
    """Effects without trial evidence get a distribution with a stated shape (lognormal for multipliers,
    normal for quality-of-life changes) whose range holds 'no effect' inside, so a sweep or PSA can show
    a service helping or harming; Zero Suicide's reductions are bounded at none (harm is not suggested)."""
    catalogue = shipped_catalogue()
    effects = [p for p in catalogue if p.rsplit(".", 1)[-1].startswith(("effect_on_", "quality_of_life_gain"))]
    assert len(effects) >= 20
    for path in effects:
        spec = catalogue[path]
        assert spec.distribution is not None, path
        assert spec.distribution["type"] == ("lognormal" if spec.unit == "multiplier" else "normal"), path
        neutral = 1.0 if spec.unit == "multiplier" else 0.0
        assert spec.low <= neutral <= spec.high, (path, spec.low, spec.high)
