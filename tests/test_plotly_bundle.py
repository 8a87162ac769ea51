"""The dashboard's own plotly.js (dashboard/assets/plotly-mhsim.min.js, built by dashboard/plotly_bundle/build.sh).

The page loads it instead of the 4.8 MB full bundle, so a figure whose trace type it lacks would draw nothing:
every trace type the dashboard's code makes must be registered in it, and it must be the plotly.js version the
plotly Python package writes figures for.
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dashboard" / "assets" / "plotly-mhsim.min.js"


def bundle_traces() -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text()))


def dashboard_traces() -> set[str]:
    """The trace types the dashboard's code constructs (go.Scatter(...), go.Sankey(...), ...)."""
    names = set()
    for path in (ROOT / "dashboard").glob("*.py"):
        names |= set(re.findall(r"\bgo\.([A-Z]\w*)\(", path.read_text()))
    return {getattr(go, n)().type for n in names if isinstance(getattr(go, n, None), type) and issubclass(getattr(go, n), BaseTraceType)}


def test_every_trace_type_the_dashboard_draws_is_in_its_plotly_bundle():
    used = dashboard_traces()
    assert {"scatter", "bar", "sankey", "heatmap"} <= used, used   # the reading of the code finds them
    missing = used - bundle_traces()
    assert not missing, f"add {sorted(missing)} to dashboard/plotly_bundle/entry.js and run build.sh"


def test_the_bundle_is_the_plotly_js_version_plotly_writes_figures_for():
    head = BUNDLE.read_text()[:300]
    assert f"plotly.js v{get_plotlyjs_version()} " in head, "run dashboard/plotly_bundle/build.sh for this plotly"
    assert f'version="{get_plotlyjs_version()}"' in BUNDLE.read_text()
