// Behaviours shared by every page. No inline script anywhere (CSP).
import { el, bdi } from "./dom.js";
import { api } from "./api.js";
import { label } from "./labels.js";
import { _ } from "./i18n.js";

// Buttons marked data-confirm ask before submitting their form.
document.addEventListener("submit", (ev) => {
  const btn = ev.submitter;
  const msg = btn && btn.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Tables read as cards on a narrow screen: each cell carries its column's name.
document.querySelectorAll("table.table").forEach((table) => {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  if (!heads.length) return;
  table.querySelectorAll("tbody tr").forEach((tr) => {
    [...tr.children].forEach((td, i) => { if (heads[i] && !td.hasAttribute("data-label")) td.setAttribute("data-label", heads[i]); });
  });
});

// ---- the room switcher (Ctrl+K) -----------------------------------------------
// Every room the person may see, filtered as they type; Enter opens the first
// (or the focused) one. Only for signed-in pages (they carry the top bar).
let dialog = null;
let rooms = null;

function switcher() {
  if (dialog) return dialog;
  const input = el("input", { type: "search", id: "switcher-q", autocomplete: "off", placeholder: _("Type part of a room's title…") });
  const list = el("ul", { class: "switcher-list", id: "switcher-list", "aria-label": _("Rooms") });
  const hint = el("p", { class: "muted small", text: _("↑ ↓ to move, Enter to open, Esc to close.") });
  dialog = el("dialog", { class: "switcher", "aria-labelledby": "switcher-h" }, [
    el("h2", { id: "switcher-h", text: _("Go to a room") }),
    el("label", { for: "switcher-q", class: "sr-only", text: _("Room title") }), input, list, hint,
  ]);
  document.body.appendChild(dialog);

  function render() {
    const q = input.value.trim().toLowerCase();
    const found = (rooms || []).filter((r) => !q || r.title.toLowerCase().includes(q)).slice(0, 12);
    list.replaceChildren(...found.map((r) => el("li", {}, [el("a", { href: "/rooms/" + r.id, class: "switcher-item" }, [
      bdi(r.title), " ",
      el("span", { class: "tlp tlp-" + r.tlp, text: "TLP:" + r.tlp }), " ",
      r.exercise ? el("span", { class: "tag tag-exercise", text: "EXERCISE" }) : null, " ",
      el("span", { class: "muted small", text: label("room_status", r.status) }),
    ])])));
    if (rooms === null) list.replaceChildren(el("li", { class: "muted", text: _("Loading rooms…") }));
    else if (!found.length) list.replaceChildren(el("li", { class: "muted", text: _("No room matches.") }));
  }
  input.addEventListener("input", render);
  dialog.addEventListener("keydown", (ev) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (ev.key === "ArrowDown") { ev.preventDefault(); (links[at + 1] || links[0] || input).focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); (at > 0 ? links[at - 1] : input).focus(); }
    else if (ev.key === "Enter" && document.activeElement === input && links[0]) { ev.preventDefault(); window.location.href = links[0].href; }
  });
  dialog.render = render;
  dialog.input = input;
  return dialog;
}

function openSwitcher() {
  const d = switcher();
  d.input.value = "";
  d.render();
  if (!d.open) d.showModal();
  d.input.focus();
  api("GET", "/rooms?status=active&kind=all").then((data) => { rooms = data.rooms; d.render(); })
    .catch((e) => { rooms = []; d.render(); d.querySelector(".switcher-list").replaceChildren(el("li", { class: "action-error", text: e.message })); });
}

if (document.querySelector(".topbar")) {
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === "k") { ev.preventDefault(); openSwitcher(); }
  });
  const opener = document.querySelector("[data-open-switcher]");
  if (opener) opener.addEventListener("click", openSwitcher);
}
