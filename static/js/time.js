// One way to show time across the platform: "2026-12-01 14:02" (date and
// time) or "14:02" (time of day), always in the zone the app shows (named
// once per page by the server), and exercise time as T+HH:MM:SS.
import { _, lang } from "./i18n.js";

const cache = new Map();

function parts(zone, withSeconds) {
  const key = zone + (withSeconds ? ":s" : "");
  if (!cache.has(key)) {
    cache.set(key, new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: withSeconds ? "2-digit" : undefined, hourCycle: "h23",
    }));
  }
  return cache.get(key);
}

function pieces(iso, zone, withSeconds) {
  const out = {};
  for (const p of parts(zone, withSeconds).formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

const months = new Map();

/** The month's name in Urdu (CLDR, as the server's Babel writes it). */
function urduMonth(iso, zone) {
  if (!months.has(zone)) months.set(zone, new Intl.DateTimeFormat("ur-PK", { timeZone: zone, month: "long" }));
  return months.get(zone).format(new Date(iso));
}

/** "2026-12-01 14:02" (or with seconds) in ``zone``; in Urdu as the server writes it,
 * "1 دسمبر 2026، 14:02" (council/timefmt.py); "" for no time. */
export function dateTime(iso, zone, withSeconds = false) {
  if (!iso) return "";
  const p = pieces(iso, zone, withSeconds);
  const clock = `${p.hour}:${p.minute}${withSeconds ? ":" + p.second : ""}`;
  if (lang === "ur") return `${Number(p.day)} ${urduMonth(iso, zone)} ${p.year}، ${clock}`;
  return `${p.year}-${p.month}-${p.day} ${clock}`;
}

/** "14:02" in ``zone``. */
export function timeOfDay(iso, zone) {
  if (!iso) return "";
  const p = pieces(iso, zone, false);
  return `${p.hour}:${p.minute}`;
}

/** Exercise time: seconds from STARTEX as T+HH:MM:SS. */
export function tPlus(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return "T+" + String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
}

/** A wait in wall seconds, for countdowns: "in 4m 05s", "due". */
export function countdown(seconds) {
  if (seconds <= 0) return _("due");
  const m = Math.floor(seconds / 60), sec = String(Math.floor(seconds % 60)).padStart(2, "0");
  return m ? _("in %(min)sm %(sec)ss", { min: m, sec }) : _("in %(sec)ss", { sec });
}

/** A datetime-local field's value ("2026-12-01T14:02") for an ISO time in ``zone``. */
export function localInput(iso, zone) {
  if (!iso) return "";
  const p = pieces(iso, zone, false);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
