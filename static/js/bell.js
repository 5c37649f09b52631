// The bell on every signed-in page: the unread count, kept live over the
// person's own Socket.IO channel (server-joined; never a room channel), and a
// short notice of each new notification. Caught up by REST on every (re)connect.
import { $, el } from "./dom.js";
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { socket, onConnect } from "./socket.js";

const bell = $("#bell");
if (bell) {
  const count = $(".bell-count", bell);
  const live = $("#bell-live");
  let unread = Number(bell.dataset.unread || 0);

  const show = (n) => {
    unread = Math.max(0, n);
    count.textContent = unread > 99 ? "99+" : String(unread);
    bell.classList.toggle("bell-on", unread > 0);
    bell.setAttribute("aria-label", _("Notifications: %(n)s unread", { n: unread }));
    bell.dataset.unread = String(unread);
  };

  // A named region (a landmark): notices that arrive are never content outside the page's landmarks.
  const toasts = () => $("#toasts") || document.body.appendChild(
    el("section", { id: "toasts", class: "toasts", "aria-label": _("New notifications") }));

  const notice = (n) => {
    // The server pushes a TLP:RED notification without its words (any of the person's sockets
    // gets it); say so in the reader's language. The notifications page shows it after the step-up.
    const title = n.tlp === "RED" ? _("A TLP:RED notification: enter a code from your authenticator app to read it.") : n.title;
    const marks = [n.exercise ? el("span", { class: "tag tag-exercise", text: "EXERCISE" }) : null,
      n.tlp && n.tlp !== "CLEAR" ? el("span", { class: `tlp tlp-${n.tlp}`, text: `TLP:${n.tlp}` }) : null];
    const close = el("button", { type: "button", class: "btn btn-quiet btn-small", "aria-label": _("Dismiss"), text: "×" });
    const item = el("div", { class: "toast" + (n.urgent ? " toast-urgent" : "") }, [
      ...marks, el("a", { href: n.url, text: title }), close]);
    close.addEventListener("click", () => item.remove());
    toasts().appendChild(item);
    setTimeout(() => item.remove(), 12000);
    if (live) live.textContent = _("New notification: %(title)s", { title });
  };

  const s = socket();
  s.on("notification", (n) => {
    show(unread + 1);
    notice(n);
    document.dispatchEvent(new CustomEvent("council:notification", { detail: n }));
  });
  s.on("notifications_read", (m) => {
    show(m.unread);
    document.dispatchEvent(new CustomEvent("council:notifications-read", { detail: m }));
  });
  onConnect(s, () => {
    api("GET", "/notifications?unread=1&limit=1").then((r) => show(r.unread)).catch(() => {});
  });
}
