// The live room client.
//
// Events are ordered by seq, never by arrival: the feed shows the contiguous
// run 1..`shown` and holds anything after a gap until REST fills it. On every
// (re)connect the client joins with `since` = its last contiguous seq, so
// nothing is missed and duplicates are dropped by seq. Posts carry a client
// id and are retried with the same id, so a retry never doubles a message.
(function () {
  "use strict";

  var bootEl = document.getElementById("room-boot");
  if (!bootEl) return;
  var boot = JSON.parse(bootEl.textContent);
  var room = boot.room;
  var me = boot.me;
  var role = room.role;
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  var els = {
    feed: $("[data-feed]"), events: $("[data-events]"), conn: $("[data-conn]"),
    loadEarlier: $("[data-load-earlier]"), feedStart: $("[data-feed-start]"), newBelow: $("[data-new-below]"),
    composer: $("[data-composer]"), text: $("[data-composer-text]"), preview: $("[data-preview]"),
    previewToggle: $("[data-preview-toggle]"), composerError: $("[data-composer-error]"),
    composerMode: $("[data-composer-mode]"), cancelEdit: $("[data-cancel-edit]"),
    timeline: $("[data-timeline]"), actions: $("[data-actions]"), sitreps: $("[data-sitreps]"),
    people: $("[data-people]"), orgsOnline: $("[data-orgs-online]"), members: $("[data-members]"),
    roomOrgs: $("[data-room-orgs]"), cadence: $("[data-cadence]"), removed: $("[data-removed]")
  };

  // ---- time -------------------------------------------------------------
  var zone = boot.timezone;
  var fmtTime = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
  var fmtFull = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  function when(iso, full) { if (!iso) return ""; var d = new Date(iso); return (full ? fmtFull : fmtTime).format(d); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "html") node.innerHTML = attrs[k]; // only server-sanitised HTML is passed here
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // ---- state ------------------------------------------------------------
  var events = new Map();      // seq -> event, everything shown
  var held = new Map();        // seq -> event, waiting behind a gap
  var shown = 0;               // highest contiguous seq applied
  var first = null;            // lowest seq loaded (history pages go below it)
  var filling = false;
  var unread = 0;
  var unreadMarker = null;
  var baseTitle = document.title;
  var actions = new Map();
  boot.actions.forEach(function (a) { actions.set(a.id, a); });
  var presence = { members: [], orgs: [] };

  // Follow the newest events unless the reader scrolled up: decided by the
  // reader's own scrolling, not re-measured at each insert (layout shifts of
  // other panels must not unstick the feed).
  var stick = true;
  function atBottom() { return els.feed.scrollHeight - els.feed.scrollTop - els.feed.clientHeight < 40; }
  function scrollToBottom() { els.feed.scrollTop = els.feed.scrollHeight; stick = true; }
  if ("ResizeObserver" in window) {
    new ResizeObserver(function () { if (stick) els.feed.scrollTop = els.feed.scrollHeight; }).observe(els.events);
  }

  // ---- rendering of one event -------------------------------------------
  function authorLine(ev, label) {
    var who = ev.author ? ev.author.name : "System";
    var org = ev.author ? ev.author.org : "";
    return el("div", { class: "ev-head" }, [
      el("span", { class: "ev-who", text: who }),
      org ? el("span", { class: "ev-org", text: org }) : null,
      label ? el("span", { class: "ev-kind", text: label }) : null,
      el("time", { class: "ev-time", datetime: ev.created_at, title: when(ev.created_at, true), text: when(ev.created_at) }),
      el("span", { class: "ev-seq", text: "#" + ev.seq })
    ]);
  }

  function changeText(ev) {
    var c = ev.changes || {};
    var parts = [];
    if (ev.op === "opened") return "opened the room";
    Object.keys(c).forEach(function (k) {
      var v = c[k];
      if (k === "orgs") {
        var names = ev.org_names || {};
        var before = new Set(v[0]), after = new Set(v[1]);
        var added = v[1].filter(function (i) { return !before.has(i); }).map(function (i) { return names[i] || ("org " + i); });
        var removed = v[0].filter(function (i) { return !after.has(i); }).map(function (i) { return "org " + i; });
        if (added.length) parts.push("added " + added.join(", "));
        if (removed.length) parts.push("removed " + removed.join(", "));
      } else if (k === "summary") parts.push("updated the summary");
      else if (k === "sitrep_cadence_min") parts.push(v[1] ? "set sitreps every " + v[1] + " min" : "turned sitrep cadence off");
      else parts.push(k + " " + (v[0] === null ? "" : v[0] + " → ") + v[1]);
    });
    return parts.join("; ");
  }

  var renderers = {};  // kind -> function(ev, li, authorLine): extensions render their kinds
  function renderEvent(ev) {
    var li = el("li", { class: "ev ev-" + ev.kind, "data-seq": String(ev.seq) });
    if (renderers[ev.kind]) {
      renderers[ev.kind](ev, li, authorLine);
    } else if (ev.kind === "message") {
      li.appendChild(authorLine(ev));
      var body = el("div", { class: "ev-body md" });
      if (ev.redacted) { body.textContent = "Message redacted."; body.className = "ev-body redacted"; }
      else body.innerHTML = ev.body_html;
      li.appendChild(body);
      if (ev.edited_seq) li.appendChild(el("span", { class: "ev-note", text: "edited" }));
      if (!ev.redacted && ev.author && (ev.author.id === me.id || role === "lead") && canWrite()) {
        li.appendChild(el("div", { class: "ev-tools" }, [
          el("button", { type: "button", class: "btn btn-quiet btn-small", "data-edit": String(ev.seq), text: "Edit" }),
          el("button", { type: "button", class: "btn btn-quiet btn-small", "data-redact": String(ev.seq), text: "Redact" })
        ]));
      }
    } else if (ev.kind === "timeline") {
      li.appendChild(authorLine(ev, "timeline"));
      li.appendChild(el("div", { class: "ev-body md" }, [
        el("span", { class: "cat cat-" + ev.category, text: ev.category }), " ",
        el("time", { datetime: ev.occurred_at, text: when(ev.occurred_at, true) })
      ]));
      li.appendChild(el("div", { class: "ev-body md", html: ev.body_html }));
    } else if (ev.kind === "action") {
      li.appendChild(authorLine(ev, "action"));
      var what = ev.op === "create" ? "New action: " : "Action updated: ";
      var detail = ev.op === "create" ? (ev.assignee_org ? " → " + ev.assignee_org : "") :
        " — " + Object.keys(ev.changes || {}).map(function (k) { return k.replace("assignee_", "") + " " + ev.changes[k][1]; }).join(", ");
      li.appendChild(el("div", { class: "ev-body" }, [what, el("strong", { text: ev.title }), detail]));
      if (ev.body_html) li.appendChild(el("div", { class: "ev-body md", html: ev.body_html }));
    } else if (ev.kind === "sitrep") {
      li.appendChild(authorLine(ev, "sitrep"));
      var det = el("details", { class: "sitrep-body" }, [el("summary", { text: "Situation report from " + ev.org })]);
      det.appendChild(el("div", { class: "md", html: ev.body_html }));
      li.appendChild(det);
    } else if (ev.kind === "decision") {
      li.appendChild(authorLine(ev, "decision"));
      var d = ev.decision || {};
      var line = {
        proposed: "proposed a decision: ", superseded: "proposed a decision superseding #" + ev.supersedes + ": ",
        position: (ev.org || "") + (ev.changed ? " changed its position to " : " took the position ") + (ev.position || "") + " on ",
        closed: "decision " + (ev.outcome === "adopted" ? "ADOPTED" + (ev.chosen_option ? " (" + ev.chosen_option + ")" : "") : ev.outcome === "rejected" ? "REJECTED" : "closed without quorum") + ": "
      }[ev.op] || "";
      li.appendChild(el("div", { class: "ev-body" }, [line, el("a", { href: "#decision-" + ev.decision_id, "data-decision-jump": String(ev.decision_id), text: "#" + ev.decision_id + " " + (d.title || "") })]));
    } else if (ev.kind === "status") {
      li.className += " ev-system";
      li.appendChild(el("div", { class: "ev-line" }, [
        el("strong", { text: ev.author ? ev.author.name : "System" }), " " + changeText(ev),
        el("time", { class: "ev-time", datetime: ev.created_at, text: when(ev.created_at) }),
        el("span", { class: "ev-seq", text: "#" + ev.seq })
      ]));
    } else if (ev.kind === "member") {
      li.className += " ev-system";
      var verb = ev.op === "add" ? "named " + ev.user + " (" + ev.org + ") " + ev.role :
        ev.op === "remove" ? "removed " + ev.user : "made " + ev.user + " " + ev.role;
      li.appendChild(el("div", { class: "ev-line" }, [
        el("strong", { text: ev.author ? ev.author.name : "System" }), " " + verb,
        el("time", { class: "ev-time", datetime: ev.created_at, text: when(ev.created_at) }),
        el("span", { class: "ev-seq", text: "#" + ev.seq })
      ]));
    } else {
      li.appendChild(authorLine(ev, ev.kind));
      if (ev.title) li.appendChild(el("div", { class: "ev-body" }, [el("strong", { text: ev.title })]));
      if (ev.body_html) li.appendChild(el("div", { class: "ev-body md", html: ev.body_html }));
    }
    return li;
  }

  // Insert in seq order (history pages arrive below what is shown).
  function place(li, seq) {
    var after = null;
    var nodes = els.events.children;
    for (var i = 0; i < nodes.length; i++) {
      var s = Number(nodes[i].getAttribute("data-seq"));
      if (s > seq) { after = nodes[i]; break; }
    }
    els.events.insertBefore(li, after);
  }

  function hiddenInFeed(ev) { return ev.kind === "restricted" || (ev.kind === "message" && (ev.edits || ev.redacts)); }

  // Apply one event's effects (panels, header, edits of earlier messages).
  function effects(ev, live) {
    if (ev.kind === "message" && (ev.edits || ev.redacts)) {
      var target = events.get(ev.edits || ev.redacts);
      if (target) {
        if (ev.redacts) { target.redacted = true; target.body_html = ""; }
        else { target.body_html = ev.body_html; target.body = ev.body; target.edited_seq = ev.seq; }
        var old = els.events.querySelector('[data-seq="' + target.seq + '"]');
        if (old) old.replaceWith(renderEvent(target));
      }
    } else if (ev.kind === "timeline") {
      renderTimeline();
    } else if (ev.kind === "action" && live) {
      var a = actions.get(ev.action_id) || {};
      ["title", "status", "assignee_org_id", "assignee_org", "assignee_user_id", "assignee_user", "due_at"].forEach(function (k) { a[k] = ev[k]; });
      a.id = ev.action_id;
      actions.set(ev.action_id, a);
      renderActions();
    } else if (ev.kind === "sitrep" && live) {
      refreshSitreps();
    } else if (ev.kind === "status" && live) {
      var c = ev.changes || {};
      ["title", "severity", "status", "tlp"].forEach(function (k) { if (c[k]) room[k] = c[k][1]; });
      if (c.sitrep_cadence_min) { room.sitrep_cadence_min = c.sitrep_cadence_min[1]; refreshSitreps(); }
      if (c.orgs) { refreshRoom(); }
      renderHeader();
    } else if (ev.kind === "member" && live) {
      refreshRoom();
    }
  }

  function announce(ev, live) {
    document.dispatchEvent(new CustomEvent("council:event", { detail: { event: ev, live: live } }));
  }

  function show(ev, live) {
    if (events.has(ev.seq)) return;
    events.set(ev.seq, ev);
    if (first === null || ev.seq < first) first = ev.seq;
    if (!hiddenInFeed(ev)) {
      place(renderEvent(ev), ev.seq);
      if (live) noteUnread(ev);
      if (stick) scrollToBottom(); else if (live) els.newBelow.hidden = false;
    }
    effects(ev, live);
    announce(ev, live);
  }

  // An event may arrive in several forms (stub < redacted copy < full, sent to
  // the room and to audience channels): a richer form replaces a poorer one.
  function rank(ev) { return ev.kind === "restricted" ? 0 : ev.partial ? 1 : 2; }
  function upgrade(ev) {
    if (held.has(ev.seq)) { held.set(ev.seq, ev); return; }
    events.set(ev.seq, ev);
    var old = els.events.querySelector('[data-seq="' + ev.seq + '"]');
    if (old) old.remove();
    if (!hiddenInFeed(ev)) place(renderEvent(ev), ev.seq);
    effects(ev, true);
    announce(ev, true);
  }

  // Feed one event in; apply everything now contiguous; fill gaps by REST.
  function receive(ev, live) {
    var have = events.get(ev.seq) || held.get(ev.seq);
    if (have) { if (rank(ev) > rank(have)) upgrade(ev); return; }
    if (ev.seq <= shown) return;
    held.set(ev.seq, ev);
    while (held.has(shown + 1)) {
      var next = held.get(shown + 1);
      held.delete(shown + 1);
      shown = next.seq;
      show(next, live);
    }
    if (held.size && !filling) fillGap();
  }

  function fillGap() {
    filling = true;
    api("GET", "/rooms/" + room.id + "/events?since=" + shown + "&limit=500").then(function (page) {
      filling = false;
      page.events.forEach(function (ev) { receive(ev, true); });
    }).catch(function () { filling = false; setTimeout(function () { if (held.size) fillGap(); }, 2000); });
  }

  // ---- unread marker ----------------------------------------------------
  function away() { return document.hidden || !stick; }
  function noteUnread(ev) {
    if (ev.author && ev.author.id === me.id) return;
    if (!away()) return;
    unread += 1;
    if (!unreadMarker) {
      unreadMarker = el("li", { class: "unread-marker", role: "separator", "aria-label": "New since you were away" }, [el("span", { text: "New since you were away" })]);
      var li = els.events.querySelector('[data-seq="' + ev.seq + '"]');
      if (li) els.events.insertBefore(unreadMarker, li);
    }
    document.title = "(" + unread + ") " + baseTitle;
  }
  function clearUnread() {
    if (!away()) { unread = 0; document.title = baseTitle; els.newBelow.hidden = true; }
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && unreadMarker) setTimeout(function () { clearUnread(); }, 0);
  });
  els.feed.addEventListener("scroll", function () { stick = atBottom(); if (stick) clearUnread(); });
  els.newBelow.addEventListener("click", function () { scrollToBottom(); clearUnread(); });

  // ---- history paging ---------------------------------------------------
  function loadEarlier() {
    if (first === null || first <= 1) return;
    els.loadEarlier.disabled = true;
    var height = els.feed.scrollHeight;
    api("GET", "/rooms/" + room.id + "/events?before=" + first + "&limit=50").then(function (page) {
      page.events.forEach(function (ev) {
        if (events.has(ev.seq)) return;
        events.set(ev.seq, ev);
        first = Math.min(first, ev.seq);
        if (!hiddenInFeed(ev)) place(renderEvent(ev), ev.seq);
      });
      // Older edits/redactions may target messages now loaded.
      page.events.forEach(function (ev) { if (hiddenInFeed(ev)) effects(ev, false); });
      els.feed.scrollTop += els.feed.scrollHeight - height;   // keep the reader's place
      stick = atBottom();
      els.loadEarlier.disabled = false;
      els.loadEarlier.hidden = !page.has_more;
      els.feedStart.hidden = page.has_more;
      renderTimeline();
    }).catch(function () { els.loadEarlier.disabled = false; });
  }
  els.loadEarlier.addEventListener("click", loadEarlier);
  if ("IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      if (entries[0].isIntersecting && !els.loadEarlier.hidden && !els.loadEarlier.disabled) loadEarlier();
    }, { root: els.feed }).observe($("[data-feed-top]"));
  }

  // ---- REST -------------------------------------------------------------
  function api(method, path, body) {
    return fetch("/api/v1" + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().then(function (data) { if (!r.ok) { var e = new Error(data.error || r.statusText); e.data = data; throw e; } return data; });
    });
  }

  // ---- panels -----------------------------------------------------------
  function canWrite() { return (role === "lead" || role === "member") && room.status !== "closed"; }

  function renderHeader() {
    $("[data-room-title]").textContent = room.title;
    var sev = $("[data-room-severity]"); sev.textContent = room.severity; sev.className = "sev sev-" + room.severity;
    var st = $("[data-room-status]"); st.textContent = room.status; st.className = "tag status-" + room.status;
    var banner = $("[data-tlp-banner]"); banner.className = "tlp-banner tlp-" + room.tlp;
    $("[data-tlp-text]").textContent = "TLP:" + room.tlp;
    $("[data-my-role]").textContent = role;
    els.composer.hidden = !canWrite();
    $$("[data-writer]").forEach(function (d) { d.hidden = !canWrite(); });
    $("[data-lead]").hidden = role !== "lead";
    var inOrg = room.orgs.some(function (o) { return o.id === me.org_id; });
    $("[data-sitrep-writer]").hidden = !(canWrite() && inOrg);
    var form = $("[data-status-form]");
    if (form) {
      form.status.value = room.status; form.severity.value = room.severity; form.tlp.value = room.tlp;
      form.sitrep_cadence_min.value = room.sitrep_cadence_min || "";
    }
    els.cadence.textContent = room.sitrep_cadence_min ? "· every " + room.sitrep_cadence_min + " min" : "";
    els.roomOrgs.textContent = room.orgs.map(function (o) { return o.name; }).join(", ");
    var orgSelect = $("#ac-org");
    orgSelect.innerHTML = "";
    orgSelect.appendChild(el("option", { value: "", text: "—" }));
    room.orgs.forEach(function (o) { orgSelect.appendChild(el("option", { value: String(o.id), text: o.name })); });
    var addSel = $("#org-add");
    addSel.innerHTML = "";
    var inRoom = new Set(room.orgs.map(function (o) { return o.id; }));
    boot.orgs.filter(function (o) { return !inRoom.has(o.id); }).forEach(function (o) {
      addSel.appendChild(el("option", { value: String(o.id), text: o.name }));
    });
    renderMembers();
  }

  function renderMembers() {
    els.members.innerHTML = "";
    var online = new Set(presence.members.map(function (m) { return m.id; }));
    room.members.forEach(function (m) {
      var li = el("li", { class: "member" + (online.has(m.user_id) ? " online" : "") }, [
        el("span", { class: "dot", "aria-hidden": "true" }),
        el("span", { text: m.name }), el("span", { class: "muted small", text: " · " + m.org }),
        el("span", { class: "tag role-" + m.role, text: m.role })
      ]);
      if (role === "lead" && m.user_id !== me.id) {
        li.appendChild(el("button", { type: "button", class: "btn btn-quiet btn-small", "data-remove-member": String(m.user_id), "aria-label": "Remove " + m.name, text: "✕" }));
      }
      els.members.appendChild(li);
    });
  }

  function renderPresence() {
    els.people.innerHTML = "";
    els.orgsOnline.innerHTML = "";
    var here = new Set(presence.orgs.map(function (o) { return o.id; }));
    room.orgs.forEach(function (o) {
      var p = presence.orgs.find(function (x) { return x.id === o.id; });
      els.orgsOnline.appendChild(el("li", { class: here.has(o.id) ? "org-on" : "org-off" }, [
        el("span", { class: "dot", "aria-hidden": "true" }), el("span", { text: o.name }),
        el("span", { class: "muted small", text: p ? " " + p.count + " online" : " not represented" })
      ]));
    });
    presence.orgs.filter(function (o) { return !room.orgs.some(function (r) { return r.id === o.id; }); }).forEach(function (o) {
      els.orgsOnline.appendChild(el("li", { class: "org-on" }, [el("span", { class: "dot", "aria-hidden": "true" }), el("span", { text: o.name }), el("span", { class: "muted small", text: " " + o.count + " online (observing)" })]));
    });
    presence.members.forEach(function (m) {
      els.people.appendChild(el("li", {}, [el("span", { class: "dot on", "aria-hidden": "true" }), el("span", { text: m.name }), el("span", { class: "muted small", text: " · " + m.org })]));
    });
    renderMembers();
  }

  function renderTimeline() {
    var items = [];
    events.forEach(function (ev) { if (ev.kind === "timeline") items.push(ev); });
    items.sort(function (a, b) { return a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : a.seq - b.seq; });
    els.timeline.innerHTML = "";
    if (!items.length) els.timeline.appendChild(el("li", { class: "muted", text: "No timeline entries yet." }));
    items.forEach(function (ev) {
      els.timeline.appendChild(el("li", { class: "tl-item" }, [
        el("time", { datetime: ev.occurred_at, text: when(ev.occurred_at, true) }),
        el("span", { class: "cat cat-" + ev.category, text: ev.category }),
        el("div", { class: "md", html: ev.body_html })
      ]));
    });
  }

  function renderActions() {
    els.actions.innerHTML = "";
    var list = Array.from(actions.values()).sort(function (a, b) { return (a.status === "done" || a.status === "cancelled") - (b.status === "done" || b.status === "cancelled") || a.id - b.id; });
    if (!list.length) els.actions.appendChild(el("li", { class: "muted", text: "No action items yet." }));
    list.forEach(function (a) {
      var overdue = a.due_at && new Date(a.due_at) < new Date() && a.status !== "done" && a.status !== "cancelled";
      var li = el("li", { class: "action action-" + a.status + (overdue ? " overdue" : "") }, [
        el("div", { class: "action-title", text: a.title }),
        el("div", { class: "muted small" }, [
          (a.assignee_org || a.assignee_user || "unassigned"),
          a.due_at ? " · due " + when(a.due_at, true) : "", overdue ? " · overdue" : ""
        ])
      ]);
      if (canWrite()) {
        var sel = el("select", { "aria-label": "Status of " + a.title, "data-action-status": String(a.id) });
        ["open", "in_progress", "done", "cancelled"].forEach(function (s) {
          var o = el("option", { value: s, text: s.replace("_", " ") }); if (s === a.status) o.selected = true; sel.appendChild(o);
        });
        li.appendChild(sel);
      } else {
        li.appendChild(el("span", { class: "tag", text: a.status.replace("_", " ") }));
      }
      els.actions.appendChild(li);
    });
  }

  function renderSitreps(list) {
    els.sitreps.innerHTML = "";
    list.forEach(function (s) {
      var label = { reported: "reported", due: "due", overdue: "overdue", none: s.last_at ? "last " + when(s.last_at) : "no report" }[s.state];
      els.sitreps.appendChild(el("li", { class: "sitrep sitrep-" + s.state }, [
        el("span", { class: "dot", "aria-hidden": "true" }), el("span", { text: s.org }),
        el("span", { class: "tag sitrep-tag-" + s.state, text: label }),
        s.last_seq ? el("a", { href: "#seq-" + s.last_seq, "data-jump": String(s.last_seq), class: "small", text: when(s.last_at) }) : null
      ]));
    });
  }

  function refreshSitreps() { api("GET", "/rooms/" + room.id + "/sitreps").then(function (d) { renderSitreps(d.orgs); }).catch(function () {}); }
  function refreshRoom() {
    api("GET", "/rooms/" + room.id).then(function (r) {
      room = r; role = r.role; renderHeader(); renderPresence(); refreshSitreps();
    }).catch(function () {});
  }
  setInterval(refreshSitreps, 60000);

  // Post with a client id; retry with the same id until the server answers.
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function post(payload, attempt) {
    payload.room = room.id;
    payload.client_id = payload.client_id || newClientId();
    attempt = attempt || 0;
    return new Promise(function (resolve, reject) {
      socket.timeout(8000).emit("post", payload, function (err, ack) {
        if (err) {
          if (attempt < 5) { setTimeout(function () { post(payload, attempt + 1).then(resolve, reject); }, 500 * (attempt + 1)); }
          else reject(new Error("Not sent: connection lost. Your text is kept; try again."));
          return;
        }
        if (!ack.ok) { var e = new Error(ack.error + (ack.fields ? " " + Object.values(ack.fields).join(" ") : "")); reject(e); return; }
        receive(ack.event, true);
        resolve(ack);
      });
    });
  }

  // ---- composer ---------------------------------------------------------
  var editing = null;
  function setEditing(seq) {
    editing = seq;
    els.composerMode.textContent = seq ? "Editing message #" + seq : "Message";
    els.cancelEdit.hidden = !seq;
    if (seq) { els.text.value = events.get(seq).body; els.text.focus(); }
  }
  els.cancelEdit.addEventListener("click", function () { setEditing(null); els.text.value = ""; });
  function send() {
    var text = els.text.value;
    if (!text.trim()) return;
    els.composerError.textContent = "";
    var btn = $("[data-send]");
    btn.disabled = true;
    var payload = { kind: "message", body: text };
    if (editing) payload.edits = editing;
    post(payload).then(function () {
      els.text.value = ""; setEditing(null);
      if (!els.preview.hidden) togglePreview();
      scrollToBottom();
    }).catch(function (e) { els.composerError.textContent = e.message; })
      .then(function () { btn.disabled = false; els.text.focus(); });
  }
  els.composer.addEventListener("submit", function (ev) { ev.preventDefault(); send(); });
  els.text.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); send(); }
    if (ev.key === "Escape" && editing) { setEditing(null); els.text.value = ""; }
  });
  function togglePreview() {
    var on = els.preview.hidden;
    els.previewToggle.setAttribute("aria-pressed", String(on));
    if (!on) { els.preview.hidden = true; els.text.hidden = false; return; }
    api("POST", "/preview", { body: els.text.value }).then(function (d) {
      els.preview.innerHTML = d.html || "<p class=\"muted\">Nothing to preview.</p>";
      els.preview.hidden = false; els.text.hidden = true;
    }).catch(function (e) { els.composerError.textContent = e.message; });
  }
  els.previewToggle.addEventListener("click", togglePreview);

  els.events.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.matches("[data-edit]")) setEditing(Number(t.getAttribute("data-edit")));
    if (t.matches("[data-redact]")) {
      var seq = Number(t.getAttribute("data-redact"));
      if (window.confirm("Redact message #" + seq + "? Its text is hidden from everyone; the record keeps that it was redacted.")) {
        post({ kind: "message", redacts: seq }).catch(function (e) { window.alert(e.message); });
      }
    }
  });

  // ---- panel forms ------------------------------------------------------
  function formPost(form, build) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var payload = build(new FormData(form));
      var btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      post(payload).then(function () { form.reset(); renderHeader(); })
        .catch(function (e) { window.alert(e.message); })
        .then(function () { btn.disabled = false; });
    });
  }
  formPost($("[data-timeline-form]"), function (f) {
    return { kind: "timeline", occurred_at: f.get("occurred_at"), tz: zone, category: f.get("category"), body: f.get("body") };
  });
  formPost($("[data-action-form]"), function (f) {
    var p = { kind: "action", title: f.get("title"), tz: zone };
    if (f.get("assignee_org_id")) p.assignee_org_id = Number(f.get("assignee_org_id"));
    if (f.get("due_at")) p.due_at = f.get("due_at");
    return p;
  });
  formPost($("[data-sitrep-form]"), function (f) {
    var p = { kind: "sitrep" };
    ["situation", "impact", "actions_taken", "next_steps", "requests"].forEach(function (k) { p[k] = f.get(k); });
    return p;
  });
  formPost($("[data-status-form]"), function (f) {
    var p = { kind: "status" };
    ["status", "severity", "tlp"].forEach(function (k) { if (f.get(k) !== room[k]) p[k] = f.get(k); });
    var cad = f.get("sitrep_cadence_min");
    var cadVal = cad ? Number(cad) : null;
    if (cadVal !== (room.sitrep_cadence_min || null)) p.sitrep_cadence_min = cadVal;
    return p;
  });
  formPost($("[data-org-form]"), function (f) { return { kind: "status", orgs_add: [Number(f.get("org"))] }; });
  formPost($("[data-member-form]"), function (f) { return { kind: "member", op: "add", email: f.get("email"), role: f.get("role") }; });
  els.actions.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t.matches("[data-action-status]")) return;
    post({ kind: "action", action_id: Number(t.getAttribute("data-action-status")), status: t.value })
      .catch(function (e) { window.alert(e.message); renderActions(); });
  });
  els.members.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.matches("[data-remove-member]")) return;
    if (!window.confirm("Remove this member from the room?")) return;
    post({ kind: "member", op: "remove", user_id: Number(t.getAttribute("data-remove-member")) })
      .catch(function (e) { window.alert(e.message); });
  });
  els.sitreps.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.matches("[data-jump]")) return;
    ev.preventDefault();
    var li = els.events.querySelector('[data-seq="' + t.getAttribute("data-jump") + '"]');
    if (li) { li.scrollIntoView({ block: "center" }); li.classList.add("flash-target"); setTimeout(function () { li.classList.remove("flash-target"); }, 1500); }
  });

  var socket = null;
  function setConn(state, text) { els.conn.className = "conn conn-" + state; els.conn.textContent = text; }

  // ---- for room extensions (decisions.js, exercise consoles) ---------------
  window.councilRoom = {
    boot: boot, me: me, el: el, when: when, api: api, post: post, zone: zone, renderers: renderers,
    events: events,
    room: function () { return room; }, role: function () { return role; }, canWrite: canWrite
  };

  // ---- socket (connected in start) ----------------------------------------
  function connect() {
  socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  window.__roomSocket = socket;  // for operators' consoles and browser tests
  socket.on("connect", function () {
    setConn("connecting", "Joining…");
    // batch: what one transaction wrote arrives as one "events" list (busy rooms).
    socket.timeout(10000).emit("join", { room: room.id, since: shown, batch: true }, function (err, ack) {
      if (err || !ack) { setConn("down", "Reconnecting…"); return; }
      if (!ack.ok) { setConn("down", ack.error); return; }
      if (ack.role && ack.role !== role) { role = ack.role; renderHeader(); }
      ack.events.forEach(function (ev) { receive(ev, true); });
      if (ack.has_more || ack.latest_seq > shown) fillGap();
      setConn("live", "Live");
    });
  });
  socket.on("disconnect", function () { setConn("down", "Reconnecting…"); });
  socket.io.on("reconnect_attempt", function () { setConn("down", "Reconnecting…"); });
  socket.on("connect_error", function () { setConn("down", "Reconnecting…"); });
  socket.on("event", function (ev) { if (ev.room === room.id) receive(ev, true); });
  socket.on("events", function (batch) {
    if (batch.room === room.id) batch.events.forEach(function (ev) { receive(ev, true); });
  });
  socket.on("presence", function (p) { if (p.room === room.id) { presence = p; renderPresence(); } });
  socket.on("removed", function (p) {
    if (p.room !== room.id) return;
    els.removed.hidden = false; els.composer.hidden = true; setConn("down", "No access"); socket.disconnect();
  });
  }

  // ---- start ------------------------------------------------------------
  // After every deferred script has run, so extensions (decisions.js,
  // exercises.js) have registered their renderers and listeners.
  function start() {
  renderHeader();
  boot.events.forEach(function (ev) {
    if (first === null) { shown = ev.seq - 1; }
    receive(ev, false);
  });
  // Edits/redactions whose target came in the same first page.
  renderTimeline();
  renderActions();
  renderSitreps(boot.sitreps);
  renderPresence();
  scrollToBottom();
  connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
