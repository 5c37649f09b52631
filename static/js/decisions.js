// Decision cards in the room: live tally, your organisation's position,
// closing by the lead, superseding and spawning action items. Every step is
// posted as a "decision" event; cards follow the decision snapshot carried by
// each event, so all browsers show the same tally.
import { $, el, bdi, fill, showError, clearError } from "./dom.js";
import { _ } from "./i18n.js";
import { dateTime } from "./time.js";
import { label } from "./labels.js";

const TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

export function install(R) {
  const box = $("[data-decisions]");
  if (!box) return;
  const me = R.me;
  const decisions = new Map((R.boot.decisions || []).map((d) => [d.id, d]));

  function outcomeText(d) {
    if (d.outcome === "adopted") return d.chosen_option ? _("Adopted: %(option)s", { option: d.chosen_option }) : _("Adopted");
    return label("decision_outcome", d.outcome);
  }

  // The feed's line for a decision event (the card holds the detail).
  R.registerRenderer("decision", (ev, li) => {
    li.appendChild(R.authorLine(ev, _("decision")));
    const d = ev.decision || {};
    const line = {
      proposed: () => _("proposed a decision: %(decision)s"),
      superseded: () => _("proposed a decision superseding #%(old)s: %(decision)s"),
      position: () => (ev.changed ? _("%(org)s changed its position to %(position)s on %(decision)s")
        : _("%(org)s took the position %(position)s on %(decision)s")),
      closed: () => (ev.outcome === "adopted" ? (ev.chosen_option ? _("closed a decision — ADOPTED (%(option)s): %(decision)s")
        : _("closed a decision — ADOPTED: %(decision)s"))
        : ev.outcome === "rejected" ? _("closed a decision — REJECTED: %(decision)s") : _("closed a decision — no quorum: %(decision)s")),
    }[ev.op];
    const link = el("a", { href: "#decision-" + ev.decision_id, "data-decision-jump": String(ev.decision_id) }, ["#" + ev.decision_id + " ", bdi(d.title || "")]);
    li.appendChild(el("div", { class: "ev-body" }, line ? fill(line(), { decision: link, old: ev.supersedes, org: ev.org || "",
      position: label("position", ev.position), option: ev.chosen_option }) : [link]));
  });

  function tallyBar(d) {
    const t = d.tally || {};
    const counts = t.counts || {};
    const wrap = el("div", { class: "tally" });
    d.positions_allowed.forEach((p) => {
      const n = counts[p] || 0;
      const pct = t.eligible ? Math.round(100 * n / t.eligible) : 0;
      const fill = el("span", { class: "tally-fill pos-" + p });
      fill.style.width = pct + "%";  // CSSOM, not a style attribute: the CSP allows no inline styles
      wrap.appendChild(el("div", { class: "tally-row" }, [
        el("span", { class: "tally-label", text: label("position", p) }),
        el("span", { class: "tally-track" }, [fill]),
        el("span", { class: "tally-n", text: String(n) }),
      ]));
    });
    const projected = d.status === "open" && t.outcome
      ? " · " + _("if closed now: %(outcome)s", { outcome: label("decision_outcome", t.outcome).toLowerCase() }) : "";
    const values = { participated: t.participated || 0, eligible: t.eligible || 0, needed: t.quorum_needed || 0 };
    wrap.appendChild(el("p", { class: "small muted", text: (t.quorum_met
      ? _("%(participated)s of %(eligible)s organisations · quorum %(needed)s met", values)
      : _("%(participated)s of %(eligible)s organisations · quorum %(needed)s not met", values)) + projected }));
    return wrap;
  }

  function outcomeTag(d) {
    if (d.status === "open") return el("span", { class: "tag status-open", text: _("Open") });
    const cls = d.outcome === "adopted" ? "tag-ok" : d.outcome === "rejected" ? "tag-danger" : "tag-warn";
    return el("span", { class: "tag " + cls, text: outcomeText(d) });
  }

  function card(d) {
    const room = R.room();
    const art = el("article", { class: "decision decision-" + d.status, id: "decision-" + d.id, "data-error-host": "" });
    const head = el("header", { class: "decision-head" }, [el("strong", {}, ["#" + d.id + " ", bdi(d.title)]), outcomeTag(d)]);
    if (d.type && d.type !== "operational") head.appendChild(el("span", { class: "tag", text: label("decision_type", d.type) }));
    if (d.tlp !== room.tlp) head.appendChild(el("span", { class: "tlp tlp-" + d.tlp, text: "TLP:" + d.tlp }));
    art.appendChild(head);
    const meta = [label("decision_rule", d.rule),
      d.addressee ? _("to %(to)s", { to: d.addressee }) : "",
      d.level !== null && d.level !== undefined ? _("sets level %(level)s", { level: d.level }) : "",
      d.counted_per === "seat" ? _("counted per seat") : "",
      d.deadline ? _("deadline %(when)s", { when: dateTime(d.deadline, R.zone) }) : "",
      d.supersedes ? _("supersedes #%(id)s", { id: d.supersedes }) : "",
      d.superseded_by ? _("superseded by #%(id)s", { id: d.superseded_by }) : ""].filter(Boolean).join(" · ");
    art.appendChild(el("p", { class: "small muted", text: meta }));
    if (d.background_html) {
      art.appendChild(el("details", { class: "small" }, [el("summary", { text: _("Background") }), el("div", { class: "md", dir: "auto", html: d.background_html })]));
    }
    art.appendChild(tallyBar(d));
    const list = el("ul", { class: "positions small" });
    d.eligible_orgs.forEach((o) => {
      const p = d.positions.find((x) => x.org_id === o.id);
      list.appendChild(el("li", {}, [bdi(o.name),
        p ? el("span", { class: "tag pos-tag-" + p.position, title: p.comment || "", text: label("position", p.position) }) : el("span", { class: "muted", text: "—" })]));
    });
    art.appendChild(list);
    if (d.status === "closed") {
      if (d.rationale_html) art.appendChild(el("div", { class: "md small rationale", dir: "auto", html: d.rationale_html }));
      if (d.dissent && d.dissent.length) {
        art.appendChild(el("p", { class: "small" }, [el("strong", { text: _("Dissent:") + " " }),
          d.dissent.map((x) => x.org + (x.comment ? " (" + x.comment + ")" : "")).join("; ")]));
      }
    }
    if (d.actions && d.actions.length) {
      art.appendChild(el("p", { class: "small" }, [el("strong", { text: _("Actions:") + " " }),
        d.actions.map((a) => a.title + " [" + label("action_status", a.status) + "]").join("; ")]));
    }
    if (R.canWrite()) art.appendChild(controls(d));
    return art;
  }

  function controls(d) {
    const room = R.room(), role = R.role();
    const wrap = el("div", { class: "decision-controls" });
    const inOrg = room.orgs.some((o) => o.id === me.org_id);
    if (d.status === "open" && inOrg) {
      const mine = d.positions.find((p) => p.org_id === me.org_id);
      const sel = el("select", { name: "position", "aria-label": _("Position of %(org)s", { org: me.org }) });
      d.positions_allowed.forEach((p) => {
        const o = el("option", { value: p, text: label("position", p) }); if (mine && mine.position === p) o.selected = true; sel.appendChild(o);
      });
      wrap.appendChild(el("form", { class: "row-form", "data-cast": String(d.id) }, [sel,
        el("input", { name: "comment", placeholder: _("comment (optional)"), "aria-label": _("Comment"), maxlength: "5000" }),
        el("button", { class: "btn btn-small", type: "submit", text: mine ? _("Change") : _("Cast") })]));
    }
    if (d.status === "open" && role === "lead") {
      const cf = el("form", { "data-close": String(d.id) });
      if (d.rule === "chair") {
        const choice = el("select", { name: "choice", "aria-label": _("Chair's decision") });
        (d.options.join() === "approve,reject" ? ["adopted", "rejected"] : d.options.concat(["rejected"])).forEach((o) => {
          choice.appendChild(el("option", { value: o, text: o === "adopted" || o === "rejected" ? label("decision_outcome", o) : o }));
        });
        cf.appendChild(choice);
      }
      cf.appendChild(el("textarea", { name: "rationale", rows: "2", required: "required", placeholder: _("Rationale (markdown)"), "aria-label": _("Rationale") }));
      cf.appendChild(el("button", { class: "btn btn-small", type: "submit", text: _("Close with this rationale") }));
      wrap.appendChild(el("details", { class: "small" }, [el("summary", { text: _("Close decision") }), cf]));
    }
    wrap.appendChild(el("form", { class: "row-form", "data-spawn": String(d.id) }, [
      el("input", { name: "title", required: "required", placeholder: _("New action from this decision"), "aria-label": _("Action from decision %(id)s", { id: d.id }), maxlength: "300" }),
      el("button", { class: "btn btn-small", type: "submit", text: _("Add action") })]));
    if (d.status === "closed" && !d.superseded_by) {
      wrap.appendChild(el("button", { type: "button", class: "btn btn-quiet btn-small", "data-supersede": String(d.id), text: _("Supersede…") }));
    }
    return wrap;
  }

  function render() {
    const list = [...decisions.values()].sort((a, b) => (a.status === "closed") - (b.status === "closed") || b.id - a.id);
    box.replaceChildren(...(list.length ? list.map(card) : [el("p", { class: "muted", text: _("No decisions yet.") })]));
  }

  function refresh(id) {
    R.api("GET", "/rooms/" + R.room().id + "/decisions/" + id).then((d) => { decisions.set(d.id, d); render(); }).catch(() => {});
  }

  R.onEvent((ev, live) => {
    if (!ev) return;
    if (ev.kind === "decision" && ev.decision) {
      const d = ev.decision;
      const old = decisions.get(d.id);
      // Snapshots arrive in seq order; keep the newest by its stream position.
      if (!old || !old._seq || old._seq < ev.seq) { d._seq = ev.seq; decisions.set(d.id, d); }
      if (ev.supersedes) refresh(ev.supersedes);
      render();
    } else if (ev.kind === "action" && ev.source && ev.source.indexOf("decision:") === 0 && live) {
      refresh(Number(ev.source.split(":")[1]));
    }
  });
  R.onRoomChange(() => { render(); fillTlps(); });

  box.addEventListener("submit", (e) => {
    const f = e.target;
    e.preventDefault();
    clearError(f);
    const btn = f.querySelector("button[type=submit]");
    btn.disabled = true;
    let payload;
    if (f.matches("[data-cast]")) {
      const id = Number(f.getAttribute("data-cast"));
      const mine = decisions.get(id).positions.find((p) => p.org_id === me.org_id);
      payload = { kind: "decision", op: "position", decision_id: id, position: f.position.value, comment: f.comment.value };
      if (mine) payload.replaces = mine.id;
    } else if (f.matches("[data-close]")) {
      payload = { kind: "decision", op: "close", decision_id: Number(f.getAttribute("data-close")), rationale: f.rationale.value };
      if (f.choice) payload.choice = f.choice.value;
    } else if (f.matches("[data-spawn]")) {
      payload = { kind: "action", title: f.title.value, decision_id: Number(f.getAttribute("data-spawn")) };
    }
    R.post(payload).then(() => { if (f.matches("[data-spawn]")) f.reset(); })
      .catch((err) => showError(f, err)).finally(() => { btn.disabled = false; });
  });

  // Proposing (and superseding: the same form, prefilled).
  const form = $("[data-propose-form]");
  const tlpSel = form.querySelector("[name=tlp]");
  function fillTlps() {
    const floor = TLPS.indexOf(R.room().tlp);
    const current = tlpSel.value;
    tlpSel.replaceChildren(...TLPS.slice(floor).map((t) => el("option", { value: t, text: "TLP:" + t })));
    if (TLPS.indexOf(current) >= floor) tlpSel.value = current;
  }
  box.addEventListener("click", (e) => {
    const t = e.target.closest("[data-supersede]");
    if (!t) return;
    const d = decisions.get(Number(t.getAttribute("data-supersede")));
    form.supersedes.value = String(d.id);
    form.title.value = d.title;
    form.background.value = d.background || "";
    form.options.value = d.options.join() === "approve,reject" ? "" : d.options.join("\n");
    form.rule.value = d.rule;
    tlpSel.value = d.tlp;
    if (form.type) form.type.value = d.type || "operational";  // a superseding decision keeps the type
    if (form.addressee) form.addressee.value = d.addressee || "";
    if (form.level) form.level.value = d.level === null || d.level === undefined ? "" : String(d.level);
    const note = form.querySelector("[data-supersede-note]");
    note.textContent = _("Superseding #%(id)s: the new decision links the old one, which stays as it was.", { id: d.id });
    note.hidden = false;
    form.closest("details").open = true;
    form.title.focus();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(form);
    const opts = form.options.value.split("\n").map((s) => s.trim()).filter(Boolean);
    const payload = { kind: "decision", op: "propose", title: form.title.value, background: form.background.value,
      rule: form.rule.value, tlp: tlpSel.value, tz: R.zone };
    if (form.type && form.type.value) payload.type = form.type.value;
    if (form.addressee && form.addressee.value.trim() && ["recommendation", "advice"].includes(payload.type)) {
      payload.addressee = form.addressee.value.trim();
    }
    if (form.level && form.level.value !== "" && payload.type === "crisis-level") payload.level = Number(form.level.value);
    if (opts.length) payload.options = opts;
    if (form.deadline.value) payload.deadline = form.deadline.value;
    if (form.supersedes.value) payload.supersedes = Number(form.supersedes.value);
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    R.post(payload).then(() => {
      form.reset(); form.supersedes.value = ""; form.querySelector("[data-supersede-note]").hidden = true;
      form.closest("details").open = false; fillTlps();
    }).catch((err) => showError(form, err)).finally(() => { btn.disabled = false; });
  });
  R.list.addEventListener("click", (e) => {
    const j = e.target.closest("[data-decision-jump]");
    if (!j) return;
    const target = document.getElementById("decision-" + j.getAttribute("data-decision-jump"));
    if (target) { e.preventDefault(); target.scrollIntoView({ block: "center" }); }
  });
  fillTlps();
  render();
}
