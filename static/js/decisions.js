// Decision cards in the room: live tally, your organisation's position,
// closing by the lead, superseding and spawning action items. Every step is
// posted as a "decision" event; cards follow the decision snapshot carried by
// each event, so all browsers show the same tally.
(function () {
  "use strict";
  var R = window.councilRoom;
  var box = document.querySelector("[data-decisions]");
  if (!R || !box) return;
  var el = R.el, me = R.me;
  var decisions = new Map();
  (R.boot.decisions || []).forEach(function (d) { decisions.set(d.id, d); });
  var TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

  function fail(e) { window.alert(e.message); }

  function tallyBar(d) {
    var t = d.tally || {};
    var counts = t.counts || {};
    var wrap = el("div", { class: "tally" });
    d.positions_allowed.forEach(function (p) {
      var n = counts[p] || 0;
      var pct = t.eligible ? Math.round(100 * n / t.eligible) : 0;
      var fill = el("span", { class: "tally-fill pos-" + p });
      fill.style.width = pct + "%";  // CSSOM, not a style attribute: the CSP allows no inline styles
      wrap.appendChild(el("div", { class: "tally-row" }, [
        el("span", { class: "tally-label", text: p }),
        el("span", { class: "tally-track" }, [fill]),
        el("span", { class: "tally-n", text: String(n) })
      ]));
    });
    wrap.appendChild(el("p", { class: "small muted", text: (t.participated || 0) + " of " + (t.eligible || 0) +
      " organisations · quorum " + (t.quorum_needed || 0) + (t.quorum_met ? " met" : " not met") +
      (d.status === "open" ? " · closing now: " + (t.outcome || "").replace("_", " ") : "") }));
    return wrap;
  }

  function outcomeTag(d) {
    if (d.status === "open") return el("span", { class: "tag status-open", text: "open" });
    var cls = d.outcome === "adopted" ? "tag-ok" : d.outcome === "rejected" ? "tag-danger" : "tag-warn";
    var text = d.outcome === "adopted" ? "adopted" + (d.chosen_option ? ": " + d.chosen_option : "") : d.outcome.replace("_", " ");
    return el("span", { class: "tag " + cls, text: text });
  }

  function card(d) {
    var room = R.room();
    var art = el("article", { class: "decision decision-" + d.status, id: "decision-" + d.id });
    var head = el("header", { class: "decision-head" }, [
      el("strong", { text: "#" + d.id + " " + d.title }), outcomeTag(d)
    ]);
    if (d.tlp !== room.tlp) head.appendChild(el("span", { class: "tlp tlp-" + d.tlp, text: "TLP:" + d.tlp }));
    art.appendChild(head);
    var meta = "rule " + d.rule + (d.deadline ? " · deadline " + R.when(d.deadline, true) : "") +
      (d.supersedes ? " · supersedes #" + d.supersedes : "") + (d.superseded_by ? " · superseded by #" + d.superseded_by : "");
    art.appendChild(el("p", { class: "small muted", text: meta }));
    if (d.background_html) {
      var bg = el("details", { class: "small" }, [el("summary", { text: "Background" })]);
      bg.appendChild(el("div", { class: "md", html: d.background_html }));
      art.appendChild(bg);
    }
    art.appendChild(tallyBar(d));
    var list = el("ul", { class: "positions small" });
    d.eligible_orgs.forEach(function (o) {
      var p = d.positions.find(function (x) { return x.org_id === o.id; });
      list.appendChild(el("li", {}, [
        el("span", { text: o.name }),
        p ? el("span", { class: "tag pos-tag-" + p.position, title: p.comment || "", text: p.position }) : el("span", { class: "muted", text: "—" })
      ]));
    });
    art.appendChild(list);
    if (d.status === "closed") {
      if (d.rationale_html) art.appendChild(el("div", { class: "md small rationale", html: d.rationale_html }));
      if (d.dissent && d.dissent.length) {
        art.appendChild(el("p", { class: "small" }, [el("strong", { text: "Dissent: " }),
          d.dissent.map(function (x) { return x.org + (x.comment ? " (" + x.comment + ")" : ""); }).join("; ")]));
      }
    }
    if (d.actions && d.actions.length) {
      art.appendChild(el("p", { class: "small" }, [el("strong", { text: "Actions: " }),
        d.actions.map(function (a) { return a.title + " [" + a.status.replace("_", " ") + "]"; }).join("; ")]));
    }
    if (R.canWrite()) art.appendChild(controls(d));
    return art;
  }

  function controls(d) {
    var room = R.room(), role = R.role();
    var wrap = el("div", { class: "decision-controls" });
    var inOrg = room.orgs.some(function (o) { return o.id === me.org_id; });
    if (d.status === "open" && inOrg) {
      var mine = d.positions.find(function (p) { return p.org_id === me.org_id; });
      var f = el("form", { class: "row-form", "data-cast": String(d.id) });
      var sel = el("select", { name: "position", "aria-label": "Position of " + me.org });
      d.positions_allowed.forEach(function (p) {
        var o = el("option", { value: p, text: p }); if (mine && mine.position === p) o.selected = true; sel.appendChild(o);
      });
      f.appendChild(sel);
      f.appendChild(el("input", { name: "comment", placeholder: "comment (optional)", "aria-label": "Comment", maxlength: "5000" }));
      f.appendChild(el("button", { class: "btn btn-small", type: "submit", text: mine ? "Change" : "Cast" }));
      wrap.appendChild(f);
    }
    if (d.status === "open" && role === "lead") {
      var c = el("details", { class: "small" }, [el("summary", { text: "Close decision" })]);
      var cf = el("form", { "data-close": String(d.id) });
      if (d.rule === "chair") {
        var choice = el("select", { name: "choice", "aria-label": "Chair's decision" });
        (d.options.join() === "approve,reject" ? ["adopted", "rejected"] : d.options.concat(["rejected"])).forEach(function (o) {
          choice.appendChild(el("option", { value: o, text: o }));
        });
        cf.appendChild(choice);
      }
      cf.appendChild(el("textarea", { name: "rationale", rows: "2", required: "required", placeholder: "Rationale (markdown)", "aria-label": "Rationale" }));
      cf.appendChild(el("button", { class: "btn btn-small", type: "submit", text: "Close with this rationale" }));
      c.appendChild(cf);
      wrap.appendChild(c);
    }
    var a = el("form", { class: "row-form", "data-spawn": String(d.id) }, [
      el("input", { name: "title", required: "required", placeholder: "New action from this decision", "aria-label": "Action from decision " + d.id, maxlength: "300" }),
      el("button", { class: "btn btn-small", type: "submit", text: "Add action" })
    ]);
    wrap.appendChild(a);
    if (d.status === "closed" && !d.superseded_by) {
      wrap.appendChild(el("button", { type: "button", class: "btn btn-quiet btn-small", "data-supersede": String(d.id), text: "Supersede…" }));
    }
    return wrap;
  }

  function render() {
    box.innerHTML = "";
    var list = Array.from(decisions.values()).sort(function (a, b) {
      return (a.status === "closed") - (b.status === "closed") || b.id - a.id;
    });
    if (!list.length) box.appendChild(el("p", { class: "muted", text: "No decisions yet." }));
    list.forEach(function (d) { box.appendChild(card(d)); });
  }

  function refresh(id) {
    R.api("GET", "/rooms/" + R.room().id + "/decisions/" + id).then(function (d) { decisions.set(d.id, d); render(); }).catch(function () {});
  }

  document.addEventListener("council:event", function (e) {
    var ev = e.detail.event;
    if (ev.kind === "decision" && ev.decision) {
      var d = ev.decision;
      var old = decisions.get(d.id);
      // Snapshots arrive in seq order; keep the newest by its stream position.
      if (!old || !old._seq || old._seq < ev.seq) { d._seq = ev.seq; decisions.set(d.id, d); }
      if (ev.supersedes) refresh(ev.supersedes);
      render();
    } else if (ev.kind === "action" && ev.source && ev.source.indexOf("decision:") === 0 && e.detail.live) {
      refresh(Number(ev.source.split(":")[1]));
    } else if (ev.kind === "status" || ev.kind === "member") {
      render();
    }
  });

  box.addEventListener("submit", function (e) {
    var f = e.target;
    e.preventDefault();
    var btn = f.querySelector("button[type=submit]");
    btn.disabled = true;
    var done = function () { btn.disabled = false; };
    var id;
    if (f.matches("[data-cast]")) {
      id = Number(f.getAttribute("data-cast"));
      var d = decisions.get(id);
      var mine = d.positions.find(function (p) { return p.org_id === me.org_id; });
      var payload = { kind: "decision", op: "position", decision_id: id, position: f.position.value, comment: f.comment.value };
      if (mine) payload.replaces = mine.id;
      R.post(payload).catch(fail).then(done);
    } else if (f.matches("[data-close]")) {
      id = Number(f.getAttribute("data-close"));
      var p = { kind: "decision", op: "close", decision_id: id, rationale: f.rationale.value };
      if (f.choice) p.choice = f.choice.value;
      R.post(p).catch(fail).then(done);
    } else if (f.matches("[data-spawn]")) {
      id = Number(f.getAttribute("data-spawn"));
      R.post({ kind: "action", title: f.title.value, decision_id: id }).then(function () { f.reset(); }).catch(fail).then(done);
    }
  });

  // Proposing (and superseding: the same form, prefilled).
  var form = document.querySelector("[data-propose-form]");
  var tlpSel = form.querySelector("[name=tlp]");
  function fillTlps() {
    var floor = TLPS.indexOf(R.room().tlp);
    tlpSel.innerHTML = "";
    TLPS.slice(floor).forEach(function (t) { tlpSel.appendChild(el("option", { value: t, text: "TLP:" + t })); });
  }
  fillTlps();
  document.addEventListener("council:event", function (e) { if (e.detail.event.kind === "status") fillTlps(); });
  box.addEventListener("click", function (e) {
    var t = e.target;
    if (!t.matches("[data-supersede]")) return;
    var d = decisions.get(Number(t.getAttribute("data-supersede")));
    form.supersedes.value = String(d.id);
    form.title.value = d.title;
    form.background.value = d.background || "";
    form.options.value = d.options.join() === "approve,reject" ? "" : d.options.join("\n");
    form.rule.value = d.rule;
    tlpSel.value = d.tlp;
    var note = form.querySelector("[data-supersede-note]");
    note.textContent = "Superseding #" + d.id + ": the new decision links the old one, which stays as it was.";
    note.hidden = false;
    form.closest("details").open = true;
    form.title.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var opts = form.options.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    var payload = { kind: "decision", op: "propose", title: form.title.value, background: form.background.value,
      rule: form.rule.value, tlp: tlpSel.value, tz: R.zone };
    if (opts.length) payload.options = opts;
    if (form.deadline.value) payload.deadline = form.deadline.value;
    if (form.supersedes.value) payload.supersedes = Number(form.supersedes.value);
    var btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    R.post(payload).then(function () {
      form.reset(); form.supersedes.value = ""; form.querySelector("[data-supersede-note]").hidden = true;
      form.closest("details").open = false; fillTlps();
    }).catch(fail).then(function () { btn.disabled = false; });
  });

  render();
})();
