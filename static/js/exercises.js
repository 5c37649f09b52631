// The exercise panel of an exercise room: the clock every participant sees,
// the controller console (upcoming injects with countdowns, release / hold /
// edit, per-team acknowledgement state, ad-hoc injects), the evaluator's
// observations, and the player's inbox. The clock is computed from the
// server's anchor (T+ at a wall time, speed), corrected for this browser's
// clock offset, so every screen shows the same T+.
(function () {
  "use strict";
  var R = window.councilRoom;
  var panel = document.querySelector("[data-exercise-panel]");
  if (!R || !panel || !R.boot.exercise) return;
  var el = R.el;
  var ex = R.boot.exercise;
  var staff = ["director", "controller", "evaluator"].indexOf(ex.role) >= 0;
  var controller = ex.role === "director" || ex.role === "controller";
  var injects = new Map();  // msel_id -> inject (staff view)
  (ex.injects || []).forEach(function (i) { injects.set(i.msel_id, i); });
  var inbox = new Map();    // inject seq -> inject event (players)
  var teamState = new Map(); // msel_id|team -> {acked, responded}
  (R.boot.responses || []).forEach(function (r) { teamState.set(r.msel_id + "|" + r.team_id, r); });
  var observations = (R.boot.observations || []).slice();
  var $ = function (s) { return panel.querySelector(s); };
  var skew = Date.now() - new Date(ex.server_now).getTime();  // this browser's clock minus the server's

  function tPlus() {
    if (ex.state !== "running" || !ex.clock_wall) return ex.clock_t_s;
    var now = Date.now() - skew;
    return ex.clock_t_s + Math.max(0, (now - new Date(ex.clock_wall).getTime()) / 1000) * ex.speed;
  }
  function fmt(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    return "T+" + String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  }
  function countdown(s) {
    if (s <= 0) return "due";
    var m = Math.floor(s / 60), sec = Math.floor(s % 60);
    return "in " + (m ? m + "m " : "") + String(sec).padStart(2, "0") + "s";
  }
  function fail(e) { window.alert(e.message); }
  function api(path, body) { return R.api("POST", "/exercises/" + ex.id + path, body || {}); }

  // ---- clock --------------------------------------------------------------
  function renderClock() {
    $("[data-ex-t]").textContent = fmt(tPlus());
    var st = $("[data-ex-state]");
    st.textContent = ex.state; st.className = "tag ex-state-" + ex.state;
    $("[data-ex-speed]").textContent = ex.speed + "× speed" + (staff ? " · you are " + ex.role : ex.role === "player" ? " · player" : " · " + ex.role);
    var controls = $("[data-ex-clock-controls]");
    controls.hidden = !controller;
    var allowed = { start: ["planned"], pause: ["running"], resume: ["paused"], end: ["running", "paused"], stop: ["planned", "running", "paused"] };
    controls.querySelectorAll("[data-clock]").forEach(function (b) {
      var op = b.getAttribute("data-clock");
      b.disabled = allowed[op].indexOf(ex.state) < 0;
      if (b.hasAttribute("data-director-only")) b.hidden = ex.role !== "director";
    });
  }
  $("[data-ex-clock-controls]").addEventListener("click", function (e) {
    var op = e.target.getAttribute && e.target.getAttribute("data-clock");
    if (!op) return;
    var body = {};
    if (op === "stop") {
      var reason = window.prompt("Real-world emergency: stop the exercise for everyone. Reason (shown to all):");
      if (reason === null) return;
      body.reason = reason;
    } else if (op === "end" && !window.confirm("ENDEX: end the exercise?")) return;
    api("/" + op, body).catch(fail);
  });

  // ---- controller console -------------------------------------------------
  function teamName(id) { var t = ex.teams.find(function (x) { return x.id === id; }); return t ? t.name : "team " + id; }

  function renderConsole() {
    var up = $("[data-ex-upcoming]"), done = $("[data-ex-released]");
    up.innerHTML = ""; done.innerHTML = "";
    var t = tPlus();
    var list = Array.from(injects.values());
    list.filter(function (i) { return i.status === "pending" || i.status === "held"; })
      .sort(function (a, b) { return a.offset_s - b.offset_s; }).forEach(function (i) {
        var due = (i.offset_s - t) / ex.speed;
        var li = el("li", { "data-msel": i.msel_id }, [
          el("div", { class: "ex-inject-head" }, [
            el("code", { text: i.msel_id }), el("span", { class: "mono small", text: i.offset }),
            el("strong", { text: i.title }),
            i.status === "held" ? el("span", { class: "tag tag-warn", text: "held" }) : null,
            i.release === "manual" ? el("span", { class: "tag", text: "manual" }) : null,
            i.depends_on ? el("span", { class: "muted small", text: "after " + i.depends_on }) : null,
            el("span", { class: "due", "data-due": String(i.offset_s), text: i.release === "manual" ? "" : ex.state === "running" ? countdown(due) : "" })
          ]),
          el("div", { class: "muted small", text: i.delivery + " · " + (i.from || "—") + " → " + i.to }),
          i.expected_action ? el("div", { class: "ex-staff-only", text: "Expected: " + i.expected_action }) : null
        ]);
        if (controller) {
          li.appendChild(el("div", { class: "ex-inject-tools" }, [
            el("button", { type: "button", class: "btn btn-small", "data-release": i.msel_id, text: "Release now" }),
            el("button", { type: "button", class: "btn btn-small", "data-hold": i.msel_id, text: i.status === "held" ? "Un-hold" : "Hold" }),
            el("button", { type: "button", class: "btn btn-small btn-quiet", "data-edit-inject": i.msel_id, text: "Edit" })
          ]));
        }
        up.appendChild(li);
      });
    if (!up.children.length) up.appendChild(el("li", { class: "muted", text: "No injects waiting." }));
    list.filter(function (i) { return i.status === "released"; })
      .sort(function (a, b) { return b.released_seq - a.released_seq; }).forEach(function (i) {
        var chips = el("div", { class: "ex-teamstate" });
        i.team_ids.forEach(function (tid) {
          var s = teamState.get(i.msel_id + "|" + tid) || {};
          var cls = s.responded ? "responded" : s.acked ? "acked" : "";
          chips.appendChild(el("span", { class: "tag " + cls, title: s.responded ? "responded" : s.acked ? "acknowledged" : "no acknowledgement yet",
            text: teamName(tid) + (s.responded ? " ✓✓" : s.acked ? " ✓" : " …") }));
        });
        done.appendChild(el("li", {}, [
          el("div", { class: "ex-inject-head" }, [el("code", { text: i.msel_id }),
            el("span", { class: "mono small", text: i.released_t_s != null ? fmt(i.released_t_s) : "" }),
            el("a", { href: "#", "data-jump": String(i.released_seq), text: i.title })]),
          chips
        ]));
      });
    if (!done.children.length) done.appendChild(el("li", { class: "muted", text: "Nothing released yet." }));
  }

  panel.addEventListener("click", function (e) {
    var t = e.target;
    if (!t.getAttribute) return;
    var id;
    if ((id = t.getAttribute("data-release"))) {
      api("/injects/" + encodeURIComponent(id) + "/release").then(function (i) { injects.set(i.msel_id, i); renderConsole(); }).catch(fail);
    } else if ((id = t.getAttribute("data-hold"))) {
      var held = injects.get(id).status !== "held";
      api("/injects/" + encodeURIComponent(id) + "/hold", { held: held }).then(function (i) { injects.set(i.msel_id, i); renderConsole(); }).catch(fail);
    } else if ((id = t.getAttribute("data-edit-inject"))) {
      editInject(t.closest("li"), injects.get(id));
    } else if ((id = t.getAttribute("data-jump"))) {
      e.preventDefault();
      var li = document.querySelector('[data-events] [data-seq="' + id + '"]');
      if (li) li.scrollIntoView({ block: "center" });
    }
  });

  function editInject(li, i) {
    if (li.querySelector("form")) return;
    var f = el("form", { class: "ex-edit" }, [
      el("label", { text: "Title" }), el("input", { name: "title", value: i.title, required: "required" }),
      el("label", { text: "To" }), el("input", { name: "to", value: i.to }),
      el("label", { text: "Message" }), el("textarea", { name: "message", rows: "3" }),
      el("label", { text: "Expected action" }), el("textarea", { name: "expected_action", rows: "2" }),
      el("button", { class: "btn btn-small", type: "submit", text: "Save before release" })
    ]);
    f.message.value = i.message; f.expected_action.value = i.expected_action || "";
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      api("/injects/" + encodeURIComponent(i.msel_id) + "/edit", { title: f.title.value, to: f.to.value, message: f.message.value, expected_action: f.expected_action.value })
        .then(function (n) { injects.set(n.msel_id, n); renderConsole(); }).catch(fail);
    });
    li.appendChild(f);
  }

  var adhoc = $("[data-ex-adhoc]");
  adhoc.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {};
    ["title", "from", "delivery", "to", "message", "expected_action"].forEach(function (k) { body[k] = adhoc[k].value; });
    R.api("POST", "/exercises/" + ex.id + "/injects", body).then(function (i) {
      injects.set(i.msel_id, i); adhoc.reset(); renderConsole();
    }).catch(fail);
  });

  // ---- evaluators ----------------------------------------------------------
  function fillEvaluator() {
    var f = $("[data-ex-observation]");
    ex.objectives.forEach(function (o) { f.objective_id.appendChild(el("option", { value: o.id, text: o.id + " " + o.text.slice(0, 60) })); });
    ex.capabilities.forEach(function (c) { f.capability.appendChild(el("option", { value: c, text: c })); });
    Array.from(injects.values()).forEach(function (i) { f.msel_id.appendChild(el("option", { value: i.msel_id, text: i.msel_id + " " + i.title.slice(0, 40) })); });
    ex.teams.forEach(function (t) { f.team_id.appendChild(el("option", { value: String(t.id), text: t.name })); });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var p = { kind: "observation", rating: f.rating.value, body: f.body.value, objective_id: f.objective_id.value,
        capability: f.capability.value, msel_id: f.msel_id.value };
      if (f.team_id.value) p.team_id = Number(f.team_id.value);
      if (f.evidence_seq.value) p.evidence_seq = Number(f.evidence_seq.value);
      var btn = f.querySelector("button"); btn.disabled = true;
      R.post(p).then(function () { f.body.value = ""; f.evidence_seq.value = ""; }).catch(fail).then(function () { btn.disabled = false; });
    });
  }
  function renderObservations() {
    var list = $("[data-ex-observations]");
    list.innerHTML = "";
    observations.slice().reverse().forEach(function (o) {
      list.appendChild(el("li", {}, [
        el("span", { class: "rating rating-" + o.rating, text: o.rating }), " ",
        el("span", { class: "mono small", text: fmt(o.t_plus_s) }), " ",
        el("span", { class: "muted small", text: [o.objective_id, o.capability, o.msel_id && "inject " + o.msel_id, o.team_id && teamName(o.team_id), o.evidence_seq && "evidence #" + o.evidence_seq].filter(Boolean).join(" · ") }),
        el("div", { class: "md", html: o.body_html })
      ]));
    });
    if (!observations.length) list.appendChild(el("li", { class: "muted", text: "No observations yet." }));
  }

  // ---- players' inbox ---------------------------------------------------------
  function renderInbox() {
    var list = $("[data-ex-inbox-list]");
    list.innerHTML = "";
    var items = Array.from(inbox.values()).sort(function (a, b) { return b.seq - a.seq; });
    items.forEach(function (ev) {
      var s = teamState.get(ev.msel_id + "|" + ex.team_id) || {};
      var li = el("li", {}, [
        el("div", { class: "ex-inject-head" }, [el("span", { class: "mono small", text: fmt(ev.t_plus_s || 0) }),
          el("a", { href: "#", "data-jump": String(ev.seq), text: ev.title }),
          el("span", { class: "tag " + (s.responded ? "tag-ok" : s.acked ? "tag-warn" : "tag-danger"), text: s.responded ? "responded" : s.acked ? "acknowledged" : "new" })])
      ]);
      var tools = el("div", { class: "ex-inject-tools" });
      if (!s.acked) tools.appendChild(el("button", { type: "button", class: "btn btn-small", "data-ack": String(ev.seq), text: "Acknowledge" }));
      tools.appendChild(el("button", { type: "button", class: "btn btn-small", "data-respond": String(ev.seq), text: "Respond" }));
      li.appendChild(tools);
      list.appendChild(li);
    });
    if (!items.length) list.appendChild(el("li", { class: "muted", text: "No injects for your team yet." }));
  }
  panel.addEventListener("click", function (e) {
    var t = e.target, seq;
    if (!t.getAttribute) return;
    if ((seq = t.getAttribute("data-ack"))) {
      t.disabled = true;
      R.post({ kind: "ack", inject_seq: Number(seq) }).catch(fail).then(function () { t.disabled = false; });
    } else if ((seq = t.getAttribute("data-respond"))) {
      var li = t.closest("li");
      if (li.querySelector("form")) return;
      var f = el("form", {}, [el("textarea", { name: "body", rows: "3", required: "required", "aria-label": "Response (markdown)", placeholder: "Your team's response (markdown)" }),
        el("button", { class: "btn btn-small", type: "submit", text: "Send response" })]);
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        R.post({ kind: "response", inject_seq: Number(seq), body: f.body.value }).then(function () { f.remove(); }).catch(fail);
      });
      li.appendChild(f);
      f.body.focus();
    }
  });

  // ---- the feed's look of exercise events ----------------------------------------
  var icons = { email: "✉ Email", phone: "☎ Phone call", media: "◉ Media", document: "▤ Document", room: "Inject" };
  R.renderers.inject = function (ev, li, authorLine) {
    li.appendChild(authorLine(ev, "inject " + ev.msel_id));
    var box = el("div", { class: "delivery delivery-" + ev.delivery });
    var meta = icons[ev.delivery] || "Inject";
    box.appendChild(el("div", { class: "delivery-meta", text: meta + (ev.from ? " from " + ev.from : "") + " · to " + ev.to + " · " + fmt(ev.t_plus_s || 0) }));
    box.appendChild(el("div", {}, [el("strong", { text: ev.title })]));
    box.appendChild(el("div", { class: "md", html: ev.body_html }));
    if (ev.expected_action) box.appendChild(el("div", { class: "ex-staff-only", text: "Expected action (staff only): " + ev.expected_action }));
    if (ev.notes) box.appendChild(el("div", { class: "ex-staff-only", text: "Controller notes: " + ev.notes }));
    li.appendChild(box);
  };
  R.renderers.clock = function (ev, li) {
    li.className += " ev-system";
    var text = { start: "STARTEX", pause: "Exercise paused", resume: "Exercise resumed", end: "ENDEX", stop: "REAL-WORLD EMERGENCY STOP" }[ev.op] || ev.op;
    li.appendChild(el("div", { class: "ev-line" }, [el("strong", { text: text }), " at " + fmt(ev.t_plus_s) + (ev.reason ? " — " + ev.reason : ""),
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  };
  R.renderers.ack = function (ev, li) {
    li.className += " ev-system";
    li.appendChild(el("div", { class: "ev-line" }, [el("strong", { text: ev.team }), " acknowledged inject " + ev.msel_id + " (" + Math.round(ev.after_s) + " s)",
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  };
  R.renderers.response = function (ev, li, authorLine) {
    li.appendChild(authorLine(ev, "response · " + ev.team + " · inject " + ev.msel_id));
    li.appendChild(el("div", { class: "ev-body md", html: ev.body_html }));
  };
  R.renderers.observation = function (ev, li, authorLine) {
    li.appendChild(authorLine(ev, "observation"));
    li.appendChild(el("div", { class: "ev-body" }, [el("span", { class: "rating rating-" + ev.rating, text: ev.rating }), " ",
      el("span", { class: "muted small", text: [ev.objective_id, ev.capability, ev.msel_id && "inject " + ev.msel_id].filter(Boolean).join(" · ") })]));
    li.appendChild(el("div", { class: "ev-body md", html: ev.body_html }));
  };

  // ---- live ---------------------------------------------------------------------------
  document.addEventListener("council:event", function (e) {
    var ev = e.detail.event;
    if (ev.kind === "clock") {
      ex.state = ev.state; ex.clock_t_s = ev.t_plus_s; ex.speed = ev.speed;
      ex.clock_wall = ev.state === "running" ? ev.clock_wall : null;  // the server's anchor
      if (ev.op === "stop" && e.detail.live) {
        document.querySelector("[data-ex-emergency-reason]").textContent = ev.reason || "";
        document.querySelector("[data-ex-emergency]").hidden = false;
      }
      renderClock(); if (staff) renderConsole();
    } else if (ev.kind === "inject") {
      if (staff) {
        var i = injects.get(ev.msel_id) || { msel_id: ev.msel_id, team_ids: ev.team_ids, offset_s: ev.offset_s, offset: "", from: ev.from, to: ev.to, title: ev.title, delivery: ev.delivery };
        i.status = "released"; i.released_seq = ev.seq; i.released_t_s = ev.t_plus_s; i.title = ev.title; i.team_ids = ev.team_ids;
        injects.set(ev.msel_id, i);
        renderConsole();
      } else if (ex.role === "player") {
        inbox.set(ev.seq, ev); renderInbox();
      }
    } else if (ev.kind === "ack" || ev.kind === "response") {
      var key = ev.msel_id + "|" + ev.team_id;
      var s = teamState.get(key) || { msel_id: ev.msel_id, team_id: ev.team_id };
      s.acked = true; if (ev.kind === "response") s.responded = true;
      teamState.set(key, s);
      if (staff) renderConsole(); else renderInbox();
    } else if (ev.kind === "observation") {
      observations.push(ev); renderObservations();
    }
  });
  document.querySelector("[data-ex-emergency-close]").addEventListener("click", function () {
    document.querySelector("[data-ex-emergency]").hidden = true;
  });

  // ---- start ----------------------------------------------------------------------------
  $("[data-ex-console]").hidden = !staff;
  $("[data-ex-evaluator]").hidden = !(ex.role === "evaluator" || ex.role === "director");
  $("[data-ex-inbox]").hidden = ex.role !== "player";
  if (ex.role === "evaluator" || ex.role === "director") { fillEvaluator(); renderObservations(); }
  (R.boot.inbox || []).forEach(function (i) {
    var ev = R.events.get(i.released_seq);
    inbox.set(i.released_seq, ev || { seq: i.released_seq, msel_id: i.msel_id, title: i.title, t_plus_s: i.released_t_s });
  });
  renderClock();
  if (staff) renderConsole();
  if (ex.role === "player") renderInbox();
  setInterval(function () {
    $("[data-ex-t]").textContent = fmt(tPlus());
    if (staff && ex.state === "running") {
      var t = tPlus();
      panel.querySelectorAll("[data-due]").forEach(function (d) {
        var i = injects.get(d.closest("li").getAttribute("data-msel"));
        if (i && i.release !== "manual") d.textContent = countdown((Number(d.getAttribute("data-due")) - t) / ex.speed);
      });
    }
  }, 250);
})();
