// The council in its rooms: a meeting room's seats and live quorum (from
// "attendance" events), the feed's lines for meeting, attendance and crisis
// events, and an exercise's own crisis level (set by its controllers, marked
// EXERCISE, never the national one).
import { $, el, bdi, showError, clearError } from "./dom.js";
import { dateTime } from "./time.js";

function quorumText(q) {
  if (!q) return "";
  return q.present + " of " + q.seats + " seats present · quorum " + q.needed + (q.met ? " met" : " not met");
}

export function install(R) {
  R.registerRenderer("meeting", (ev, li) => {
    li.classList.add("ev-system");
    const what = ev.op === "convened" ? "convened the meeting" : ev.op === "closed" ? "closed the meeting" : ev.op;
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [bdi(ev.author ? ev.author.name : "System")]), " " + what,
      ev.op === "convened" && ev.starts_at ? " for " + dateTime(ev.starts_at, R.zone) : "",
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("attendance", (ev, li) => {
    li.classList.add("ev-system");
    const who = ev.present ? " present" + (ev.user ? ", " + ev.user + (ev.as === "alternate" ? " (alternate)" : "") : "") : " absent";
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [bdi(ev.org || "")]), who, " · " + quorumText(ev.quorum),
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("crisis", (ev, li) => {
    li.classList.add("ev-system");
    const mark = ev.exercise ? "EXERCISE · " : "";
    const text = ev.op === "ratification_overdue"
      ? "the provisional level " + ev.level + " (" + ev.name + ") was not ratified in time"
      : "crisis level " + ev.previous_level + " → " + ev.level + " " + ev.name + (ev.provisional ? " (provisional)" : "") +
        (ev.decision_id ? " by decision #" + ev.decision_id : "");
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [mark + (ev.author ? ev.author.name : "System")]), " " + text,
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
        el("span", { class: a.present ? "tag tag-ok" : "tag", text: a.present ? "present" : "absent" }), " ",
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
    const show = (lvl) => { now.textContent = "Level " + lvl.level + " · " + lvl.name + (lvl.provisional ? " (provisional)" : ""); };
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
