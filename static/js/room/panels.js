// The room page around the feed: header, timeline, action items, sitreps,
// presence, members and the lead's forms. Each panel is redrawn from the
// client's state when an event or a room change concerns it.
import { $, $$, el, bdi, showError, clearError } from "../dom.js";
import { dateTime, timeOfDay } from "../time.js";
import { label } from "../labels.js";
import { _ } from "../i18n.js";

export function installPanels(room) {
  const boot = room.boot;
  const els = {
    timeline: $("[data-timeline]"), actions: $("[data-actions]"), sitreps: $("[data-sitreps]"),
    people: $("[data-people]"), orgsOnline: $("[data-orgs-online]"), members: $("[data-members]"),
    roomOrgs: $("[data-room-orgs]"), cadence: $("[data-cadence]"), removed: $("[data-removed]"),
  };
  const actions = new Map(boot.actions.map((a) => [a.id, a]));
  let presence = { members: [], orgs: [] };
  let sitreps = boot.sitreps;

  function renderHeader(r, role) {
    $("[data-room-title]").textContent = r.title;
    const sev = $("[data-room-severity]"); sev.textContent = label("severity", r.severity); sev.className = "sev sev-" + r.severity;
    const st = $("[data-room-status]"); st.textContent = label("room_status", r.status); st.className = "tag status-" + r.status;
    $("[data-tlp-banner]").className = "tlp-banner tlp-" + r.tlp;
    $("[data-tlp-text]").textContent = "TLP:" + r.tlp;
    $("[data-my-role]").textContent = boot.role_label || label("room_role", role);
    const writer = room.canWrite();
    $("[data-composer]").hidden = !writer;
    $$("[data-writer]").forEach((d) => { d.hidden = !writer; });
    $("[data-lead]").hidden = role !== "lead";
    const inOrg = r.orgs.some((o) => o.id === room.me.org_id);
    $("[data-sitrep-writer]").hidden = !(writer && inOrg);
    const form = $("[data-status-form]");
    if (form) {
      form.status.value = r.status; form.severity.value = r.severity; form.tlp.value = r.tlp;
      form.sitrep_cadence_min.value = r.sitrep_cadence_min || "";
    }
    els.cadence.textContent = r.sitrep_cadence_min ? "· " + _("every %(min)s min", { min: r.sitrep_cadence_min }) : "";
    els.roomOrgs.textContent = "";
    r.orgs.forEach((o, i) => { if (i) els.roomOrgs.append(", "); els.roomOrgs.appendChild(bdi(o.name)); });
    const orgSelect = $("#ac-org");
    orgSelect.replaceChildren(el("option", { value: "", text: "—" }),
      ...r.orgs.map((o) => el("option", { value: String(o.id), text: o.name })));
    const inRoom = new Set(r.orgs.map((o) => o.id));
    $("#org-add").replaceChildren(...boot.orgs.filter((o) => !inRoom.has(o.id))
      .map((o) => el("option", { value: String(o.id), text: o.name })));
    renderMembers();
    renderActions();
  }

  function renderMembers() {
    const r = room.room();
    const online = new Set(presence.members.map((m) => m.id));
    els.members.replaceChildren(...r.members.map((m) => {
      const li = el("li", { class: "member" + (online.has(m.user_id) ? " online" : "") }, [
        el("span", { class: "dot", "aria-hidden": "true" }),
        bdi(m.name), el("span", { class: "muted small" }, [" · ", bdi(m.org)]),
        el("span", { class: "tag role-" + m.role, text: label("room_role", m.role) }),
      ]);
      if (room.role() === "lead" && m.user_id !== room.me.id && room.room().status !== "closed") {
        li.appendChild(el("button", { type: "button", class: "btn btn-quiet btn-small", "data-remove-member": String(m.user_id), "aria-label": _("Remove %(name)s", { name: m.name }), text: "✕" }));
      }
      return li;
    }));
  }

  function renderPresence() {
    const r = room.room();
    const here = new Map(presence.orgs.map((o) => [o.id, o]));
    const rows = r.orgs.map((o) => {
      const p = here.get(o.id);
      return el("li", { class: p ? "org-on" : "org-off" }, [
        el("span", { class: "dot", "aria-hidden": "true" }), bdi(o.name),
        el("span", { class: "muted small", text: " " + (p ? _("%(n)s online", { n: p.count }) : _("not represented")) }),
      ]);
    });
    presence.orgs.filter((o) => !r.orgs.some((x) => x.id === o.id)).forEach((o) => {
      rows.push(el("li", { class: "org-on" }, [el("span", { class: "dot", "aria-hidden": "true" }), bdi(o.name),
        el("span", { class: "muted small", text: " " + _("%(n)s online (observing)", { n: o.count }) })]));
    });
    els.orgsOnline.replaceChildren(...rows);
    els.people.replaceChildren(...presence.members.map((m) => el("li", {}, [
      el("span", { class: "dot on", "aria-hidden": "true" }), bdi(m.name), el("span", { class: "muted small" }, [" · ", bdi(m.org)])])));
    renderMembers();
  }

  function renderTimeline() {
    const items = [...room.events.values()].filter((ev) => ev.kind === "timeline");
    items.sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : a.seq - b.seq));
    if (!items.length) { els.timeline.replaceChildren(el("li", { class: "muted", text: _("No timeline entries yet.") })); return; }
    els.timeline.replaceChildren(...items.map((ev) => el("li", { class: "tl-item" }, [
      el("time", { datetime: ev.occurred_at, text: dateTime(ev.occurred_at, room.zone) }),
      el("span", { class: "cat cat-" + ev.category, text: label("timeline_category", ev.category) }),
      el("div", { class: "md", dir: "auto", html: ev.body_html }),
    ])));
  }

  function renderActions() {
    const finished = (a) => a.status === "done" || a.status === "cancelled";
    const list = [...actions.values()].sort((a, b) => finished(a) - finished(b) || a.id - b.id);
    if (!list.length) { els.actions.replaceChildren(el("li", { class: "muted", text: _("No action items yet.") })); return; }
    els.actions.replaceChildren(...list.map((a) => {
      const overdue = a.due_at && new Date(a.due_at) < new Date() && !finished(a);
      const li = el("li", { class: "action action-" + a.status + (overdue ? " overdue" : "") }, [
        el("div", { class: "action-title" }, [bdi(a.title)]),
        el("div", { class: "muted small" }, [
          a.assignee_org || a.assignee_user || _("unassigned"),
          a.due_at ? " · " + _("due %(when)s", { when: dateTime(a.due_at, room.zone) }) : "", overdue ? " · " + _("overdue") : "",
        ]),
      ]);
      if (room.canWrite()) {
        const sel = el("select", { "aria-label": _("Status of %(title)s", { title: a.title }), "data-action-status": String(a.id) });
        ["open", "in_progress", "done", "cancelled"].forEach((s) => {
          const o = el("option", { value: s, text: label("action_status", s) }); if (s === a.status) o.selected = true; sel.appendChild(o);
        });
        li.appendChild(sel);
      } else {
        li.appendChild(el("span", { class: "tag", text: label("action_status", a.status) }));
      }
      return li;
    }));
  }

  function renderSitreps() {
    els.sitreps.replaceChildren(...sitreps.map((s) => {
      const text = { reported: () => _("reported"), due: () => _("due"), overdue: () => _("overdue"),
        none: () => (s.last_at ? _("last %(time)s", { time: timeOfDay(s.last_at, room.zone) }) : _("no report")) }[s.state];
      return el("li", { class: "sitrep sitrep-" + s.state }, [
        el("span", { class: "dot", "aria-hidden": "true" }), bdi(s.org),
        el("span", { class: "tag sitrep-tag-" + s.state, text: text ? text() : undefined }),
        s.last_seq ? el("a", { href: "#seq-" + s.last_seq, "data-jump": String(s.last_seq), class: "small", text: timeOfDay(s.last_at, room.zone) }) : null,
      ]);
    }));
  }

  function refreshSitreps() {
    room.api("GET", "/rooms/" + room.room().id + "/sitreps").then((d) => { sitreps = d.orgs; renderSitreps(); }).catch(() => {});
  }
  function refreshRoom() {
    room.api("GET", "/rooms/" + room.room().id).then((r) => { room.setRoom(r, r.role); refreshSitreps(); }).catch(() => {});
  }
  setInterval(refreshSitreps, 60000);

  room.onRoomChange(renderHeader);
  room.onEvent((ev, live) => {
    if (ev === null || ev.kind === "timeline") renderTimeline();
    if (!ev || !live) return;
    if (ev.kind === "action") {
      const a = actions.get(ev.action_id) || {};
      ["title", "status", "assignee_org_id", "assignee_org", "assignee_user_id", "assignee_user", "due_at"].forEach((k) => { a[k] = ev[k]; });
      a.id = ev.action_id;
      actions.set(ev.action_id, a);
      renderActions();
    } else if (ev.kind === "sitrep") {
      refreshSitreps();
    } else if (ev.kind === "status") {
      const c = ev.changes || {};
      const r = { ...room.room() };
      ["title", "severity", "status", "tlp"].forEach((k) => { if (c[k]) r[k] = c[k][1]; });
      if (c.sitrep_cadence_min) { r.sitrep_cadence_min = c.sitrep_cadence_min[1]; refreshSitreps(); }
      room.setRoom(r);
      if (c.orgs || c.status || ev.dropped) refreshRoom();
      if (c.status) room.rerenderAll();
    } else if (ev.kind === "member") {
      refreshRoom();
    }
  });
  room.onSocket("presence", (p) => { if (p.room === room.room().id) { presence = p; renderPresence(); } });
  room.onSocket("removed", (p) => {
    if (p.room !== room.room().id) return;
    els.removed.hidden = false; $("[data-composer]").hidden = true; room.setConn("down", _("No access")); room.socket.disconnect();
  });

  // ---- the forms of the side panels ---------------------------------------------------
  function formPost(form, build) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      clearError(form);
      const payload = build(new FormData(form));
      if (!payload) return;
      const btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      room.post(payload).then(() => form.reset())
        .catch((e) => showError(form, e))
        .finally(() => { btn.disabled = false; renderHeader(room.room(), room.role()); });
    });
  }
  formPost($("[data-timeline-form]"), (f) => ({ kind: "timeline", occurred_at: f.get("occurred_at"), tz: room.zone, category: f.get("category"), body: f.get("body") }));
  formPost($("[data-action-form]"), (f) => {
    const p = { kind: "action", title: f.get("title"), tz: room.zone };
    if (f.get("assignee_org_id")) p.assignee_org_id = Number(f.get("assignee_org_id"));
    if (f.get("due_at")) p.due_at = f.get("due_at");
    return p;
  });
  formPost($("[data-sitrep-form]"), (f) => {
    const p = { kind: "sitrep" };
    ["situation", "impact", "actions_taken", "next_steps", "requests"].forEach((k) => { p[k] = f.get(k); });
    return p;
  });
  formPost($("[data-status-form]"), (f) => {
    const r = room.room();
    const p = { kind: "status" };
    ["status", "severity", "tlp"].forEach((k) => { if (f.get(k) !== r[k]) p[k] = f.get(k); });
    const cad = f.get("sitrep_cadence_min");
    const cadVal = cad ? Number(cad) : null;
    if (cadVal !== (r.sitrep_cadence_min || null)) p.sitrep_cadence_min = cadVal;
    if (Object.keys(p).length === 1) { showError($("[data-status-form]"), new Error(_("Nothing to change: pick a new value first."))); return null; }
    return p;
  });
  formPost($("[data-org-form]"), (f) => ({ kind: "status", orgs_add: [Number(f.get("org"))] }));
  formPost($("[data-member-form]"), (f) => {
    const p = { kind: "member", op: "add", role: f.get("role") };
    const id = f.get("user_id");
    if (id) p.user_id = Number(id); else p.email = f.get("email");
    return p;
  });
  els.actions.addEventListener("change", (ev) => {
    const t = ev.target;
    if (!t.matches("[data-action-status]")) return;
    clearError(t);
    room.post({ kind: "action", action_id: Number(t.getAttribute("data-action-status")), status: t.value })
      .catch((e) => { renderActions(); showError(els.actions.querySelector('[data-action-status="' + t.getAttribute("data-action-status") + '"]') || els.actions, e); });
  });
  els.members.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-remove-member]");
    if (!t) return;
    if (!window.confirm(_("Remove this member from the room?"))) return;
    room.post({ kind: "member", op: "remove", user_id: Number(t.getAttribute("data-remove-member")) })
      .catch((e) => showError(t, e));
  });
  els.sitreps.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-jump]");
    if (!t) return;
    ev.preventDefault();
    jumpTo(room, t.getAttribute("data-jump"));
  });
  renderTimeline(); renderActions(); renderSitreps(); renderPresence();
}

/** Scroll the feed to an event and flash it. */
export function jumpTo(room, seq) {
  const li = room.list.querySelector('[data-seq="' + seq + '"]');
  if (!li) return;
  li.scrollIntoView({ block: "center" });
  li.classList.add("flash-target");
  setTimeout(() => li.classList.remove("flash-target"), 1500);
}
