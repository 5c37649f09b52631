// The council in its rooms: a meeting room's seats and live quorum (from
// "attendance" events), the feed's lines for meeting, attendance and crisis
// events, and an exercise's own crisis level (set by its controllers, marked
// EXERCISE, never the national one).
import { $, el, bdi, fill, showError, clearError } from "./dom.js";
import { _ } from "./i18n.js";
import { dateTime } from "./time.js";

function quorumText(q) {
  if (!q) return "";
  const values = { present: q.present, seats: q.seats, needed: q.needed };
  return q.met ? _("%(present)s of %(seats)s seats present · quorum %(needed)s met", values)
    : _("%(present)s of %(seats)s seats present · quorum %(needed)s not met", values);
}

export function install(R) {
  R.registerRenderer("meeting", (ev, li) => {
    li.classList.add("ev-system");
    const what = ev.op === "convened" ? (ev.starts_at ? _("convened the meeting for %(when)s", { when: dateTime(ev.starts_at, R.zone) })
      : _("convened the meeting")) : ev.op === "closed" ? _("closed the meeting") : ev.op;
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [bdi(ev.author ? ev.author.name : _("System"))]), " " + what,
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("attendance", (ev, li) => {
    li.classList.add("ev-system");
    const text = !ev.present ? _("%(org)s absent") : !ev.user ? _("%(org)s present")
      : ev.as === "alternate" ? _("%(org)s present, %(user)s (alternate)") : _("%(org)s present, %(user)s");
    li.appendChild(el("div", { class: "ev-line" }, [
      ...fill(text, { org: el("strong", {}, [bdi(ev.org || "")]), user: ev.user }), " · " + quorumText(ev.quorum),
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("crisis", (ev, li) => {
    li.classList.add("ev-system");
    const mark = ev.exercise ? "EXERCISE · " : "";
    const values = { previous: ev.previous_level, level: ev.level, name: ev.name, decision: ev.decision_id };
    const text = ev.op === "ratification_overdue"
      ? _("the provisional level %(level)s (%(name)s) was not ratified in time", values)
      : ev.provisional
        ? (ev.decision_id ? _("crisis level %(previous)s → %(level)s %(name)s (provisional) by decision #%(decision)s", values)
          : _("crisis level %(previous)s → %(level)s %(name)s (provisional)", values))
        : (ev.decision_id ? _("crisis level %(previous)s → %(level)s %(name)s by decision #%(decision)s", values)
          : _("crisis level %(previous)s → %(level)s %(name)s", values));
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [mark + (ev.author ? ev.author.name : _("System"))]), " " + text,
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });

  const panel = $("[data-meeting-panel]");
  if (panel && R.boot.meeting) {
    const meeting = R.boot.meeting;
    const seats = new Map(meeting.attendance.map((a) => [a.org_id, a]));
    $("[data-meeting-link]", panel).href = "/council/meetings/" + meeting.id;
    const render = (q) => {
      $("[data-meeting-quorum]", panel).textContent = quorumText(q);
      $("[data-meeting-seats]", panel).replaceChildren(...[...seats.values()].map((a) => el("li", {}, [
        el("span", { class: a.present ? "tag tag-ok" : "tag", text: a.present ? _("present") : _("absent") }), " ",
        bdi(a.org), a.user ? " · " : "", a.user ? bdi(a.user) : ""])));
    };
    render(meeting.quorum);
    R.onEvent((ev) => {
      if (!ev || ev.kind !== "attendance" || ev.meeting_id !== meeting.id) return;
      const seat = seats.get(ev.org_id);
      if (seat) { seat.present = ev.present; seat.user = ev.user; }
      render(ev.quorum);
    });
  }

  const box = $("[data-exercise-level]");
  if (box && R.boot.exercise_level) {
    const now = $("[data-exercise-level-now]", box);
    const form = $("[data-exercise-level-form]", box);
    const err = $("[data-exercise-level-error]", box);
    const show = (lvl) => {
      const values = { level: lvl.level, name: lvl.name };
      now.textContent = lvl.provisional ? _("Level %(level)s · %(name)s (provisional)", values) : _("Level %(level)s · %(name)s", values);
    };
    show(R.boot.exercise_level);
    const select = $("select", form);
    select.replaceChildren(...(R.boot.levels || []).map((l) => el("option", { value: String(l.level), text: l.level + " · " + l.name })));
    // The director and controllers (the server says who) set the exercise's level.
    form.hidden = !R.boot.exercise_level_control;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      clearError(err);
      R.api("POST", "/council/crisis-level", {
        level: Number(select.value), reason: form.elements.reason.value, provisional: true,
        exercise_room_id: R.room().id,
      }).then(() => { form.reset(); }).catch((x) => showError(err, x));
    });
    R.onEvent((ev) => {
      if (ev && ev.kind === "crisis" && ev.op === "level") show(ev);
    });
  }
}
