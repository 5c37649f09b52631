// The interface's words in the reader's language. The server is the one source: base.html
// carries the part of its catalogue these scripts use (council/i18n.py), so nothing is
// fetched and no script waits for another (module scripts may run in any order).
const node = document.getElementById("council-i18n");
const catalogue = node ? JSON.parse(node.textContent) : {};

/** ``text`` translated; ``%(name)s`` placeholders filled from ``values`` (as Python's gettext). */
export function _(text, values) {
  const found = catalogue[text] || text;
  if (!values) return found;
  return found.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The page's language ("en", "ur") and direction, for formatting in the browser. */
export const lang = document.documentElement.lang || "en";
export const rtl = document.documentElement.dir === "rtl";
