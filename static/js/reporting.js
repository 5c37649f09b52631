// Incident reports in a room: the linked reports' stage clocks in the room's
// header (countdowns), the feed's line for "incident" events, and a way for a
// participant to file their organisation's report from the room.
import { $, el, bdi } from "./dom.js";
import { label } from "./labels.js";
import { countdown, tick } from "./clocks.js";
import { tPlus } from "./time.js";

export function install(R) {
  const box = $("[data-room-clocks]");
  const incidents = new Map((R.boot.incidents || []).map((i) => [i.id, i]));

  function chip(incident, stage) {
    if (stage.colour === "done") return el("span", { class: "clock clock-done", text: stage.title + ": " + label("stage_status", stage.status).toLowerCase() });
    if (stage.colour === "waiting") return null;
    if (stage.colour === "revision") return el("span", { class: "clock clock-amber", text: stage.title + ": revision requested" });
    if (stage.due_t !== null) {
      // A drill's stage counts in exercise time (the header's clock): its deadline is a T+.
      return el("span", { class: "clock clock-" + stage.colour, title: incident.ref + " " + stage.title + " (exercise time)" },
        [stage.title + (stage.overdue ? " overdue since " : " due ") + tPlus(stage.due_t)]);
    }
    if (!stage.due_at) return null;
    const c = countdown(stage.due_at, stage.hours);
    return el("span", { class: "clock clock-" + c.colour, "data-countdown": "", "data-due": stage.due_at, "data-hours": String(stage.hours),
      "data-label": stage.title, title: incident.ref + " " + stage.title },
    [stage.title + " " + c.text + " "]);
  }

  function render() {
    if (!box) return;
    const rows = [...incidents.values()].map((i) => el("div", { class: "room-clock-row" }, [
      el("a", { href: "/incidents/" + i.id, class: "small" }, [i.ref]), " ",
      ...i.stages.map((s) => chip(i, s)).filter(Boolean)]));
    if (R.canWrite() && R.boot.file_incident_url && R.room().kind === "incident") {
      rows.push(el("a", { class: "small", href: R.boot.file_incident_url, text: "File " + R.me.org + "'s incident report" }));
    }
    box.replaceChildren(...rows);
    tick(box);
  }

  R.registerRenderer("incident", (ev, li) => {
    li.classList.add("ev-system");
    const what = {
      filed: "filed", stage_submitted: (ev.stage_title || ev.stage) + (ev.late ? " submitted late" : " submitted"),
      stage_reviewed: (ev.stage_title || ev.stage) + (ev.decision === "accepted" ? " accepted and forwarded" : ": revision requested"),
      stage_overdue: (ev.stage_title || ev.stage) + " is overdue", consent: "forwarding in full consented",
      linked: "linked to this room",
      indicators: ev.count + " indicator" + (ev.count === 1 ? " " : "s ") + ({ added: "added", changed: "changed",
        retired: "retired", sighted: "sighted" }[ev.change] || ev.change),
    }[ev.op] || ev.op;
    li.appendChild(el("div", { class: "ev-line" }, [
      el("strong", {}, [bdi(ev.author ? ev.author.name : "System")]), " incident report ",
      // A link only for those the report itself is shared with (the room may be wider than its chain).
      incidents.has(ev.incident_id) ? el("a", { href: "/incidents/" + ev.incident_id, text: ev.ref })
        : el("span", { text: ev.ref }),
      " " + what,
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });

  R.onEvent((ev, live) => {
    // Reports change with their own events, and a drill's clocks with the exercise clock (pause, resume).
    if (!ev || (ev.kind !== "incident" && !(ev.kind === "clock" && incidents.size)) || !live) return;
    // The room's reports this viewer may see (a report is shared with its chain, which the room may exceed).
    R.api("GET", "/rooms/" + R.room().id + "/incidents").then((data) => {
      const before = new Set(incidents.keys());
      incidents.clear();
      data.incidents.forEach((i) => incidents.set(i.id, i));
      render();
      // Lines about a report just shared with this viewer now link to it, as after a reload.
      for (const e of R.events.values()) {
        if (e.kind === "incident" && incidents.has(e.incident_id) && !before.has(e.incident_id)) R.rerender(e.seq);
      }
    }).catch(() => {});
  });
  R.onRoomChange(render);
  render();
}
