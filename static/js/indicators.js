// The room's Indicators panel: the list (defanged, never a link), copy as refanged,
// sightings per organisation with "Seen by us", "also in N rooms you can see",
// retire, the add form and paste-to-extract with a review list. Changes arrive as
// "indicator" events; the list is then fetched again, since the "also in" hints are
// the viewer's own.
import { $, el, bdi, fill, showError, clearError } from "./dom.js";
import { _ } from "./i18n.js";
import { dateTime } from "./time.js";
import { label } from "./labels.js";

const TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

export function install(R) {
  const list = $("[data-indicators]");
  if (!list) return;
  const panel = list.closest("section");
  const me = R.me;
  let items = R.boot.indicators || [];
  const types = R.boot.indicator_types || [];

  function fillSelect(sel, values, labelKind, selected) {
    if (!sel) return;
    sel.replaceChildren(...values.map((v) => el("option", { value: v, selected: v === selected, text: labelKind ? label(labelKind, v) : "TLP:" + v })));
  }
  function fillTlps() {
    const room = R.room();
    const allowed = TLPS.slice(TLPS.indexOf(room.tlp));
    ["#ind-tlp", "#ind-bulk-tlp"].forEach((s) => fillSelect($(s), allowed, null, room.tlp));
  }
  fillSelect($("#ind-type"), types, "indicator_type", "ipv4");
  fillTlps();

  R.registerRenderer("indicator", (ev, li) => {
    li.appendChild(R.authorLine(ev, _("indicator")));
    const inds = ev.indicators || [];
    let shown = document.createDocumentFragment();
    inds.slice(0, 5).forEach((i, n) => {
      if (n) shown.append(", ");
      shown.append(el("a", { href: "#indicator-" + i.id }, [el("code", { class: "ioc", dir: "ltr", text: i.defanged })]));
    });
    if (inds.length > 5) {
      const more = document.createDocumentFragment();
      more.append(...fill(_("%(list)s and %(n)s more"), { list: shown, n: inds.length - 5 }));
      shown = more;
    }
    const what = { added: () => _("added %(indicators)s"), imported: () => _("imported %(indicators)s"), changed: () => _("changed %(indicators)s"),
      retired: () => _("retired %(indicators)s"), sighted: () => _("%(org)s reported a sighting of %(indicators)s") }[ev.op];
    const body = el("div", { class: "ev-body" }, what ? fill(what(), { indicators: shown, org: ev.sighting ? ev.sighting.org : "" })
      : [ev.op + " ", shown]);
    if (ev.tlp && ev.tlp !== R.room().tlp) body.appendChild(el("span", { class: "tlp tlp-" + ev.tlp, text: " TLP:" + ev.tlp }));
    li.appendChild(body);
  });

  function sightingsLine(i) {
    const s = i.sightings;
    if (!s.total) return el("p", { class: "small muted", text: _("No sightings reported yet.") });
    const seen = { total: s.total, orgs: s.orgs };
    const p = el("p", { class: "small" }, [(s.orgs === 1 ? _("Seen %(total)s× by %(orgs)s organisation:", seen)
      : _("Seen %(total)s× by %(orgs)s organisations:", seen)) + " "]);
    s.by_org.forEach((o, n) => {
      if (n) p.appendChild(document.createTextNode("; "));
      p.appendChild(bdi(o.org));
      const values = { count: o.count, when: dateTime(o.last, R.zone), where: o.where.join(", ") };
      p.appendChild(document.createTextNode(" " + (o.where.length ? _("%(count)s× (last %(when)s, %(where)s)", values) : _("%(count)s× (last %(when)s)", values))));
    });
    return p;
  }

  function row(i) {
    const room = R.room();
    const li = el("li", { class: "indicator" + (i.status === "retired" ? " indicator-retired" : ""), id: "indicator-" + i.id, "data-error-host": "" });
    const head = el("div", { class: "indicator-head" }, [
      el("span", { class: "tag", text: label("indicator_type", i.type) }),
      el("code", { class: "ioc", dir: "ltr", text: i.defanged }),
    ]);
    if (i.tlp !== room.tlp) head.appendChild(el("span", { class: "tlp tlp-" + i.tlp, text: "TLP:" + i.tlp }));
    if (i.status === "retired") head.appendChild(el("span", { class: "tag", text: _("retired") }));
    li.appendChild(head);
    const meta = [i.source_org.name, i.confidence !== null ? _("confidence %(value)s", { value: i.confidence }) : "", i.tags.length ? "#" + i.tags.join(" #") : "",
      i.last_seen ? _("last seen %(when)s", { when: dateTime(i.last_seen, R.zone) }) : ""].filter(Boolean).join(" · ");
    li.appendChild(el("p", { class: "small muted", dir: "auto", text: meta }));
    if (i.description_html) li.appendChild(el("div", { class: "md small", dir: "auto", html: i.description_html }));
    li.appendChild(sightingsLine(i));
    if (i.also_in && i.also_in.length) {
      const n = i.also_in.length;
      const also = el("p", { class: "small also-in" }, [(n === 1 ? _("Also in %(n)s room you can see:", { n }) : _("Also in %(n)s rooms you can see:", { n })) + " "]);
      i.also_in.slice(0, 5).forEach((r, n) => {
        if (n) also.appendChild(document.createTextNode(", "));
        also.appendChild(el("a", { href: "/rooms/" + r.room + "#indicators" }, [bdi(r.title)]));
      });
      li.appendChild(also);
    }
    if (i.also_in_reports && i.also_in_reports.length) {
      const n = i.also_in_reports.length;
      const also = el("p", { class: "small also-in" }, [(n === 1 ? _("In %(n)s incident report you can read:", { n })
        : _("In %(n)s incident reports you can read:", { n })) + " "]);
      i.also_in_reports.slice(0, 5).forEach((r, n) => {
        if (n) also.appendChild(document.createTextNode(", "));
        also.appendChild(el("a", { href: "/incidents/" + r.incident + "#indicators" }, [r.ref]));
      });
      li.appendChild(also);
    }
    const tools = el("div", { class: "btn-row small" }, [
      el("button", { type: "button", class: "btn btn-quiet btn-small", "data-copy": String(i.id), text: _("Copy refanged"), "aria-label": _("Copy refanged: %(value)s", { value: i.defanged }) }),
      el("button", { type: "button", class: "btn btn-quiet btn-small", "data-seen": String(i.id), text: _("Seen by us"), "aria-label": _("Seen by us (%(org)s): %(value)s", { org: me.org, value: i.defanged }) }),
    ]);
    const mayEdit = R.canWrite() && (R.role() === "lead" || i.source_org.id === me.org_id);
    if (mayEdit && i.status === "active") tools.appendChild(el("button", { type: "button", class: "btn btn-quiet btn-small", "data-retire": String(i.id), text: _("Retire") }));
    li.appendChild(tools);
    return li;
  }

  function render() {
    const shown = items.filter((i) => i.status === "active").concat(items.filter((i) => i.status !== "active"));
    list.replaceChildren(...(shown.length ? shown.map(row) : [el("li", { class: "muted small", text: _("No indicators yet.") })]));
    const active = items.filter((i) => i.status === "active").length;
    $("[data-ind-count]", panel).textContent = items.length ? _("%(n)s active", { n: active }) : "";
  }

  let pending = null;
  function reload() {
    if (pending) return;
    pending = setTimeout(() => {
      R.api("GET", "/rooms/" + R.room().id + "/indicators").then((d) => { items = d.indicators; render(); }).catch(() => {}).finally(() => { pending = null; });
    }, 150);
  }

  R.onEvent((ev) => { if (ev && ev.kind === "indicator") reload(); });
  R.onRoomChange(() => { fillTlps(); render(); });

  list.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    const find = (attr) => items.find((i) => i.id === Number(b.getAttribute(attr)));
    clearError(b);
    if (b.hasAttribute("data-copy")) {
      const i = find("data-copy");
      const done = () => { b.textContent = _("Copied"); setTimeout(() => { b.textContent = _("Copy refanged"); }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(i.value).then(done, (err) => showError(b, err));
      else showError(b, new Error(_("The browser offers no clipboard here; the value is: %(value)s", { value: i.value })));
    } else if (b.hasAttribute("data-seen")) {
      const i = find("data-seen");
      b.disabled = true;
      R.api("POST", "/indicators/" + i.id + "/sightings", {}).then((d) => { i.sightings = d.sightings; render(); })
        .catch((err) => showError(b, err)).finally(() => { b.disabled = false; });
    } else if (b.hasAttribute("data-retire")) {
      const i = find("data-retire");
      b.disabled = true;
      R.api("POST", "/indicators/" + i.id + "/retire").then(reload).catch((err) => { b.disabled = false; showError(b, err); });
    }
  });

  const add = $("[data-ind-add]", panel);
  add.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(add);
    const body = { type: add.type.value, value: add.value.value, tlp: add.tlp.value };
    if (add.confidence.value !== "") body.confidence = Number(add.confidence.value);
    if (add.description.value.trim()) body.description = add.description.value;
    const tags = add.tags.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    const btn = add.querySelector("button[type=submit]");
    btn.disabled = true;
    R.api("POST", "/rooms/" + R.room().id + "/indicators", body).then(() => { add.reset(); fillTlps(); reload(); })
      .catch((err) => showError(add, err)).finally(() => { btn.disabled = false; });
  });

  const paste = $("[data-ind-extract]", panel);
  const review = $("[data-ind-review]", panel);
  const foundList = $("[data-ind-found]", panel);
  paste.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(paste);
    R.api("POST", "/rooms/" + R.room().id + "/indicators/extract", { text: paste.text.value }).then((d) => {
      $("[data-ind-found-count]", panel).textContent = String(d.found.length);
      foundList.replaceChildren(...d.found.map((f, n) => {
        const id = "ind-found-" + n;
        const note = f.known ? " — " + _("already in this room") : !f.also_in ? ""
          : " — " + (f.also_in === 1 ? _("also in %(n)s room or report you can see", { n: f.also_in })
            : _("also in %(n)s rooms or reports you can see", { n: f.also_in }));
        return el("li", {}, [
          el("input", { type: "checkbox", id, checked: !f.known, disabled: f.known, "data-type": f.type, "data-value": f.value }),
          el("label", { for: id, class: "check" }, [el("span", { class: "tag", text: label("indicator_type", f.type) }), " ",
            el("code", { class: "ioc", dir: "ltr", text: f.defanged }), el("span", { class: "muted small", text: note })]),
        ]);
      }));
      review.hidden = d.found.length === 0;
      if (!d.found.length) showError(paste, new Error(_("No indicators found in that text.")));
    }).catch((err) => showError(paste, err));
  });
  review.addEventListener("submit", (e) => {
    e.preventDefault();
    clearError(review);
    const picked = Array.from(foundList.querySelectorAll("input:checked:not(:disabled)")).map((c) => ({ type: c.getAttribute("data-type"), value: c.getAttribute("data-value") }));
    if (!picked.length) { showError(review, new Error(_("Choose at least one indicator."))); return; }
    const btn = review.querySelector("button[type=submit]");
    btn.disabled = true;
    R.api("POST", "/rooms/" + R.room().id + "/indicators/bulk", { indicators: picked, tlp: review.tlp.value }).then((d) => {
      review.hidden = true;
      paste.reset();
      foundList.replaceChildren();
      showError(paste, new Error(d.skipped ? _("Added %(added)s, %(skipped)s already known.", { added: d.added.length, skipped: d.skipped })
        : _("Added %(added)s.", { added: d.added.length })));
      reload();
    }).catch((err) => showError(review, err)).finally(() => { btn.disabled = false; });
  });

  render();
}
