"""The marking definitions every exchanged object carries.

TLP 2.0: the five STIX 2.1 marking-definition objects OASIS published with fixed ids,
copied verbatim as data from oasis-open/cti-stix-common-objects,
extension-definition-specifications/tlp-2.0/ (examples/tlp-*.json; the ids are those
its marking-definition.json schema requires), using the TLP 2.0 extension
extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.

EXERCISE: the council's own statement marking (a fixed id), on every object exported
from an exercise room, so exercise data is never taken for real.
"""

from __future__ import annotations

from typing import Any

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def tlp_marking(tlp: str) -> dict[str, Any]:
    """The OASIS object for ``tlp`` (as published; name and extension value follow the level)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_IDS[tlp],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{tlp}",
        "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.lower()}},
    }


# TLP 1.0 markings (stix2's TLP_WHITE… constants) read on import as their TLP 2.0 successors.
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
TLP_OF_ID = {**{v: k for k, v in TLP_IDS.items()}, **TLP1_IDS}

EXERCISE_ID = "marking-definition--6f1c3c71-6b7a-4b0e-9a55-2f7c0e6d3e11"
EXERCISE_STATEMENT = "EXERCISE — exercise data from a CERT Council exercise; not real. Do not act on it."
EXERCISE = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": EXERCISE_ID,
    "created": "2026-12-01T00:00:00.000Z",
    "name": "EXERCISE",
    "definition_type": "statement",
    "definition": {"statement": EXERCISE_STATEMENT},
}

# MISP: distribution from TLP (0 your organisation only, 1 this community, 2 connected
# communities, 3 all communities), and the tlp: taxonomy's tags.
MISP_DISTRIBUTION = {"CLEAR": 3, "GREEN": 2, "AMBER": 1, "AMBER+STRICT": 0, "RED": 0}
MISP_TAG = {t: f"tlp:{t.lower()}" for t in TLP_IDS}
TLP_OF_MISP_TAG = {**{v: k for k, v in MISP_TAG.items()}, "tlp:white": "CLEAR", "tlp:ex:chr": "RED"}
MISP_EXERCISE_TAG = "exercise:council"
