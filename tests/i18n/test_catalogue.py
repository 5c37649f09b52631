"""The catalogues are complete and in step with the code: every message the templates,
the Python code and the scripts send through gettext (plus every registered label) is
in the Urdu catalogue, translated, with the same placeholders; and no template carries
interface text outside gettext."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.i18n.untranslated import untranslated

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def _catalogue_module():  # scripts/ is not a package: load the one extraction the script uses
    spec = importlib.util.spec_from_file_location("catalogue", ROOT / "scripts" / "catalogue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalogue():
    return _catalogue_module()


@pytest.fixture(scope="module")
def extracted(catalogue):
    return catalogue.extracted()


@pytest.mark.parametrize("code", ["ur"])
def test_the_catalogue_holds_every_message_of_the_code_and_nothing_else(catalogue, extracted, code):
    current = {m.id for m in catalogue.load(code) if m.id}
    fresh = {m.id for m in extracted if m.id}
    assert not fresh - current, f"not in the catalogue (run scripts/catalogue.py): {sorted(fresh - current)[:10]}"
    assert not current - fresh, f"no longer used (run scripts/catalogue.py): {sorted(current - fresh)[:10]}"


@pytest.mark.parametrize("code", ["ur"])
def test_every_message_is_translated_with_its_placeholders(catalogue, code):
    catalog = catalogue.load(code)
    assert catalogue.missing(catalog) == []
    assert not [m.id for m in catalog if m.id and "fuzzy" in m.flags]
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []
    assert len(catalog) > 150  # the labels alone


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_carries_text_outside_gettext(template):
    assert untranslated(template) == []
