"""Group commit (council/groupcommit.py): posts that arrive together share one
transaction, each caller gets its own answer, a refused post costs only itself,
and nothing is sent for what was not committed.

Real threads on SQLite: a unit that blocks holds its batch open while the
others queue behind it, so the batches formed are known, not timed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from council.audit.models import AuditEntry
from council.audit.services import verify
from council.errors import Forbidden, NotFound
from council.extensions import database
from council.groupcommit import GroupCommit, _Unit
from council.rooms import stream
from council.rooms.models import Room, RoomEvent

WAIT_S = 10


@pytest.fixture
def setting(app, make):
    national = make.org("National CERT", tier="national")
    lead = make.user("lead@national.example", org=national)
    outsider = make.user("outsider@elsewhere.example")
    room = make.room(lead, tlp="AMBER")
    sent: list[list] = []
    db = database(app)
    db.sender = sent.append  # what each committed transaction handed to the socket layer
    return lead, outsider, room, db, sent


class Gate:
    """Holds a unit inside its batch until released; says when it got there."""

    def __init__(self):
        self.entered, self.released = threading.Event(), threading.Event()


def post_unit(user, room_id, body, client_id, gate=None):
    def work(session):
        if gate is not None:
            gate.entered.set()
            gate.released.wait(WAIT_S)
        actor = session.merge(user)
        event, _ = stream.post(session, actor=actor, room_id=room_id, kind="message",
                               payload={"body": body}, client_id=client_id)
        return event.seq
    return work


def room_events(db, room_id):
    with db.transaction() as s:
        return [(e.seq, e.body) for e in s.scalars(
            select(RoomEvent).where(RoomEvent.room_id == room_id, RoomEvent.kind == "message")
            .order_by(RoomEvent.seq))]


def run_batched(group: GroupCommit, first, others):
    """Start ``first`` (which blocks on its gate), queue ``others`` behind it, then release it."""
    work, gate = first
    with ThreadPoolExecutor(max_workers=len(others) + 1) as pool:
        lead = pool.submit(group.run, work)
        assert gate.entered.wait(WAIT_S)
        futures = [pool.submit(group.run, work) for work in others]
        deadline = time.monotonic() + WAIT_S
        while len(group._queue) < len(others):  # nothing to await: the queue is polled, with a deadline
            assert time.monotonic() < deadline, "the other units never queued"
            time.sleep(0.005)
        gate.released.set()
        results = [lead, *futures]
        out = []
        for f in results:
            try:
                out.append(f.result(WAIT_S))
            except Exception as exc:  # the test inspects it
                out.append(exc)
        return out


def test_posts_queued_behind_a_batch_are_written_together_with_their_own_answers(setting):
    lead, _outsider, room, db, sent = setting
    group = GroupCommit(db)
    gate = Gate()
    others = [post_unit(lead, room.id, f"queued {i}", f"q-{i}") for i in range(6)]
    answers = run_batched(group, (post_unit(lead, room.id, "first", "first", gate), gate), others)

    assert (group.batches, group.units) == (2, 7)  # the first alone, then the six queued together
    assert sorted(answers) == list(range(answers[0], answers[0] + 7))  # gapless, one seq each
    by_body = dict((body, seq) for seq, body in room_events(db, room.id))
    assert by_body["first"] == answers[0]
    assert sorted(by_body[f"queued {i}"] for i in range(6)) == sorted(answers[1:])
    # One hand-over to the socket layer per transaction, the events in seq order.
    assert [len(items) for items in sent] == [1, 6]
    assert [item.payload["seq"] for item in sent[1]] == sorted(answers[1:])
    with db.transaction() as s:
        assert verify(s).ok


def test_a_refused_post_costs_only_itself(setting):
    lead, outsider, room, db, sent = setting
    group = GroupCommit(db)
    gate = Gate()
    others = [post_unit(lead, room.id, "before", "b"),
              post_unit(outsider, room.id, "not mine to post", "x"),  # cannot see the AMBER room
              post_unit(lead, room.id, "after", "a")]
    with db.transaction() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    answers = run_batched(group, (post_unit(lead, room.id, "first", "first", gate), gate), others)

    assert isinstance(answers[2], NotFound) and answers[2].message == "No such room."
    assert [body for _seq, body in room_events(db, room.id)] == ["first", "before", "after"]
    assert [seq for seq, _body in room_events(db, room.id)] == sorted(a for a in answers if isinstance(a, int))
    assert [[i.payload["body"] for i in items] for items in sent] == [["first"], ["before", "after"]]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 3
        assert verify(s).ok
        assert s.get(Room, room.id).last_seq == max(a for a in answers if isinstance(a, int))


def test_a_failed_commit_reaches_every_caller_and_nothing_is_sent(setting, monkeypatch):
    lead, _outsider, room, db, sent = setting
    group = GroupCommit(db)
    real_session = db.session

    def failing_session(*, write):
        session = real_session(write=write)

        def commit():
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        session.commit = commit
        return session

    monkeypatch.setattr(db, "session", failing_session)
    gate = Gate()
    answers = run_batched(group, (post_unit(lead, room.id, "first", "f", gate), gate),
                          [post_unit(lead, room.id, f"n{i}", f"n{i}") for i in range(3)])
    monkeypatch.undo()

    assert all(isinstance(a, OperationalError) for a in answers)
    assert room_events(db, room.id) == [] and sent == []
    # The next batch is led again: nothing is stuck.
    assert group.run(post_unit(lead, room.id, "again", "f")) == 3
    assert [body for _seq, body in room_events(db, room.id)] == ["again"]


def test_a_retry_in_the_same_batch_gets_the_first_event(setting):
    lead, _outsider, room, db, sent = setting
    group = GroupCommit(db)
    gate = Gate()
    answers = run_batched(group, (post_unit(lead, room.id, "first", "first", gate), gate),
                          [post_unit(lead, room.id, "once", "same"), post_unit(lead, room.id, "twice?", "same")])
    assert answers[1] == answers[2]
    assert [body for _seq, body in room_events(db, room.id)] == ["first", "once"]
    assert [len(items) for items in sent] == [1, 1]


def test_a_lone_post_is_a_batch_of_one(setting):
    lead, _outsider, room, db, _sent = setting
    group = GroupCommit(db)
    assert [group.run(post_unit(lead, room.id, f"m{i}", f"m{i}")) for i in range(3)] == [3, 4, 5]
    assert (group.batches, group.units) == (3, 3)
    with pytest.raises(Forbidden):
        group.run(lambda session: (_ for _ in ()).throw(Forbidden("no")))
    assert group._busy is False and group._queue == []


def test_a_caller_killed_while_handed_the_lead_passes_it_on(setting):
    lead, _outsider, room, db, _sent = setting
    group = GroupCommit(db)
    gone, next_in_line = _Unit(post_unit(lead, room.id, "gone", "g")), _Unit(post_unit(lead, room.id, "n", "n"))
    group._busy, group._queue = True, [gone, next_in_line]
    gone.lead = True
    gone.done.set()  # handed the lead, but its greenlet died before taking it
    group._abandon(gone)
    assert group._queue == [next_in_line] and next_in_line.lead and next_in_line.done.is_set()

    group._queue = [next_in_line]
    group._abandon(next_in_line)
    assert group._busy is False and group._queue == []
    assert group.run(post_unit(lead, room.id, "still served", "s")) == 3


def test_callers_are_answered_before_the_broadcast_is_handed_over(setting):
    """An ack must not wait behind a write to every subscriber: each caller's
    answer is set and its waiter woken before the outbox goes to the sockets."""
    lead, _outsider, room, db, _sent = setting
    group = GroupCommit(db)
    units = [_Unit(post_unit(lead, room.id, f"m{i}", f"m{i}")) for i in range(3)]
    at_send: list[list[tuple[bool, object]]] = []
    db.sender = lambda items: at_send.append([(u.done.is_set(), u.value) for u in units])
    group._write(units)
    seqs = [u.result() for u in units]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    assert at_send == [[(True, seq) for seq in seqs]]


def test_what_was_committed_is_sent_even_if_the_leader_dies_while_it_yields(setting, monkeypatch):
    lead, _outsider, room, db, sent = setting
    group = GroupCommit(db)
    units = [_Unit(post_unit(lead, room.id, f"m{i}", f"m{i}")) for i in range(2)]

    def killed(_seconds):
        raise SystemExit  # what a greenlet being killed sees (GreenletExit is a BaseException too)

    monkeypatch.setattr("council.groupcommit.time.sleep", killed)
    with pytest.raises(SystemExit):
        group._write(units)
    assert [[item.payload["body"] for item in items] for items in sent] == [["m0", "m1"]]
