"""The Zero to JupyterHub values file sets only keys the chart knows, with the right types.

``deploy/z2jh/values.yaml`` is written for the jupyterhub Helm chart 4.3.2.
The keys and types below were read from that version's configuration
reference (https://z2jh.jupyter.org/en/4.3.2/resources/reference.html, which
the chart generates from its ``jupyterhub/values.schema.yaml``). A key the
chart does not have is ignored or refused by Helm: either way the class would
not get what the file says, so a misspelt or moved key fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

VALUES = Path(__file__).resolve().parent.parent / "deploy" / "z2jh" / "values.yaml"
CHART_VERSION = "4.3.2"

# Path -> the JSON types the reference allows. Keys whose value is free-form
# (Kubernetes volumes, environment, role definitions) are checked as a whole.
REFERENCE: dict[str, tuple[str, ...]] = {
    "singleuser": ("object",),
    "singleuser.image": ("object",),
    "singleuser.image.name": ("string",),
    "singleuser.image.tag": ("string",),
    "singleuser.defaultUrl": ("string", "null"),
    "singleuser.startTimeout": ("integer", "null"),
    "singleuser.cpu": ("object",),
    "singleuser.cpu.guarantee": ("number", "null"),
    "singleuser.cpu.limit": ("number", "null"),
    "singleuser.memory": ("object",),
    "singleuser.memory.guarantee": ("number", "string", "null"),
    "singleuser.memory.limit": ("number", "string", "null"),
    "singleuser.storage": ("object",),
    "singleuser.storage.type": ("dynamic", "static", "none"),  # an enum of strings
    "singleuser.storage.capacity": ("string", "null"),
    "singleuser.storage.homeMountPath": ("string",),
    "singleuser.storage.extraVolumes": ("object", "array"),
    "singleuser.storage.extraVolumeMounts": ("object", "array"),
    "singleuser.extraEnv": ("object", "array"),
    "cull": ("object",),
    "cull.enabled": ("boolean",),
    "cull.timeout": ("integer", "null"),
    "cull.every": ("integer", "null"),
    "hub": ("object",),
    "hub.loadRoles": ("object",),
}
FREE_FORM = {"singleuser.storage.extraVolumes", "singleuser.storage.extraVolumeMounts",
             "singleuser.extraEnv", "hub.loadRoles"}
ENUMS = {"singleuser.storage.type"}


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise ValueError(f"not a YAML value: {value!r}")


def problems(values: dict, reference: dict[str, tuple[str, ...]]) -> list[str]:
    """Every key of ``values`` missing from ``reference`` or of a type it does not allow."""
    found: list[str] = []

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path not in reference:
                found.append(f"{path}: not in the chart {CHART_VERSION} reference")
                continue
            allowed = reference[path]
            if path in ENUMS:
                if value not in allowed:
                    found.append(f"{path}: {value!r} is not one of {allowed}")
                continue
            kind = json_type(value)
            # JSON Schema's "number" takes integers too.
            if kind not in allowed and not (kind == "integer" and "number" in allowed):
                found.append(f"{path}: {kind}, the reference allows {allowed}")
            elif kind == "object" and path not in FREE_FORM:
                walk(value, f"{path}.")

    walk(values, "")
    return found


def test_the_values_file_names_its_chart_version() -> None:
    assert f"--version {CHART_VERSION}" in VALUES.read_text(encoding="utf-8")


def test_every_key_exists_with_its_type() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    assert problems(values, REFERENCE) == []


@pytest.mark.parametrize("bad, message", [
    ({"singleuser": {"cpu": {"limt": 1}}}, "singleuser.cpu.limt: not in the chart"),
    ({"cull": {"timeout": "1h"}}, "cull.timeout: string"),
    ({"cull": {"enabled": "yes"}}, "cull.enabled: string"),
    ({"singleuser": {"storage": {"type": "hostPath"}}}, "singleuser.storage.type: 'hostPath'"),
    ({"singleuser": {"memory": {"limit": [2]}}}, "singleuser.memory.limit: array"),
])
def test_the_check_catches_a_wrong_key_or_type(bad: dict, message: str) -> None:
    assert any(p.startswith(message) for p in problems(bad, REFERENCE)), problems(bad, REFERENCE)


def test_the_values_carry_what_the_class_needs() -> None:
    """Single-user image, shared exchange volume, per-student resources, culling."""
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    user = values["singleuser"]
    assert user["image"]["name"] and user["image"]["tag"]
    mounts = {m["mountPath"] for m in user["storage"]["extraVolumeMounts"]}
    assert "/srv/nbgrader/exchange" in mounts
    assert user["cpu"]["limit"] and user["memory"]["limit"]
    assert values["cull"]["enabled"] is True
