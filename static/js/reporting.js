// Incident reports in a room: the linked reports' stage clocks in the room's
// header (countdowns), the feed's line for "incident" events, and a way for a
// participant to file their organisation's report from the room.
import { $, el, bdi, fill } from "./dom.js";
import { _ } from "./i18n.js";
import { label } from "./labels.js";
import { countdown, tick } from "./clocks.js";
import { tPlus } from "./time.js";

// The feed's words for a change to a report's indicators ("3 indicators added").
function indicatorsText(n, change) {
  const one = n === 1;
  switch (change) {
    case "added": return one ? _("%(n)s indicator added", { n }) : _("%(n)s indicators added", { n });
    case "changed": return one ? _("%(n)s indicator changed", { n }) : _("%(n)s indicators changed", { n });
    case "retired": return one ? _("%(n)s indicator retired", { n }) : _("%(n)s indicators retired", { n });
    case "sighted": return one ? _("%(n)s indicator sighted", { n }) : _("%(n)s indicators sighted", { n });
    default: return one ? _("%(n)s indicator %(change)s", { n, change }) : _("%(n)s indicators %(change)s", { n, change });
  }
}

export function install(R) {
  const box = $("[data-room-clocks]");
  const incidents = new Map((R.boot.incidents || []).map((i) => [i.id, i]));

  function chip(incident, stage) {
    if (stage.colour === "done") return el("span", { class: "clock clock-done", text: stage.title + ": " + label("stage_status", stage.status).toLowerCase() });
    if (stage.colour === "waiting") return null;
    if (stage.colour === "revision") return el("span", { class: "clock clock-amber", text: _("%(stage)s: revision requested", { stage: stage.title }) });
    if (stage.due_t !== null) {
      // A drill's stage counts in exercise time (the header's clock): its deadline is a T+.
      const values = { ref: incident.ref, stage: stage.title, t: tPlus(stage.due_t) };
      return el("span", { class: "clock clock-" + stage.colour, title: _("%(ref)s %(stage)s (exercise time)", values) },
        [stage.overdue ? _("%(stage)s overdue since %(t)s", values) : _("%(stage)s due %(t)s", values)]);
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
      rows.push(el("a", { class: "small", href: R.boot.file_incident_url, text: _("File %(org)s's incident report", { org: R.me.org }) }));
    }
    box.replaceChildren(...rows);
    tick(box);
  }

  R.registerRenderer("incident", (ev, li) => {
    li.classList.add("ev-system");
    const stage = ev.stage_title || ev.stage;
    const what = {
      filed: () => _("filed"),
      stage_submitted: () => (ev.late ? _("%(stage)s submitted late", { stage }) : _("%(stage)s submitted", { stage })),
      stage_reviewed: () => (ev.decision === "accepted" ? _("%(stage)s accepted and forwarded", { stage })
        : _("%(stage)s: revision requested", { stage })),
      stage_overdue: () => _("%(stage)s is overdue", { stage }), consent: () => _("forwarding in full consented"),
      linked: () => _("linked to this room"),
      indicators: () => indicatorsText(ev.count, ev.change),
    }[ev.op];
    li.appendChild(el("div", { class: "ev-line" }, [
      ...fill(_("%(who)s incident report %(ref)s %(what)s"), {
        who: el("strong", {}, [bdi(ev.author ? ev.author.name : _("System"))]),
        // A link only for those the report itself is shared with (the room may be wider than its chain).
        ref: incidents.has(ev.incident_id) ? el("a", { href: "/incidents/" + ev.incident_id, text: ev.ref })
          : el("span", { text: ev.ref }),
        what: what ? what() : ev.op }),
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
