"""A resource as YAML or JSON text for the describe view (k9s' `d`, `gcloud ... describe`).
The YAML is a small block-style emitter for JSON values (no dependency): keys in the
resource's order, strings quoted only when YAML would misread them."""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"^[A-Za-z0-9_./@:+-][A-Za-z0-9 _./@:+=-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~", ""}


def as_json(resource: object) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    numeric = re.fullmatch(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?", text) is not None
    if (_PLAIN.match(text) and text.lower() not in _RESERVED and not numeric
            and not text.endswith(":") and ": " not in text and " #" not in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def as_yaml(resource: object, indent: int = 0) -> str:
    """Block-style YAML of a JSON value."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(resource, dict):
        if not resource:
            return pad + "{}"
        for key, value in resource.items():
            if isinstance(value, dict | list) and value:
                lines.append(f"{pad}{_scalar(key)}:")
                lines.append(as_yaml(value, indent + 1))
            else:
                empty = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) \
                    else _scalar(value)
                lines.append(f"{pad}{_scalar(key)}: {empty}")
        return "\n".join(lines)
    if isinstance(resource, list):
        if not resource:
            return pad + "[]"
        for item in resource:
            if isinstance(item, dict | list) and item:
                body = as_yaml(item, indent + 1).lstrip()
                lines.append(f"{pad}- {body}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return "\n".join(lines)
    return pad + _scalar(resource)
