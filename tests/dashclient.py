"""A small HTTP client for the dashboard's Dash callbacks, as a browser would call them.

It reads the callbacks from ``/_dash-dependencies`` and the components from
``/_dash-layout``, so a test can fire a callback by naming its output and
giving the values that matter (the rest are sent empty, as in a fresh page).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any


def _walk(node: Any, out: list) -> None:
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "id" in props:
            out.append(props["id"])
        for value in (props or {}).values() if isinstance(props, dict) else node.values():
            _walk(value, out)
    elif isinstance(node, list):
        for item in node:
            _walk(item, out)


class DashClient:
    def __init__(self, base: str, timeout: float = 30.0):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.deps = self.get_json("/_dash-dependencies")
        ids: list = []
        _walk(self.get_json("/_dash-layout"), ids)
        self.ids = ids

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get_json(self, path: str):
        status, body = self.request(path)
        assert status == 200, (path, status, body[:200])
        return json.loads(body)

    def _spec(self, dep: dict, values: dict) -> Any:
        if isinstance(dep["id"], str):
            return {"id": dep["id"], "property": dep["property"], "value": values.get(f"{dep['id']}.{dep['property']}")}
        pattern = json.loads(dep["id"]) if isinstance(dep["id"], str) else dep["id"]
        fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
        matches = [i for i in self.ids if isinstance(i, dict) and all(i.get(k) == v for k, v in fixed.items()) and set(i) == set(pattern)]
        return [{"id": i, "property": dep["property"], "value": None} for i in matches]

    def fire(self, output: str, values: dict, changed: list[str]) -> tuple[int, Any]:
        """POST a callback; ``output`` is a substring of the callback's output spec."""
        dep = next(d for d in self.deps if output in d["output"])
        outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
        body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
                "inputs": [self._spec(i, values) for i in dep["inputs"]],
                "state": [self._spec(s, values) for s in dep["state"]], "changedPropIds": changed}
        status, raw = self.request("/_dash-update-component", json.dumps(body).encode(), {"Content-Type": "application/json"})
        return status, (json.loads(raw) if status == 200 and raw else raw)

    def new_session(self) -> str:
        status, body = self.fire("session-id.data", {"url.pathname": "/"}, ["url.pathname"])
        assert status == 200, body
        return body["response"]["session-id"]["data"]

    def upload(self, session: str, text: str, name: str = "probe.yaml") -> tuple[int, Any]:
        contents = "data:application/x-yaml;base64," + base64.b64encode(text.encode()).decode()
        return self.fire("build-messages.children", {"upload.contents": contents, "upload.filename": name, "session-id.data": session},
                         ["upload.contents"])

    def jobs(self, session: str) -> str:
        status, body = self.fire("jobs.children", {"tick.n_intervals": 1, "session-id.data": session}, ["tick.n_intervals"])
        assert status == 200, body
        return json.dumps(body["response"]["jobs"]["children"])
