// The exercise panel of an exercise room: the clock every participant sees,
// the controller console (upcoming injects with countdowns, release / hold /
// edit, per-team acknowledgement state, ad-hoc injects), the evaluator's
// observations, and the player's inbox. The clock is computed from the
// server's anchor (T+ at a wall time, speed), corrected for this browser's
// clock offset, so every screen shows the same T+.
import { $, $$, el, bdi, fill, showError, clearError } from "./dom.js";
import { _ } from "./i18n.js";
import { tPlus as fmt, countdown } from "./time.js";
import { label } from "./labels.js";
import { jumpTo } from "./room/panels.js";

export function install(R) {
  const panel = $("[data-exercise-panel]");
  if (!panel || !R.boot.exercise) return;
  const ex = R.boot.exercise;
  const staff = ["director", "controller", "evaluator"].includes(ex.role);
  const controller = ex.role === "director" || ex.role === "controller";
  const injects = new Map((ex.injects || []).map((i) => [i.msel_id, i]));   // staff view
  const inbox = new Map();    // inject seq -> inject event (players)
  const teamState = new Map((R.boot.responses || []).map((r) => [r.msel_id + "|" + r.team_id, r]));
  const observations = (R.boot.observations || []).slice();
  const q = (s) => panel.querySelector(s);
  const skew = Date.now() - new Date(ex.server_now).getTime();  // this browser's clock minus the server's
  const over = () => ex.state === "ended" || ex.state === "stopped";

  function tNow() {
    if (ex.state !== "running" || !ex.clock_wall) return ex.clock_t_s;
    const now = Date.now() - skew;
    return ex.clock_t_s + Math.max(0, (now - new Date(ex.clock_wall).getTime()) / 1000) * ex.speed;
  }
  function api(path, body) { return R.api("POST", "/exercises/" + ex.id + path, body || {}); }
  const teamName = (id) => { const t = ex.teams.find((x) => x.id === id); return t ? t.name : _("team %(id)s", { id }); };

  // ---- clock ----------------------------------------------------------------
  const ALLOWED = { start: ["planned"], pause: ["running"], resume: ["paused"], end: ["running", "paused"], stop: ["planned", "running", "paused"] };
  function renderClock() {
    q("[data-ex-t]").textContent = fmt(tNow());
    const st = q("[data-ex-state]");
    st.textContent = label("exercise_state", ex.state); st.className = "tag ex-state-" + ex.state;
    q("[data-ex-speed]").textContent = _("%(speed)s× speed · you are %(role)s", { speed: ex.speed, role: label("exercise_role", ex.role).toLowerCase() });
    const controls = q("[data-ex-clock-controls]");
    controls.hidden = !controller;
    controls.querySelectorAll("[data-clock]").forEach((b) => {
      const op = b.getAttribute("data-clock");
      b.disabled = !ALLOWED[op].includes(ex.state);
      if (b.hasAttribute("data-director-only")) b.hidden = ex.role !== "director";
    });
    const reason = q("[data-ex-controls-reason]");
    reason.hidden = !over();
    reason.textContent = ex.state === "stopped" ? _("The exercise was stopped (real-world emergency): nothing more can be released or changed.")
      : ex.state === "ended" ? _("ENDEX: the exercise has ended; its record is closed to injects and clock changes.") : "";
    $$("[data-ex-live-only]", panel).forEach((n) => { n.hidden = over() || !controller; });
    q("[data-ex-paused]").hidden = ex.state !== "paused";
  }
  q("[data-ex-clock-controls]").addEventListener("click", (e) => {
    const b = e.target.closest("[data-clock]");
    if (!b) return;
    const op = b.getAttribute("data-clock");
    const body = {};
    if (op === "stop") {
      const reason = window.prompt(_("Real-world emergency: stop the exercise for everyone. Reason (shown to all):"));
      if (reason === null) return;
      body.reason = reason;
    } else if (op === "end" && !window.confirm(_("ENDEX: end the exercise?"))) return;
    clearError(b);
    b.disabled = true;
    api("/" + op, body).catch((err) => showError(b, err)).finally(renderClock);
  });

  // ---- controller console ---------------------------------------------------
  function renderConsole() {
    const up = q("[data-ex-upcoming]"), done = q("[data-ex-released]");
    const t = tNow();
    const list = [...injects.values()];
    const waiting = list.filter((i) => i.status === "pending" || i.status === "held").sort((a, b) => a.offset_s - b.offset_s);
    up.replaceChildren(...waiting.map((i) => {
      const due = (i.offset_s - t) / ex.speed;
      const li = el("li", { "data-msel": i.msel_id }, [
        el("div", { class: "ex-inject-head" }, [
          el("code", { text: i.msel_id }), el("span", { class: "mono small", text: fmt(i.offset_s) }),
          el("strong", {}, [bdi(i.title)]),
          i.status === "held" ? el("span", { class: "tag tag-warn", text: _("held") }) : null,
          i.release === "manual" ? el("span", { class: "tag", text: _("manual") }) : null,
          i.depends_on ? el("span", { class: "muted small", text: _("after %(inject)s", { inject: i.depends_on }) }) : null,
          el("span", { class: "due", "data-due": String(i.offset_s), text: i.release === "manual" ? "" : ex.state === "running" ? countdown(due) : "" }),
        ]),
        el("div", { class: "muted small", text: label("delivery", i.delivery) + " · " + _("%(from)s → %(to)s", { from: i.from || "—", to: i.to }) }),
        i.expected_action ? el("div", { class: "ex-staff-only", text: _("Expected: %(action)s", { action: i.expected_action }) }) : null,
      ]);
      if (controller && !over()) {
        li.appendChild(el("div", { class: "ex-inject-tools" }, [
          el("button", { type: "button", class: "btn btn-small", "data-release": i.msel_id, disabled: ex.state === "planned" ? "disabled" : null,
            title: ex.state === "planned" ? _("Injects are released after STARTEX") : null, text: _("Release now") }),
          el("button", { type: "button", class: "btn btn-small", "data-hold": i.msel_id, text: i.status === "held" ? _("Un-hold") : _("Hold") }),
          el("button", { type: "button", class: "btn btn-small btn-quiet", "data-edit-inject": i.msel_id, text: _("Edit") }),
        ]));
      }
      return li;
    }));
    if (!waiting.length) up.appendChild(el("li", { class: "muted", text: over() ? _("The exercise is over.") : _("No injects waiting.") }));
    const released = list.filter((i) => i.status === "released").sort((a, b) => b.released_seq - a.released_seq);
    done.replaceChildren(...released.map((i) => {
      const chips = el("div", { class: "ex-teamstate" });
      i.team_ids.forEach((tid) => {
        const s = teamState.get(i.msel_id + "|" + tid) || {};
        const cls = s.responded ? "responded" : s.acked ? "acked" : "";
        chips.appendChild(el("span", { class: "tag " + cls, title: s.responded ? _("responded") : s.acked ? _("acknowledged") : _("no acknowledgement yet"),
          text: teamName(tid) + (s.responded ? " ✓✓" : s.acked ? " ✓" : " …") }));
      });
      return el("li", {}, [
        el("div", { class: "ex-inject-head" }, [el("code", { text: i.msel_id }),
          el("span", { class: "mono small", text: i.released_t_s != null ? fmt(i.released_t_s) : "" }),
          el("a", { href: "#seq-" + i.released_seq, "data-jump": String(i.released_seq) }, [bdi(i.title)])]),
        chips,
      ]);
    }));
    if (!released.length) done.appendChild(el("li", { class: "muted", text: _("Nothing released yet.") }));
  }

  panel.addEventListener("click", (e) => {
    const t = e.target.closest("button, a");
    if (!t) return;
    let id;
    const update = (i) => { injects.set(i.msel_id, i); renderConsole(); };
    if ((id = t.getAttribute("data-release"))) {
      clearError(t);
      api("/injects/" + encodeURIComponent(id) + "/release").then(update).catch((err) => showError(t, err));
    } else if ((id = t.getAttribute("data-hold"))) {
      clearError(t);
      api("/injects/" + encodeURIComponent(id) + "/hold", { held: injects.get(id).status !== "held" }).then(update).catch((err) => showError(t, err));
    } else if ((id = t.getAttribute("data-edit-inject"))) {
      editInject(t.closest("li"), injects.get(id));
    } else if ((id = t.getAttribute("data-jump"))) {
      e.preventDefault();
      jumpTo(R, id);
    }
  });

  function editInject(li, i) {
    if (li.querySelector("form")) return;
    const uid = "ei-" + i.msel_id.replace(/[^A-Za-z0-9_-]/g, "_");
    const f = el("form", { class: "ex-edit" }, [
      el("label", { for: uid + "-title", text: _("Title") }), el("input", { id: uid + "-title", name: "title", value: i.title, required: "required" }),
      el("label", { for: uid + "-to", text: _("To") }), el("input", { id: uid + "-to", name: "to", value: i.to }),
      el("label", { for: uid + "-msg", text: _("Message") }), el("textarea", { id: uid + "-msg", name: "message", rows: "3" }),
      el("label", { for: uid + "-exp", text: _("Expected action") }), el("textarea", { id: uid + "-exp", name: "expected_action", rows: "2" }),
      el("button", { class: "btn btn-small", type: "submit", text: _("Save before release") }),
    ]);
    f.message.value = i.message; f.expected_action.value = i.expected_action || "";
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      clearError(f);
      api("/injects/" + encodeURIComponent(i.msel_id) + "/edit", { title: f.title.value, to: f.to.value, message: f.message.value, expected_action: f.expected_action.value })
        .then((n) => { injects.set(n.msel_id, n); renderConsole(); }).catch((err) => showError(f, err));
    });
    li.appendChild(f);
  }

  const adhoc = q("[data-ex-adhoc]");
  adhoc.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(adhoc);
    const body = {};
    ["title", "from", "delivery", "to", "message", "expected_action"].forEach((k) => { body[k] = adhoc[k].value; });
    R.api("POST", "/exercises/" + ex.id + "/injects", body).then((i) => {
      injects.set(i.msel_id, i); adhoc.reset(); renderConsole();
    }).catch((err) => showError(adhoc, err));
  });

  // ---- evaluators -----------------------------------------------------------
  function fillEvaluator() {
    const f = q("[data-ex-observation]");
    ex.objectives.forEach((o) => f.objective_id.appendChild(el("option", { value: o.id, text: o.id + " " + o.text.slice(0, 60) })));
    ex.capabilities.forEach((c) => f.capability.appendChild(el("option", { value: c, text: label("capability", c) })));
    [...injects.values()].forEach((i) => f.msel_id.appendChild(el("option", { value: i.msel_id, text: i.msel_id + " " + i.title.slice(0, 40) })));
    ex.teams.forEach((t) => f.team_id.appendChild(el("option", { value: String(t.id), text: t.name })));
    // A rating suggests the finding; the evaluator decides (HSEEP writes both for any rating).
    f.rating.addEventListener("change", () => { if (!f.finding.dataset.touched) f.finding.value = "PS".includes(f.rating.value) ? "strength" : "improvement"; });
    f.finding.addEventListener("change", () => { f.finding.dataset.touched = "1"; });
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      clearError(f);
      const p = { kind: "observation", rating: f.rating.value, finding: f.finding.value, body: f.body.value,
        objective_id: f.objective_id.value, capability: f.capability.value, msel_id: f.msel_id.value };
      if (f.team_id.value) p.team_id = Number(f.team_id.value);
      if (f.evidence_seq.value) p.evidence_seq = Number(f.evidence_seq.value);
      const btn = f.querySelector("button[type=submit]"); btn.disabled = true;
      R.post(p).then(() => { f.body.value = ""; f.evidence_seq.value = ""; delete f.finding.dataset.touched; })
        .catch((err) => showError(f, err)).finally(() => { btn.disabled = false; });
    });
  }
  function obsMeta(o) {
    return [o.objective_id, o.capability && label("capability", o.capability), o.msel_id && _("inject %(id)s", { id: o.msel_id }),
      o.team_id && teamName(o.team_id), o.evidence_seq && _("evidence #%(seq)s", { seq: o.evidence_seq })].filter(Boolean).join(" · ");
  }
  function renderObservations() {
    const list = q("[data-ex-observations]");
    list.replaceChildren(...observations.slice().reverse().map((o) => el("li", {}, [
      el("span", { class: "rating rating-" + o.rating, title: label("rating", o.rating), text: o.rating }), " ",
      o.finding ? el("span", { class: "tag finding-" + o.finding, text: label("finding", o.finding) }) : null, " ",
      el("span", { class: "mono small", text: fmt(o.t_plus_s) }), " ",
      el("span", { class: "muted small", text: obsMeta(o) }),
      el("div", { class: "md", dir: "auto", html: o.body_html }),
    ])));
    if (!observations.length) list.appendChild(el("li", { class: "muted", text: _("No observations yet.") }));
  }

  // ---- players' inbox -------------------------------------------------------
  function renderInbox() {
    const items = [...inbox.values()].sort((a, b) => b.seq - a.seq);
    const list = q("[data-ex-inbox-list]");
    list.replaceChildren(...items.map((ev) => {
      const s = teamState.get(ev.msel_id + "|" + ex.team_id) || {};
      const li = el("li", {}, [
        el("div", { class: "ex-inject-head" }, [el("span", { class: "mono small", text: fmt(ev.t_plus_s || 0) }),
          el("a", { href: "#seq-" + ev.seq, "data-jump": String(ev.seq) }, [bdi(ev.title)]),
          el("span", { class: "tag " + (s.responded ? "tag-ok" : s.acked ? "tag-warn" : "tag-danger"), text: s.responded ? _("responded") : s.acked ? _("acknowledged") : _("new") })]),
      ]);
      if (!over()) {
        const tools = el("div", { class: "ex-inject-tools" });
        if (!s.acked) tools.appendChild(el("button", { type: "button", class: "btn btn-small", "data-ack": String(ev.seq), text: _("Acknowledge") }));
        tools.appendChild(el("button", { type: "button", class: "btn btn-small", "data-respond": String(ev.seq), text: _("Respond") }));
        li.appendChild(tools);
      }
      return li;
    }));
    if (!items.length) list.appendChild(el("li", { class: "muted", text: _("No injects for your team yet.") }));
  }
  panel.addEventListener("click", (e) => {
    const t = e.target.closest("button");
    if (!t) return;
    let seq;
    if ((seq = t.getAttribute("data-ack"))) {
      clearError(t);
      t.disabled = true;
      R.post({ kind: "ack", inject_seq: Number(seq) }).catch((err) => { t.disabled = false; showError(t, err); });
    } else if ((seq = t.getAttribute("data-respond"))) {
      const li = t.closest("li");
      if (li.querySelector("form")) return;
      const f = el("form", {}, [el("textarea", { name: "body", rows: "3", required: "required", "aria-label": _("Response (markdown)"), placeholder: _("Your team's response (markdown)") }),
        el("button", { class: "btn btn-small", type: "submit", text: _("Send response") })]);
      f.addEventListener("submit", (ev) => {
        ev.preventDefault();
        clearError(f);
        R.post({ kind: "response", inject_seq: Number(seq), body: f.body.value }).then(() => f.remove()).catch((err) => showError(f, err));
      });
      li.appendChild(f);
      f.body.focus();
    }
  });

  // ---- the feed's look of exercise events -------------------------------------
  const icons = { email: "✉ " + _("Email"), phone: "☎ " + _("Phone call"), media: "◉ " + _("Media"), document: "▤ " + _("Document"), room: _("Inject") };
  R.registerRenderer("inject", (ev, li) => {
    li.appendChild(R.authorLine(ev, _("inject %(id)s", { id: ev.msel_id })));
    const box = el("div", { class: "delivery delivery-" + ev.delivery });
    const kind = icons[ev.delivery] || _("Inject");
    box.appendChild(el("div", { class: "delivery-meta", text: (ev.from ? _("%(kind)s from %(from)s", { kind, from: ev.from }) : kind) +
      " · " + _("to %(to)s", { to: ev.to }) + " · " + fmt(ev.t_plus_s || 0) }));
    box.appendChild(el("div", {}, [el("strong", {}, [bdi(ev.title)])]));
    box.appendChild(el("div", { class: "md", dir: "auto", html: ev.body_html }));
    if (ev.expected_action) box.appendChild(el("div", { class: "ex-staff-only", text: _("Expected action (staff only): %(action)s", { action: ev.expected_action }) }));
    if (ev.notes) box.appendChild(el("div", { class: "ex-staff-only", text: _("Controller notes: %(notes)s", { notes: ev.notes }) }));
    li.appendChild(box);
  });
  const CLOCK_TEXT = { start: "STARTEX", pause: _("Exercise paused"), resume: _("Exercise resumed"), end: "ENDEX", stop: _("REAL-WORLD EMERGENCY STOP") };
  R.registerRenderer("clock", (ev, li) => {
    li.classList.add("ev-system");
    li.appendChild(el("div", { class: "ev-line" }, [
      ...fill(_("%(what)s at %(t)s"), { what: el("strong", { text: CLOCK_TEXT[ev.op] || ev.op }), t: fmt(ev.t_plus_s) }),
      ev.reason ? " — " + ev.reason : "",
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("ack", (ev, li) => {
    li.classList.add("ev-system");
    li.appendChild(el("div", { class: "ev-line" }, [
      ...fill(_("%(team)s acknowledged inject %(inject)s (%(seconds)s s)"), { team: el("strong", {}, [bdi(ev.team)]),
        inject: ev.msel_id, seconds: Math.round(ev.after_s) }),
      el("span", { class: "ev-seq", text: "#" + ev.seq })]));
  });
  R.registerRenderer("response", (ev, li) => {
    li.appendChild(R.authorLine(ev, _("response") + " · " + ev.team + " · " + _("inject %(id)s", { id: ev.msel_id })));
    li.appendChild(el("div", { class: "ev-body md", dir: "auto", html: ev.body_html }));
  });
  R.registerRenderer("observation", (ev, li) => {
    li.appendChild(R.authorLine(ev, _("observation")));
    li.appendChild(el("div", { class: "ev-body" }, [el("span", { class: "rating rating-" + ev.rating, title: label("rating", ev.rating), text: ev.rating }), " ",
      ev.finding ? el("span", { class: "tag finding-" + ev.finding, text: label("finding", ev.finding) }) : null, " ",
      el("span", { class: "muted small", text: obsMeta(ev) })]));
    li.appendChild(el("div", { class: "ev-body md", dir: "auto", html: ev.body_html }));
  });

  // ---- live -------------------------------------------------------------------
  R.onEvent((ev, live) => {
    if (!ev) return;
    if (ev.kind === "clock") {
      ex.state = ev.state; ex.clock_t_s = ev.t_plus_s; ex.speed = ev.speed;
      ex.clock_wall = ev.state === "running" ? ev.clock_wall : null;  // the server's anchor
      if (ev.op === "stop" && live) {
        $("[data-ex-emergency-reason]").textContent = ev.reason || "";
        $("[data-ex-emergency]").hidden = false;
      }
      renderClock(); if (staff) renderConsole(); else if (ex.role === "player") renderInbox();
    } else if (ev.kind === "inject") {
      if (staff) {
        const i = injects.get(ev.msel_id) || { msel_id: ev.msel_id, team_ids: ev.team_ids, offset_s: ev.offset_s, from: ev.from, to: ev.to, title: ev.title, delivery: ev.delivery };
        Object.assign(i, { status: "released", released_seq: ev.seq, released_t_s: ev.t_plus_s, title: ev.title, team_ids: ev.team_ids });
        injects.set(ev.msel_id, i);
        renderConsole();
      } else if (ex.role === "player") {
        inbox.set(ev.seq, ev); renderInbox();
      }
    } else if (ev.kind === "ack" || ev.kind === "response") {
      const key = ev.msel_id + "|" + ev.team_id;
      const s = teamState.get(key) || { msel_id: ev.msel_id, team_id: ev.team_id };
      s.acked = true; if (ev.kind === "response") s.responded = true;
      teamState.set(key, s);
      if (staff) renderConsole(); else renderInbox();
    } else if (ev.kind === "observation" && live) {
      if (!observations.some((o) => o.seq === ev.seq)) { observations.push(ev); renderObservations(); }
    }
  });
  $("[data-ex-emergency-close]").addEventListener("click", () => { $("[data-ex-emergency]").hidden = true; });

  // ---- start ------------------------------------------------------------------
  q("[data-ex-console]").hidden = !staff;
  q("[data-ex-evaluator]").hidden = !(ex.role === "evaluator" || ex.role === "director");
  q("[data-ex-inbox]").hidden = ex.role !== "player";
  if (ex.role === "evaluator" || ex.role === "director") { fillEvaluator(); renderObservations(); }
  (R.boot.inbox || []).forEach((i) => {
    inbox.set(i.released_seq, { seq: i.released_seq, msel_id: i.msel_id, title: i.title, t_plus_s: i.released_t_s });
  });
  renderClock();
  if (staff) renderConsole();
  if (ex.role === "player") renderInbox();
  setInterval(() => {
    q("[data-ex-t]").textContent = fmt(tNow());
    if (staff && ex.state === "running") {
      const t = tNow();
      panel.querySelectorAll("[data-due]").forEach((d) => {
        const i = injects.get(d.closest("li").getAttribute("data-msel"));
        if (i && i.release !== "manual") d.textContent = countdown((Number(d.getAttribute("data-due")) - t) / ex.speed);
      });
    }
  }, 250);
}
