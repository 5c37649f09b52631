"""Counting positions under each voting rule: pure, no database, no clock."""

from __future__ import annotations

import pytest

from council.decisions.rules import BINARY_POSITIONS, count, positions_for

BINARY = ["approve", "reject"]
OPTIONS = ["patch now", "wait for vendor", "isolate"]


def tally(positions, *, options=BINARY, rule="majority", eligible=None, quorum_pct=50, chair_choice=None):
    """Positions given as a list (org ids 1, 2, 3…); eligible defaults to everyone who took one."""
    by_org = dict(enumerate(positions, start=1))
    return count(by_org, options=options, rule=rule, eligible=len(positions) if eligible is None else eligible,
                 quorum_pct=quorum_pct, chair_choice=chair_choice)


# --- positions_for -----------------------------------------------------------------

def test_binary_decisions_take_support_object_abstain():
    assert positions_for(["approve", "reject"]) == BINARY_POSITIONS == ("support", "object", "abstain")


def test_custom_options_take_an_option_object_or_abstain():
    assert positions_for(OPTIONS) == ("patch now", "wait for vendor", "isolate", "object", "abstain")
    # The same two words in another order are custom options, not the binary form.
    assert positions_for(["reject", "approve"]) == ("reject", "approve", "object", "abstain")


# --- majority -------------------------------------------------------------------------

def test_majority_needs_more_than_half_of_the_votes_cast():
    assert tally(["support", "support", "object"]).outcome == "adopted"
    half = tally(["support", "object"])
    assert (half.outcome, half.cast) == ("rejected", 2)  # exactly half is not a majority
    assert tally(["support", "object", "object"]).outcome == "rejected"


def test_abstentions_are_not_votes_cast_but_count_for_quorum():
    t = tally(["support", "abstain", "abstain", "abstain"], eligible=4)
    assert (t.cast, t.participated, t.quorum_needed, t.quorum_met) == (1, 4, 2, True)
    assert t.outcome == "adopted"  # 1 of 1 vote cast
    assert t.counts == {"support": 1, "object": 0, "abstain": 3}
    assert t.chosen is None  # binary decisions choose no option


def test_only_abstentions_is_not_a_majority():
    t = tally(["abstain", "abstain"])
    assert (t.cast, t.quorum_met, t.outcome) == (0, True, "rejected")


# --- two-thirds -----------------------------------------------------------------------

def test_two_thirds_boundary():
    assert tally(["support", "support", "object"], rule="two-thirds").outcome == "adopted"  # 2 of 3
    three_of_five = tally(["support"] * 3 + ["object"] * 2, rule="two-thirds")
    assert (three_of_five.cast, three_of_five.outcome) == (5, "rejected")  # 60 % < 66.7 %
    assert tally(["support"] * 4 + ["object"] * 2, rule="two-thirds").outcome == "adopted"  # 4 of 6
    # The same 3 of 5 passes a simple majority.
    assert tally(["support"] * 3 + ["object"] * 2, rule="majority").outcome == "adopted"


def test_two_thirds_ignores_abstentions():
    t = tally(["support", "support", "object", "abstain", "abstain"], rule="two-thirds")
    assert (t.cast, t.outcome) == (3, "adopted")


# --- consensus ------------------------------------------------------------------------

def test_consensus_one_objection_rejects():
    assert tally(["support"] * 5, rule="consensus").outcome == "adopted"
    assert tally(["support"] * 5 + ["object"], rule="consensus").outcome == "rejected"


def test_consensus_allows_abstentions_but_needs_a_vote():
    assert tally(["support", "abstain"], rule="consensus").outcome == "adopted"
    none_cast = tally(["abstain", "abstain", "abstain"], rule="consensus")
    assert (none_cast.cast, none_cast.quorum_met, none_cast.outcome) == (0, True, "rejected")


def test_nobody_took_a_position():
    t = tally([], rule="consensus", eligible=3)
    assert (t.participated, t.cast, t.quorum_needed, t.outcome) == (0, 0, 2, "no_quorum")
    t = tally([], rule="majority", eligible=0)
    assert (t.quorum_needed, t.outcome) == (1, "no_quorum")


# --- custom options ---------------------------------------------------------------------

def test_custom_majority_chooses_the_winning_option():
    t = tally(["isolate", "isolate", "patch now"], options=OPTIONS)
    assert (t.outcome, t.chosen) == ("adopted", "isolate")
    assert t.counts == {"patch now": 1, "wait for vendor": 0, "isolate": 2, "object": 0, "abstain": 0}


def test_custom_majority_without_a_majority_option_is_rejected():
    t = tally(["isolate", "patch now", "wait for vendor"], options=OPTIONS)
    assert (t.outcome, t.chosen) == ("rejected", None)
    # Objections are votes cast against every option.
    t = tally(["isolate", "object"], options=OPTIONS)
    assert (t.cast, t.outcome, t.chosen) == (2, "rejected", None)


def test_custom_two_thirds():
    adopted = tally(["patch now", "patch now", "isolate"], options=OPTIONS, rule="two-thirds")
    assert (adopted.outcome, adopted.chosen) == ("adopted", "patch now")
    rejected = tally(["patch now"] * 3 + ["isolate"] * 2, options=OPTIONS, rule="two-thirds")
    assert (rejected.outcome, rejected.chosen) == ("rejected", None)


def test_custom_consensus_needs_every_vote_on_one_option():
    t = tally(["wait for vendor", "wait for vendor", "abstain"], options=OPTIONS, rule="consensus")
    assert (t.outcome, t.chosen) == ("adopted", "wait for vendor")
    split = tally(["wait for vendor", "wait for vendor", "isolate"], options=OPTIONS, rule="consensus")
    assert (split.outcome, split.chosen) == ("rejected", None)
    objected = tally(["wait for vendor", "wait for vendor", "object"], options=OPTIONS, rule="consensus")
    assert (objected.outcome, objected.chosen) == ("rejected", None)


# --- chair ----------------------------------------------------------------------------

def test_chair_decides_whatever_the_positions():
    against = ["object", "object", "object"]
    assert tally(against, rule="chair", chair_choice="adopted").outcome == "adopted"
    assert tally(["support"] * 3, rule="chair", chair_choice="rejected").outcome == "rejected"
    assert tally(["support"] * 3, rule="chair", chair_choice=None).outcome == "rejected"


def test_chair_chooses_an_option():
    t = tally(["isolate", "isolate"], options=OPTIONS, rule="chair", chair_choice="patch now")
    assert (t.outcome, t.chosen) == ("adopted", "patch now")
    t = tally(["isolate"], options=OPTIONS, rule="chair", chair_choice="rejected")
    assert (t.outcome, t.chosen) == ("rejected", None)


def test_chair_choice_still_needs_quorum():
    t = tally(["support"], rule="chair", chair_choice="adopted", eligible=4)
    assert (t.quorum_needed, t.quorum_met, t.outcome, t.chosen) == (2, False, "no_quorum", None)


# --- quorum ---------------------------------------------------------------------------

@pytest.mark.parametrize(("eligible", "pct", "needed"), [
    (4, 50, 2), (5, 50, 3), (3, 50, 2), (7, 34, 3), (10, 100, 10), (3, 1, 1), (1, 50, 1), (6, 67, 5),
])
def test_quorum_is_the_ceiling_of_eligible_times_the_percentage(eligible, pct, needed):
    assert tally(["support"], eligible=eligible, quorum_pct=pct).quorum_needed == needed


def test_below_quorum_is_no_quorum_even_when_everyone_supports():
    t = tally(["support", "support"], eligible=5, quorum_pct=50, rule="consensus")
    assert (t.participated, t.quorum_needed, t.quorum_met, t.outcome) == (2, 3, False, "no_quorum")
    t = tally(["isolate", "isolate"], options=OPTIONS, eligible=5)
    assert (t.outcome, t.chosen) == ("no_quorum", None)
    # One more position (even an abstention) reaches it.
    t = tally(["support", "support", "abstain"], eligible=5, quorum_pct=50, rule="consensus")
    assert (t.quorum_met, t.outcome) == (True, "adopted")


def test_full_quorum_needs_every_organisation():
    assert tally(["support"] * 3, eligible=4, quorum_pct=100).outcome == "no_quorum"
    assert tally(["support"] * 4, eligible=4, quorum_pct=100).outcome == "adopted"


def test_as_dict_is_plain_data():
    d = tally(["support", "object", "support"]).as_dict()
    assert d == {"counts": {"support": 2, "object": 1, "abstain": 0}, "cast": 3, "participated": 3, "eligible": 3,
                 "quorum_needed": 2, "quorum_met": True, "outcome": "adopted", "chosen": None}
