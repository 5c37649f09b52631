"""MSEL files: offsets, every error with its row and column, all-or-nothing import, round trips."""

from __future__ import annotations

import json

import pytest

from council.errors import Invalid
from exercises.models import Scenario, ScenarioInject
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from exercises.vocab import MSEL_HEADERS
from tests.exercises.helpers import count, inject, msel_text, read

# --- offsets -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("T+00:00", 0),
    ("T+00:10", 600),
    ("T+01:30", 5400),
    ("t+02:05", 7500),
    ("T+100:00", 360_000),
    ("00:45", 2700),
    ("01:30", 5400),
    ("26:00", 93_600),
    ("D+1 H+2 M+30", 86_400 + 7200 + 1800),
    ("D+0 H+0 M+20", 1200),
    ("H+2", 7200),
    ("M+45", 2700),
    ("D+2", 172_800),
    ("H+1 M+5", 3900),
    ("  T+00:15  ", 900),
])
def test_parse_offset_accepts_the_three_forms(text, seconds):
    assert msel.parse_offset(text) == seconds


@pytest.mark.parametrize("text", [
    "", "   ", "T+", "T+1:5", "T+00:60", "01:60", "1:5", "T-00:10", "T+00:10:00", "1h30", "90", "abc",
    "D+", "D+1 M+5 H+2", "H+x", "D+1,H+2",
])
def test_parse_offset_refuses_anything_else(text):
    with pytest.raises(ValueError, match="T\\+HH:MM, HH:MM or D\\+1 H\\+2 M\\+30"):
        msel.parse_offset(text)


def test_format_offset_writes_t_plus_hours_and_minutes():
    assert [msel.format_offset(s) for s in (0, 600, 5400, 93_600, 360_000)] == [
        "T+00:00", "T+00:10", "T+01:30", "T+26:00", "T+100:00"]
    assert msel.parse_offset(msel.format_offset(86_400 + 7200 + 1800)) == 86_400 + 7200 + 1800


# --- errors with row and column ----------------------------------------------------------

def errors_of(text):
    return [(e.row, e.column) for e in msel.parse_csv(text).errors]


def test_a_bad_offset_on_line_3_is_row_3_column_offset():
    text = msel_text(inject("1", "T+00:00"), inject("2", "T+0:7"), inject("3", "T+00:20"))
    parsed = msel.parse_csv(text)
    assert [e.as_dict() for e in parsed.errors] == [{
        "row": 3, "column": "offset", "message": "'T+0:7': use T+HH:MM, HH:MM or D+1 H+2 M+30"}]
    assert text.splitlines()[2].startswith("2,T+0:7,")  # row 3 is the third line of the file


def test_rows_are_lines_of_the_file_across_blank_lines_and_multiline_fields():
    lines = msel_text(inject("1", "T+00:00"), inject("2", "T+bad"),
                      inject("3", "T+00:10", message="two\r\nlines"), inject("4", "soon")).split("\r\n")
    # header, 1 | two blank lines | 2 (line 5) | 3 over lines 6-7 | 4 (line 8)
    text = "\r\n".join([*lines[:2], "", "", *lines[2:]])
    assert errors_of(text) == [(5, "offset"), (8, "offset")]
    assert text.split("\r\n")[4].startswith("2,T+bad") and text.split("\r\n")[7].startswith("4,soon")


def test_each_kind_of_bad_value_is_reported_with_its_row_and_column():
    text = msel_text(
        inject("1", "T+00:00"),
        inject("2", "T+00:05", type="rumour"),
        inject("3", "T+00:10", delivery="pigeon"),
        inject("4", "T+00:15", release="sometimes"),
        inject("5", "T+00:20", capability="telepathy"),
        inject("6", "T+00:25", priority="9"),
        inject("7", "T+00:30", tlp="PURPLE"),
        {**inject("8", "T+00:35"), "title": ""},
        inject("", "T+00:40"),
        inject("10", "T+00:45", to="Bank;;Telco"),
    )
    parsed = msel.parse_csv(text)
    assert [(e.row, e.column) for e in parsed.errors] == [
        (3, "type"), (4, "delivery"), (5, "release"), (6, "capability"), (7, "priority"), (8, "tlp"),
        (9, "title"), (10, "msel_id"), (11, "to")]
    assert "'rumour'" in parsed.errors[0].message and "information" in parsed.errors[0].message


def test_a_repeated_msel_id_names_the_first_row():
    parsed = msel.parse_csv(msel_text(inject("A", "T+00:00"), inject("B", "T+00:05"), inject("A", "T+00:10")))
    assert [e.as_dict() for e in parsed.errors] == [{"row": 4, "column": "msel_id", "message": "'A' repeats row 2"}]


def test_depends_on_a_missing_id_is_an_error_of_that_row():
    parsed = msel.parse_csv(msel_text(inject("A", "T+00:00"), inject("B", "T+00:05", depends_on="Z")))
    assert [e.as_dict() for e in parsed.errors] == [
        {"row": 3, "column": "depends_on", "message": "no inject with msel_id 'Z'"}]


def test_a_dependency_cycle_is_reported_on_every_row_in_it():
    text = msel_text(inject("A", "T+00:00", depends_on="C"), inject("B", "T+00:05", depends_on="A"),
                     inject("C", "T+00:10", depends_on="B"), inject("D", "T+00:15", depends_on="A"))
    parsed = msel.parse_csv(text)
    cycles = [(e.row, e.column) for e in parsed.errors if "cycle" in e.message]
    # D depends on the cycle without being in it: following its chain loops too.
    assert cycles[:3] == [(2, "depends_on"), (3, "depends_on"), (4, "depends_on")]
    assert all(column == "depends_on" for _row, column in errors_of(text))


def test_an_inject_depending_on_itself_is_refused():
    parsed = msel.parse_csv(msel_text(inject("A", "T+00:00", depends_on="A")))
    assert (2, "depends_on", "an inject cannot depend on itself") in [(e.row, e.column, e.message)
                                                                       for e in parsed.errors]


@pytest.mark.parametrize("missing", ["msel_id", "offset", "title"])
def test_a_missing_required_column_is_row_1(missing):
    headers = [h for h in MSEL_HEADERS if h != missing]
    text = ",".join(headers) + "\r\n" + ",".join("x" for _ in headers) + "\r\n"
    assert [e.as_dict() for e in msel.parse_csv(text).errors] == [
        {"row": 1, "column": missing, "message": "required column is missing"}]


def test_headers_are_matched_exactly():
    text = msel_text(inject("1", "T+00:00")).replace("msel_id", "MSEL ID", 1)
    assert errors_of(text) == [(1, "msel_id")]


def test_a_file_without_injects_is_refused():
    assert errors_of(msel_text()) == [(2, "")]


# --- import: all or nothing ------------------------------------------------------------------

def test_a_file_with_one_bad_row_imports_nothing(app, make, people):
    good = msel_text(inject("1", "T+00:00"), inject("2", "T+00:10"))
    make.run(scenarios.import_csv, actor=people.director, title="Already there", text=good)
    before = (count(app, Scenario), count(app, ScenarioInject))
    assert before == (1, 2)

    bad = msel_text(inject("1", "T+00:00"), inject("2", "later"), inject("3", "T+00:20", type="rumour"))
    with pytest.raises(scenarios.MselInvalid) as caught:
        make.run(scenarios.import_csv, actor=people.director, title="Half good", text=bad)
    assert caught.value.rows == [
        {"row": 3, "column": "offset", "message": "'later': use T+HH:MM, HH:MM or D+1 H+2 M+30"},
        {"row": 4, "column": "type", "message": "'rumour': use one of information, action, decision, contingency, "
                                                "media, technical"}]
    assert (count(app, Scenario), count(app, ScenarioInject)) == before


def test_a_utf8_bom_is_accepted(make, people):
    text = msel_text(inject("1", "T+00:00", "Café outage — première alerte"), bom=True)
    assert text.startswith("\ufeffmsel_id,")
    assert msel.parse_csv(text).errors == []
    scenario = make.run(scenarios.import_csv, actor=people.director, title="BOM", text=text)
    assert [(i.msel_id, i.title) for i in scenario.injects] == [("1", "Café outage — première alerte")]


def test_unknown_columns_are_kept_as_custom_fields(make, people):
    text = msel_text(inject("1", "T+00:00", injector_phone="+49 30 1234", venue="Room B"),
                     inject("2", "T+00:05", venue=""), extra=("injector_phone", "venue"))
    scenario = make.run(scenarios.import_csv, actor=people.director, title="Custom", text=text)
    first, second = scenario.injects
    assert json.loads(first.custom) == {"injector_phone": "+49 30 1234", "venue": "Room B"}
    assert json.loads(second.custom) == {}
    exported = msel.to_csv(scenario.injects).splitlines()
    assert exported[0] == ",".join([*MSEL_HEADERS, "injector_phone", "venue"])
    assert exported[1].endswith(",'+49 30 1234,Room B")  # guarded: a spreadsheet would compute "+49 …"
    again = msel.parse_csv(msel.to_csv(scenario.injects)).injects
    assert [i["custom"] for i in again] == [{"injector_phone": "+49 30 1234", "venue": "Room B"}, {}]


# --- round trips -------------------------------------------------------------------------------

RICH = msel_text(
    inject("1", "00:00", "Ransom note", from_="SOC lead", to="all", type="Information", delivery="EMAIL",
           expected_action="Triage, escalate", objectives="O1;O2", capability="detection", controller="C1",
           notes='Says "now", in quotes', release="auto", priority="1", tlp="TLP:AMBER", venue="HQ"),
    inject("2", "D+0 H+0 M+10", "Call from the bank", from_="Bank CISO", to="Bank;Telco", type="action",
           delivery="phone", message="Line one\nLine two, with a comma", depends_on="1", priority="2",
           tlp="green", release="manual"),
    inject("3", "T+01:30", "Press", to="All", type="media", delivery="media", capability="public-communication"),
    extra=("venue",), bom=True,
)


def test_csv_export_import_export_gives_identical_text(make, people):
    first = make.run(scenarios.import_csv, actor=people.director, title="Rich", text=RICH)
    exported = read(make.app, lambda s: msel.to_csv(scenarios.get_scenario(s, first.id).injects))
    # Normalised on the way in: offsets, case, TLP prefix, "all".
    lines = exported.split("\r\n")
    assert lines[1].startswith("1,T+00:00,information,email,SOC lead,all,Ransom note,")
    assert lines[1].endswith(",auto,,1,AMBER,,HQ")  # incident column empty
    assert ',"Line one\nLine two, with a comma",' in exported
    assert '"Says ""now"", in quotes"' in exported

    second = make.run(scenarios.import_csv, actor=people.director, title="Rich again", text=exported)
    again = read(make.app, lambda s: msel.to_csv(scenarios.get_scenario(s, second.id).injects))
    assert again == exported
    assert second.id != first.id and len(second.injects) == 3


def test_json_export_import_round_trips(make, people):
    doc = {
        "title": "Telecom outage", "summary": "A **national** outage.", "sectors": ["telecom", "banking-finance"],
        "threat": "Supply chain", "difficulty": "advanced", "duration_min": 180,
        "objectives": [{"id": "O1", "text": "Coordinate"}, {"id": "O2", "text": "Communicate"}],
        "capabilities": ["coordination", "recovery"],
        "injects": [msel.inject_row(ScenarioInject(**msel.model_fields(p)))
                    for p in msel.parse_csv(RICH).injects],
    }
    first = make.run(scenarios.import_json, actor=people.director, doc=doc)
    exported = read(make.app, lambda s: scenarios.export_json(scenarios.get_scenario(s, first.id)))
    assert exported == {**doc, "version": 1}
    second = make.run(scenarios.import_json, actor=people.director, doc=json.loads(json.dumps(exported)))
    assert read(make.app, lambda s: scenarios.export_json(scenarios.get_scenario(s, second.id))) == exported
    assert exported["injects"][0]["venue"] == "HQ" and exported["injects"][1]["offset"] == "T+00:10"


def test_json_import_reports_bad_rows_and_imports_nothing(app, make, people):
    doc = {"title": "Bad", "injects": [{"msel_id": "1", "offset": "T+00:00", "title": "ok"},
                                       {"msel_id": "2", "offset": "soon", "title": "bad"}]}
    with pytest.raises(scenarios.MselInvalid) as caught:
        make.run(scenarios.import_json, actor=people.director, doc=doc)
    assert [(r["row"], r["column"]) for r in caught.value.rows] == [(3, "offset")]
    assert count(app, Scenario) == 0


# --- capabilities as trainers write them ----------------------------------------------------------

WORDS = ("public communication", "Decision making", "Public Communication", "public_communication",
         " decision-making ", "INFORMATION  SHARING")
SLUGS = ["public-communication", "decision-making", "public-communication", "public-communication",
         "decision-making", "information-sharing"]


def test_msel_capabilities_in_words_are_kept_as_their_slugs_and_exported_so(make, people):
    text = msel_text(*(inject(str(n), f"T+00:{n:02d}", capability=c) for n, c in enumerate(WORDS, 1)))
    scenario = make.run(scenarios.import_csv, actor=people.director, title="Words", text=text)
    assert [i.capability for i in scenario.injects] == SLUGS
    csv_rows = read(make.app, lambda s: msel.to_csv(scenarios.get_scenario(s, scenario.id).injects))
    assert [r["capability"] for r in msel.parse_csv(csv_rows).injects] == SLUGS
    assert "public communication" not in csv_rows.lower() and "decision making" not in csv_rows.lower()
    exported = read(make.app, lambda s: scenarios.export_json(scenarios.get_scenario(s, scenario.id)))
    assert [row["capability"] for row in exported["injects"]] == SLUGS


def test_an_unknown_capability_is_still_refused_with_its_row():
    parsed = msel.parse_csv(msel_text(inject("1", "T+00:00", capability="public relations")))
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "capability")]
    assert "public-communication" in parsed.errors[0].message


def test_a_scenario_names_its_capabilities_in_words_and_keeps_each_slug_once(make, people):
    doc = {"title": "Words", "capabilities": ["Public Communication", "public_communication", "Decision making"],
           "injects": [inject("1", "T+00:00", capability="Recovery")]}
    scenario = make.run(scenarios.import_json, actor=people.director, doc=doc)
    exported = read(make.app, lambda s: scenarios.export_json(scenarios.get_scenario(s, scenario.id)))
    assert exported["capabilities"] == ["public-communication", "decision-making"]
    assert exported["injects"][0]["capability"] == "recovery"
    edited = make.run(scenarios.update_scenario, actor=people.director, scenario_id=scenario.id,
                      fields={"title": "Words", "capabilities": [" information sharing ", "Detection"]})
    assert json.loads(edited.capabilities) == ["information-sharing", "detection"]
    with pytest.raises(Invalid) as caught:
        make.run(scenarios.update_scenario, actor=people.director, scenario_id=scenario.id,
                 fields={"title": "Words", "capabilities": ["Telepathy"]})
    assert set(caught.value.fields) == {"capabilities"}
    listed = make.run(lambda s: [x.id for x in scenarios.list_scenarios(s, capability="Information Sharing")])
    assert listed == [scenario.id]
