"""Bring the language catalogues up to date with the code: extract every string that goes
through gettext (``babel.cfg``), add the new ones to each language's .po, drop the ones
no longer used, and (``--fill FILE.json``) take translations from a JSON file of
``{"English text": "translation"}`` (a list of forms for a plural: ``["one", "many"]``).

    .venv/bin/python scripts/catalogue.py                   # update council/translations/*/messages.po
    .venv/bin/python scripts/catalogue.py --fill ur.json    # and take Urdu translations from ur.json
    .venv/bin/python scripts/catalogue.py --check           # exit 1 when a catalogue is stale or incomplete

The same extraction is what tests/i18n/test_catalogue.py compares the catalogues with.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "council" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2)}
LANGUAGES = ("ur",)


def method_map() -> list[tuple[str, str]]:
    pairs = []
    for line in (ROOT / "babel.cfg").read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and ":" in line:
            method, pattern = line.strip("[]").split(":", 1)
            pairs.append((pattern.strip(), method.strip()))
    return pairs


def extracted() -> Catalog:
    """Every message of the code, with where it is used."""
    catalog = Catalog(project="council", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map(), keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        path = Path(filename).as_posix()
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    for text in sorted(registered_labels()):
        catalog.add(text, None, [("council/labels.py", 0)])
    return catalog


def registered_labels() -> set[str]:
    """The labels every slice registers when the app is built (council/labels.py): they are
    shown through gettext, but registered in many places, as plain dictionaries."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from council import create_app
    from council.labels import every_label

    with tempfile.TemporaryDirectory() as folder:
        create_app({"COUNCIL_DATABASE_URL": f"sqlite:///{folder}/labels.db", "COUNCIL_SECRET_KEY": "x" * 40,
                    "COUNCIL_ASYNC_MODE": "threading", "INSTANCE_PATH": folder, "TESTING": True})
        return every_label()


def path_of(code: str) -> Path:
    return CATALOGUES / code / "LC_MESSAGES" / "messages.po"


def load(code: str) -> Catalog:
    path = path_of(code)
    if not path.exists():
        return Catalog(locale=code, project="council", fuzzy=False)
    with path.open("rb") as fp:
        return read_po(fp, locale=code)


NAMES = {"ur": "Urdu"}
STEADY = datetime(2026, 12, 1, tzinfo=UTC)  # dates in the header stay put: diffs show only messages


def save(code: str, catalog: Catalog) -> None:
    catalog.header_comment = (f"# {NAMES.get(code, code)} catalogue of the CERT Council platform's interface.\n"
                              "# scripts/catalogue.py keeps it in step with the code; translate the empty entries.")
    catalog.project, catalog.version = "council", "1"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = "CERT Council <council@ncert.example>"
    catalog.creation_date = catalog.revision_date = STEADY
    path = path_of(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fp:
        write_po(fp, catalog, width=0, sort_by_file=False, ignore_obsolete=True, include_previous=False)


def updated(code: str, template: Catalog, fills: dict[str, object]) -> Catalog:
    catalog = load(code)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in fills:
            value = fills[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else str(value)  # type: ignore[arg-type]
        message.flags.discard("fuzzy")
    return catalog


def missing(catalog: Catalog) -> list[str]:
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            out.append(message.id[0] if isinstance(message.id, tuple) else message.id)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fill", action="append", default=[], type=Path, help="JSON file(s) of translations")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale or incomplete")
    args = parser.parse_args()
    fills: dict[str, object] = {}
    for path in args.fill:
        fills.update(json.loads(path.read_text(encoding="utf-8")))
    template = extracted()
    status = 0
    for code in LANGUAGES:
        catalog = updated(code, template, fills)
        gaps = missing(catalog)
        if args.check:
            current = {m.id for m in load(code) if m.id}
            fresh = {m.id for m in catalog if m.id}
            if current != fresh:
                print(f"{code}: catalogue out of date ({len(fresh - current)} new, {len(current - fresh)} unused):"
                      " run scripts/catalogue.py", file=sys.stderr)
                status = 1
        else:
            save(code, catalog)
        total = sum(1 for m in catalog if m.id)
        print(f"{code}: {total - len(gaps)} of {total} translated")
        if gaps:
            status = 1 if args.check else status
            for text in gaps[:20]:
                print(f"  missing: {text}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
