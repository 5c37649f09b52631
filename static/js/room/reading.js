// Where the reader is: the unread marker while away, "New events ↓", paging
// of older history, and the read position the server keeps for unread counts.
import { $, el } from "../dom.js";
import { _ } from "../i18n.js";

export function installReading(room) {
  const newBelow = $("[data-new-below]");
  const loadEarlierBtn = $("[data-load-earlier]");
  const feedStart = $("[data-feed-start]");
  const baseTitle = document.title;
  let unread = 0;
  let marker = null;

  const away = () => document.hidden || !room.stick;
  room.unread = {
    note(ev) {
      if (ev.author && ev.author.id === room.me.id) return;
      if (!away()) return;
      unread += 1;
      if (!marker) {
        const since = _("New since you were away");
        marker = el("li", { class: "unread-marker", role: "separator", "aria-label": since }, [el("span", { text: since })]);
        const li = room.list.querySelector('[data-seq="' + ev.seq + '"]');
        if (li) room.list.insertBefore(marker, li);
      }
      document.title = "(" + unread + ") " + baseTitle;
    },
  };
  function clearUnread() {
    if (away()) return;
    unread = 0; document.title = baseTitle; newBelow.hidden = true;
    readMarks.seen(room.shown);
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) setTimeout(clearUnread, 0); });
  room.feed.addEventListener("scroll", () => { room.stick = room.atBottom(); if (room.stick) clearUnread(); });
  newBelow.addEventListener("click", () => { room.scrollToBottom(); clearUnread(); });
  if ("ResizeObserver" in window) {
    // Follow the newest events unless the reader scrolled up: decided by the
    // reader's scrolling, not re-measured at each insert.
    new ResizeObserver(() => { if (room.stick) room.feed.scrollTop = room.feed.scrollHeight; }).observe(room.list);
  }

  async function loadEarlier() {
    if (room.first === null || room.first <= 1) return;
    loadEarlierBtn.disabled = true;
    const height = room.feed.scrollHeight;
    try {
      const page = await room.loadEarlier();
      room.feed.scrollTop += room.feed.scrollHeight - height;   // keep the reader's place
      room.stick = room.atBottom();
      loadEarlierBtn.hidden = !page.has_more;
      feedStart.hidden = page.has_more;
    } catch (e) {
      feedStart.hidden = false;
      feedStart.textContent = _("Earlier events could not be loaded: %(reason)s", { reason: e.message });
    } finally {
      loadEarlierBtn.disabled = false;
    }
  }
  loadEarlierBtn.addEventListener("click", loadEarlier);
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      if (entries[0].isIntersecting && !loadEarlierBtn.hidden && !loadEarlierBtn.disabled) loadEarlier();
    }, { root: room.feed }).observe($("[data-feed-top]"));
  }

  // The read position goes to the server at most every few seconds, and only
  // while the reader is looking at the newest events.
  let sent = room.boot.read_seq || 0;
  let timer = null;
  const readMarks = room.readMarks = {
    seen(seq) {
      if (away() || seq <= sent || timer) return;
      timer = setTimeout(() => {
        timer = null;
        const upto = room.shown;
        if (upto <= sent || !room.socket || !room.socket.connected) return;
        sent = upto;
        room.socket.emit("read", { room: room.room().id, seq: upto }, () => {});
      }, 2000);
    },
  };
}
