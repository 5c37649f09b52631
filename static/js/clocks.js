// Countdowns of reporting stages: "due in 3h 12m" or "overdue by 20m", green,
// amber under a quarter of the stage's time left, red once overdue. The server
// renders the first state; this keeps it moving (and is shared with the room).
import { _ } from "./i18n.js";

const AMBER_SHARE = 0.25;

export function span(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return _("%(d)sd %(h)sh", { d, h });
  if (h) return _("%(h)sh %(m)sm", { h, m: String(m).padStart(2, "0") });
  return _("%(m)sm", { m });
}

/** Text and colour of a countdown to ``dueIso`` for a stage allowed ``hours``. */
export function countdown(dueIso, hours, now = Date.now()) {
  const left = (new Date(dueIso).getTime() - now) / 1000;
  if (left < 0) return { text: _("overdue by %(span)s", { span: span(left) }), colour: "red" };
  const share = hours ? left / (hours * 3600) : 0;
  return { text: _("due in %(span)s", { span: span(left) }), colour: share < AMBER_SHARE ? "amber" : "green" };
}

export function tick(root) {
  (root || document).querySelectorAll("[data-countdown][data-due]").forEach((node) => {
    const { text, colour } = countdown(node.dataset.due, Number(node.dataset.hours));
    node.className = "clock clock-" + colour;
    const time = node.querySelector("time");
    node.textContent = (node.dataset.label ? node.dataset.label + " " : "") + text + " ";
    if (time) node.appendChild(time);
  });
}

tick();
setInterval(tick, 30000);
