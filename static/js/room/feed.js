// How the core event kinds look in the feed. Rendering depends only on the
// event and on who is looking (role), never on when it arrived: a feed built
// live and one rebuilt after a reload are the same DOM.
import { el, bdi, fill } from "../dom.js";
import { _ } from "../i18n.js";
import { dateTime, timeOfDay } from "../time.js";
import { label } from "../labels.js";

export function authorLine(room, ev, kindLabel) {
  const who = ev.author ? ev.author.name : _("System");
  const org = ev.author ? ev.author.org : "";
  return el("div", { class: "ev-head" }, [
    bdi(who, "ev-who"),
    org ? bdi(org, "ev-org") : null,
    kindLabel ? el("span", { class: "ev-kind", text: kindLabel }) : null,
    el("time", { class: "ev-time", datetime: ev.created_at, title: dateTime(ev.created_at, room.zone), text: timeOfDay(ev.created_at, room.zone) }),
    el("span", { class: "ev-seq", text: "#" + ev.seq }),
  ]);
}

export function systemLine(room, ev, children) {
  return el("div", { class: "ev-line" }, [
    ...children,
    el("time", { class: "ev-time", datetime: ev.created_at, title: dateTime(ev.created_at, room.zone), text: timeOfDay(ev.created_at, room.zone) }),
    el("span", { class: "ev-seq", text: "#" + ev.seq }),
  ]);
}

function changeText(ev) {
  if (ev.op === "opened") return _("opened the room");
  const parts = [];
  for (const [k, v] of Object.entries(ev.changes || {})) {
    if (k === "orgs") {
      const names = ev.org_names || {};
      const before = new Set(v[0]), after = new Set(v[1]);
      const added = v[1].filter((i) => !before.has(i)).map((i) => names[i] || _("organisation %(id)s", { id: i }));
      const removed = v[0].filter((i) => !after.has(i)).map((i) => (ev.removed_org_names || {})[i] || _("organisation %(id)s", { id: i }));
      if (added.length) parts.push(_("added %(orgs)s", { orgs: added.join(", ") }));
      if (removed.length) parts.push(_("removed %(orgs)s", { orgs: removed.join(", ") }));
    } else if (k === "summary") parts.push(_("updated the summary"));
    else if (k === "sitrep_cadence_min") parts.push(v[1] ? _("set sitreps every %(min)s min", { min: v[1] }) : _("turned the sitrep cadence off"));
    else if (k === "decision_quorum_pct") parts.push(_("set the decision quorum to %(pct)s", { pct: v[1] + " %" }));
    else if (k === "tlp") {
      parts.push(v[0] ? _("marking %(from)s → %(to)s", { from: "TLP:" + v[0], to: "TLP:" + v[1] }) : _("marking %(to)s", { to: "TLP:" + v[1] }));
    } else if (k === "title") parts.push(_("renamed the room to “%(title)s”", { title: v[1] }));
    else {
      const vocab = k === "status" ? "room_status" : k === "severity" ? "severity" : k;
      parts.push(label("field", k).toLowerCase() + " " + (v[0] === null ? label(vocab, v[1])
        : _("%(from)s → %(to)s", { from: label(vocab, v[0]), to: label(vocab, v[1]) })));
    }
  }
  return parts.join("; ");
}

function droppedText(ev) {
  if (!ev.dropped || !ev.dropped.length) return null;
  return el("div", { class: "ev-body small" }, [
    _("No longer in the room: %(people)s", { people: ev.dropped.map((d) => d.user + " (" + d.org + ")").join(", ") }) +
    (ev.dropped_reason ? " — " + ev.dropped_reason : ""),
  ]);
}

/** Render one event of a core kind into ``li``; false when the kind is not a core one. */
export function renderCore(room, ev, li) {
  const mine = ev.author && ev.author.id === room.me.id;
  switch (ev.kind) {
    case "message": {
      li.appendChild(authorLine(room, ev));
      const body = el("div", { class: "ev-body md", dir: "auto" });
      if (ev.redacted) { body.textContent = _("Message redacted."); body.className = "ev-body redacted"; }
      else body.innerHTML = ev.body_html;
      li.appendChild(body);
      if (ev.edited_seq && !ev.redacted) li.appendChild(el("span", { class: "ev-note", text: _("edited") }));
      if (!ev.redacted && ev.author && (mine || room.role() === "lead") && room.canWrite()) {
        li.appendChild(el("div", { class: "ev-tools" }, [
          el("button", { type: "button", class: "btn btn-quiet btn-small", "data-edit": String(ev.seq), text: _("Edit") }),
          el("button", { type: "button", class: "btn btn-quiet btn-small", "data-redact": String(ev.seq), text: _("Redact") }),
        ]));
      }
      return true;
    }
    case "timeline":
      li.appendChild(authorLine(room, ev, _("timeline")));
      li.appendChild(el("div", { class: "ev-body" }, [
        el("span", { class: "cat cat-" + ev.category, text: label("timeline_category", ev.category) }), " ",
        el("time", { datetime: ev.occurred_at, text: dateTime(ev.occurred_at, room.zone) }),
      ]));
      li.appendChild(el("div", { class: "ev-body md", dir: "auto", html: ev.body_html }));
      return true;
    case "action": {
      li.appendChild(authorLine(room, ev, _("action")));
      const what = ev.op === "create" ? _("New action: %(title)s") : _("Action updated: %(title)s");
      let detail = "";
      if (ev.op === "create") detail = ev.assignee_org ? " " + _("→ %(org)s", { org: ev.assignee_org }) : "";
      else {
        const nobody = _("nobody");
        detail = " — " + Object.entries(ev.changes || {}).map(([k, v]) => {
          if (k === "status") return _("status %(status)s", { status: label("action_status", v[1]) });
          if (k === "due_at") return v[1] ? _("due %(when)s", { when: dateTime(v[1], room.zone) }) : _("due none");
          if (k === "assignee_org_id") return _("assigned to %(who)s", { who: ev.assignee_org || nobody });
          if (k === "assignee_user_id") return _("assigned to %(who)s", { who: ev.assignee_user || nobody });
          return label("field", k).toLowerCase() + " " + v[1];
        }).join(", ");
      }
      li.appendChild(el("div", { class: "ev-body" }, [...fill(what, { title: el("strong", {}, [bdi(ev.title)]) }), detail]));
      if (ev.body_html) li.appendChild(el("div", { class: "ev-body md", dir: "auto", html: ev.body_html }));
      return true;
    }
    case "sitrep": {
      li.appendChild(authorLine(room, ev, _("sitrep")));
      const det = el("details", { class: "sitrep-body" }, [el("summary", { text: _("Situation report from %(org)s", { org: ev.org }) })]);
      det.appendChild(el("div", { class: "md", dir: "auto", html: ev.body_html }));
      li.appendChild(det);
      return true;
    }
    case "status":
      li.classList.add("ev-system");
      li.appendChild(systemLine(room, ev, [el("strong", {}, [bdi(ev.author ? ev.author.name : _("System"))]), " " + changeText(ev)]));
      { const d = droppedText(ev); if (d) li.appendChild(d); }
      return true;
    case "member": {
      li.classList.add("ev-system");
      const values = { user: ev.user, org: ev.org, role: label("room_role", ev.role).toLowerCase() };
      const verb = ev.op === "add" ? _("named %(user)s (%(org)s) %(role)s", values) :
        ev.op === "remove" ? _("removed %(user)s", values) + (ev.reason ? " — " + ev.reason : "") :
          _("made %(user)s %(role)s", values);
      li.appendChild(systemLine(room, ev, [el("strong", {}, [bdi(ev.author ? ev.author.name : _("System"))]), " " + verb]));
      return true;
    }
    case "restricted":
      return true;
    default:
      return false;
  }
}

/** Kinds without a renderer of their own: who, what kind, title and text. */
export function renderGeneric(room, ev, li) {
  li.appendChild(authorLine(room, ev, label("event_kind", ev.kind).toLowerCase()));
  if (ev.title) li.appendChild(el("div", { class: "ev-body" }, [el("strong", {}, [bdi(ev.title)])]));
  if (ev.body_html) li.appendChild(el("div", { class: "ev-body md", dir: "auto", html: ev.body_html }));
}
