"""The incident classification the council reports in: ENISA's Reference Security
Incident Taxonomy (classes and their types), shipped as data (rsit.json) so a
revision of the taxonomy is a data change."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "rsit.json"


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def classes() -> dict[str, dict[str, str]]:
    """class key -> {type key: type title}."""
    return {c["key"]: {t["key"]: t["title"] for t in c["types"]} for c in taxonomy()["classes"]}


@lru_cache(maxsize=1)
def class_titles() -> dict[str, str]:
    return {c["key"]: c["title"] for c in taxonomy()["classes"]}


def type_title(class_key: str, type_key: str) -> str:
    return classes().get(class_key, {}).get(type_key, type_key)
