// People pickers: search as you type over the people the user may name
// (GET /api/v1/people, which applies the rules), instead of typing e-mail
// addresses from memory. Native <datalist>, so it is keyboard- and screen-
// reader-friendly without a widget library.
//
//   <input data-people-picker [data-room="7"]>          one person (value: e-mail)
//   <textarea data-people-picker="multi">               several: chips above the field;
//                                                        the textarea keeps the e-mails (works without JS)
import { el, bdi } from "./dom.js";
import { api } from "./api.js";
import { _ } from "./i18n.js";

let counter = 0;

function attachSearch(input, room) {
  const list = el("datalist", { id: "people-" + (++counter) });
  input.after(list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  let timer = null;
  let asked = "";
  input.addEventListener("input", () => {
    const q = input.value.trim();
    if (q.length < 2 || q === asked || q.includes("@") && list.querySelector(`option[value="${CSS.escape(q)}"]`)) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      asked = q;
      try {
        const data = await api("GET", "/people?q=" + encodeURIComponent(q) + (room ? "&room=" + room : ""));
        list.replaceChildren(...data.people.map((p) => el("option", { value: p.email, label: p.name + " · " + p.org })));
      } catch (_e) { list.replaceChildren(); }
    }, 150);
  });
  return list;
}

function single(input) {
  attachSearch(input, input.getAttribute("data-room"));
}

function multi(area) {
  const emails = () => area.value.split(/[\s,;]+/).filter(Boolean);
  const chips = el("ul", { class: "people-chips", "aria-label": _("Chosen people") });
  const listName = area.labels[0] ? area.labels[0].textContent.trim() : _("the list");
  const input = el("input", { type: "email", class: "people-search", "aria-label": _("Add a person to %(list)s", { list: listName }),
    placeholder: _("Type a name or e-mail, then Enter") });
  const wrap = el("div", { class: "people-picker" }, [chips, input]);
  area.before(wrap);
  area.hidden = true;
  attachSearch(input, area.getAttribute("data-room"));
  function render() {
    chips.replaceChildren(...emails().map((e) => el("li", { class: "chip" }, [bdi(e),
      el("button", { type: "button", class: "btn btn-quiet btn-small", "data-remove": e, "aria-label": _("Remove %(name)s", { name: e }), text: "✕" })])));
  }
  function add() {
    const e = input.value.trim();
    if (!e) return;
    if (!emails().includes(e)) area.value = [...emails(), e].join(", ");
    input.value = "";
    render();
  }
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); add(); } });
  input.addEventListener("change", () => { if (input.value.includes("@")) add(); });
  chips.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-remove]");
    if (!b) return;
    area.value = emails().filter((e) => e !== b.getAttribute("data-remove")).join(", ");
    render();
    input.focus();
  });
  area.form && area.form.addEventListener("submit", add);
  render();
}

export function enhance(root) {
  (root || document).querySelectorAll("[data-people-picker]").forEach((node) => {
    if (node.dataset.pickerReady) return;
    node.dataset.pickerReady = "1";
    if (node.getAttribute("data-people-picker") === "multi") multi(node); else single(node);
  });
}

enhance(document);
