// "@" in the message box offers the people who can see this room and its
// organisations (GET /rooms/<id>/mentionable): a listbox under the box, ↑ ↓ to
// move, Enter or Tab to insert "@handle ", Esc to close. Keys are taken (in the
// capture phase) only while the list is open, so Ctrl+Enter still sends. The box
// stays a textbox (aria-autocomplete, aria-activedescendant); a live region says
// how many are offered.
import { el } from "../dom.js";
import { api } from "../api.js";
import { _ } from "../i18n.js";

const TOKEN = /(^|[\s(])@([a-z0-9._-]{0,40})$/i;

export function attachMentions(box, roomId) {
  const list = el("ul", { id: "mention-list", class: "mention-list", role: "listbox", "aria-label": _("People and organisations to mention"), hidden: true });
  const live = el("span", { class: "sr-only", role: "status", "aria-live": "polite" });
  box.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", live);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", "mention-list");
  let options = [];
  let active = 0;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true; options = []; list.replaceChildren();
    box.removeAttribute("aria-activedescendant");
  };
  const mark = () => {
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
    if (options[active]) box.setAttribute("aria-activedescendant", `mention-${active}`);
  };
  const choose = (i) => {
    const opt = options[i];
    if (!opt) return;
    const before = box.value.slice(0, box.selectionStart);
    const after = box.value.slice(box.selectionStart);
    const start = before.replace(TOKEN, (_m, lead) => `${lead}@${opt.handle} `);
    box.value = start + after;
    box.selectionStart = box.selectionEnd = start.length;
    close();
    box.focus();
  };
  const show = (found) => {
    options = [...found.people.map((p) => ({ handle: p.handle, label: `${p.name} · ${p.org}` })),
      ...found.orgs.map((o) => ({ handle: o.handle, label: _("%(name)s (organisation)", { name: o.name }) }))];
    if (!options.length) { close(); return; }
    active = 0;
    list.replaceChildren(...options.map((o, i) => {
      const li = el("li", { id: `mention-${i}`, role: "option", class: "mention-option" },
        [el("strong", { text: "@" + o.handle }), el("span", { class: "muted small", text: " " + o.label })]);
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(i); });
      return li;
    }));
    list.hidden = false;
    mark();
    live.textContent = _("%(n)s to mention: ↑ ↓ and Enter", { n: options.length });
  };
  const lookup = () => {
    const match = TOKEN.exec(box.value.slice(0, box.selectionStart));
    if (!match) { close(); return; }
    const mine = ++asked;
    clearTimeout(timer);
    timer = setTimeout(() => {
      api("GET", `/rooms/${roomId()}/mentionable?q=${encodeURIComponent(match[2])}`)
        .then((found) => { if (mine === asked) show(found); }).catch(close);
    }, 120);
  };

  box.addEventListener("input", lookup);
  box.addEventListener("blur", () => setTimeout(close, 150));
  box.addEventListener("keydown", (ev) => {
    if (list.hidden || !options.length || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      active = (active + (ev.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      mark();
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      choose(active);
    } else if (ev.key === "Escape") {
      close();
    } else {
      return;
    }
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }, true);
}
