// Human labels of stored values (statuses, roles, outcomes…). The server is
// the one source: base.html carries its vocabularies as JSON.
const node = document.getElementById("council-labels");
const vocab = node ? JSON.parse(node.textContent) : {};

/** The label of ``value`` in ``kind`` ("action_status", "in_progress" -> "In progress"). */
export function label(kind, value) {
  if (value === null || value === undefined || value === "") return "";
  const table = vocab[kind] || {};
  if (table[value]) return table[value];
  if ((vocab._open || []).includes(kind)) return String(value);
  const text = String(value).replace(/[_-]+/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function options(kind) {
  return Object.entries(vocab[kind] || {});
}
