// Small DOM helpers shared by the page modules. No inline script or style
// anywhere: the CSP allows neither.

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

/** Build an element. ``html`` takes only HTML the server sanitised. */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
  }
  for (const c of children || []) {
    if (c !== null && c !== undefined && c !== false && c !== "") {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
  }
  return node;
}

/** A translated sentence holding elements: its ``%(name)s`` placeholders become the nodes (or
 * text) in ``values``, in the order the sentence puts them (``el``'s children). */
export function fill(text, values) {
  return text.split(/(%\(\w+\)s)/).filter((piece) => piece !== "").map((piece) => {
    const m = /^%\((\w+)\)s$/.exec(piece);
    if (!m || !(m[1] in values)) return piece;
    const v = values[m[1]];
    return typeof v === "number" ? String(v) : v;
  });
}

/** User text shown inline: isolated, so a right-to-left name or title cannot reorder what follows. */
export function bdi(text, cls) {
  return el("bdi", { class: cls, text: text, dir: "auto" });
}

// Refusals are shown where the person acted: in the form (or next to the
// button) that sent the request, in a live region screen readers announce.
function errorBox(where) {
  const host = where.closest("form, [data-error-host], li, section") || where;
  let box = host.querySelector(":scope > .action-error");
  if (!box) {
    box = el("p", { class: "action-error", role: "alert" });
    host.appendChild(box);
  }
  return box;
}

/** Say why an action failed, next to ``where`` (an element the person used). */
export function showError(where, err) {
  const box = errorBox(where);
  box.textContent = (err && err.message) || String(err);
  box.hidden = false;
  return box;
}

/** Remove a message shown by showError near ``where``. */
export function clearError(where) {
  const host = where.closest("form, [data-error-host], li, section") || where;
  const box = host.querySelector(":scope > .action-error");
  if (box) box.remove();
}

/** The text of an error answer: the message and each field's reason. */
export function errorText(data, fallback) {
  if (!data) return fallback;
  const fields = data.fields ? Object.entries(data.fields).map(([k, v]) => `${k.replace(/_/g, " ")}: ${v}`) : [];
  return [data.error || fallback, ...fields].join(" ");
}
