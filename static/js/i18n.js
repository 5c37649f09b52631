// The interface's words in the reader's language. The server is the one source: base.html
// carries the part of its catalogue these scripts use (council/i18n.py), so nothing is
// fetched and no script waits for another (module scripts may run in any order).
const node = document.getElementById("council-i18n");
const catalogue = node ? JSON.parse(node.textContent) : {};

/** The page's language ("en", "ur") and direction, for formatting in the browser. */
export const lang = document.documentElement.lang || "en";
export const rtl = document.documentElement.dir === "rtl";

const RIGHT_TO_LEFT = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;

/** In a right-to-left page a value put into a sentence (a date, an IP, a name) is isolated
 * with its own direction (Unicode isolates: LRI…PDI for left-to-right text, FSI…PDI
 * otherwise), so "2026-12-01" never shows as "01-12-2026" inside Urdu. */
function isolated(value) {
  const text = String(value);
  if (!rtl || text === "") return text;
  return (RIGHT_TO_LEFT.test(text) ? "\u2068" : "\u2066") + text + "\u2069";
}

/** ``text`` translated; ``%(name)s`` placeholders filled from ``values`` (as Python's gettext). */
export function _(text, values) {
  const found = catalogue[text] || text;
  if (!values) return found;
  return found.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? isolated(values[name]) : whole));
}

