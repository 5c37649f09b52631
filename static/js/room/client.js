// The live room client.
//
// Events are ordered by seq, never by arrival: the feed shows the contiguous
// run 1..`shown` and holds anything after a gap until REST fills it. On every
// (re)connect the client joins with `since` = its last contiguous seq, so
// nothing is missed and duplicates are dropped by seq. Posts carry a client
// id and are retried with the same id, so a retry never doubles a message.
//
// Extensions (decisions, exercises) are modules the page imports before the
// client starts; each gets this object in install() and registers its
// renderers and listeners there, so nothing depends on script order.
import { socket as sharedSocket, onConnect } from "../socket.js";
import { $, el } from "../dom.js";
import { api } from "../api.js";
import { _ } from "../i18n.js";
import { authorLine, renderCore, renderGeneric } from "./feed.js";

const POST_TIMEOUT_MS = 8000;
const POST_RETRIES = 5;

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

// An event may arrive in several forms (stub < redacted copy < full, sent to
// the room and to audience channels): a richer form replaces a poorer one.
function rank(ev) { return ev.kind === "restricted" ? 0 : ev.partial ? 1 : 2; }
function hiddenInFeed(ev) { return ev.kind === "restricted" || (ev.kind === "message" && (ev.edits || ev.redacts)); }

export class RoomClient {
  constructor(boot) {
    this.boot = boot;
    this.me = boot.me;
    this.zone = boot.timezone;
    this._room = boot.room;
    this._role = boot.room.role;
    this.events = new Map();   // seq -> event, everything shown
    this.held = new Map();     // seq -> event, waiting behind a gap
    this.shown = 0;            // highest contiguous seq applied
    this.first = null;         // lowest seq loaded (history pages go below it)
    this.filling = false;
    this.renderers = new Map();
    this.eventListeners = [];
    this.roomListeners = [];
    this.socket = null;
    this.stick = true;
    this.feed = $("[data-feed]");
    this.list = $("[data-events]");
    this.conn = $("[data-conn]");
  }

  // ---- what extensions use ------------------------------------------------
  room() { return this._room; }
  role() { return this._role; }
  canWrite() { return (this._role === "lead" || this._role === "member") && this._room.status !== "closed"; }
  api(method, path, body) { return api(method, path, body); }
  authorLine(ev, kindLabel) { return authorLine(this, ev, kindLabel); }
  /** ``fn(ev, li)`` renders events of ``kind`` (it must depend on the event and the viewer only). */
  registerRenderer(kind, fn) { this.renderers.set(kind, fn); }
  /** ``fn(ev, live)`` for every event applied, in seq order (live: not from the first page). */
  onEvent(fn) { this.eventListeners.push(fn); }
  /** ``fn(room, role)`` whenever the room's facts or the viewer's role change. */
  onRoomChange(fn) { this.roomListeners.push(fn); }

  setRoom(room, role) {
    this._room = room;
    if (role !== undefined) this._role = role;
    this.roomListeners.forEach((fn) => fn(this._room, this._role));
  }

  // ---- rendering ------------------------------------------------------------
  renderEvent(ev) {
    const li = el("li", { class: "ev ev-" + ev.kind, "data-seq": String(ev.seq) });
    const custom = this.renderers.get(ev.kind);
    if (custom) custom(ev, li);
    else if (!renderCore(this, ev, li)) renderGeneric(this, ev, li);
    return li;
  }

  // In seq order, before anything still pending (which has no seq yet).
  place(li, seq) {
    let before = null;
    for (const node of this.list.children) {
      if (node.classList.contains("unread-marker")) continue;
      if (node.classList.contains("ev-pending")) { before = node; break; }
      if (Number(node.getAttribute("data-seq")) > seq) { before = node; break; }
    }
    this.list.insertBefore(li, before);
  }

  rerender(seq) {
    const ev = this.events.get(seq);
    const old = this.list.querySelector('[data-seq="' + seq + '"]');
    if (ev && old) old.replaceWith(this.renderEvent(ev));
  }

  rerenderAll() {
    for (const ev of this.events.values()) if (!hiddenInFeed(ev)) this.rerender(ev.seq);
  }

  // Effects of the core kinds on earlier events; panels hear onEvent.
  effects(ev, live) {
    if (ev.kind === "message" && (ev.edits || ev.redacts)) {
      const target = this.events.get(ev.edits || ev.redacts);
      if (target) {
        if (ev.redacts) {
          target.redacted = true; target.body_html = ""; target.body = "";
          for (const e of this.events.values()) if (e.edits === target.seq) { e.body = ""; e.body_html = ""; }
        }
        else if (!target.redacted) { target.body_html = ev.body_html; target.body = ev.body; target.edited_seq = ev.seq; }
        this.rerender(target.seq);
      }
    }
    this.eventListeners.forEach((fn) => fn(ev, live));
  }

  show(ev, live) {
    if (this.events.has(ev.seq)) return;
    this.events.set(ev.seq, ev);
    if (this.first === null || ev.seq < this.first) this.first = ev.seq;
    this.composer && this.composer.settled(ev);
    if (!hiddenInFeed(ev)) {
      this.place(this.renderEvent(ev), ev.seq);
      if (live) this.unread && this.unread.note(ev);
      if (this.stick) this.scrollToBottom(); else if (live) $("[data-new-below]").hidden = false;
    }
    this.effects(ev, live);
  }

  upgrade(ev) {
    if (this.held.has(ev.seq)) { this.held.set(ev.seq, ev); return; }
    this.events.set(ev.seq, ev);
    const old = this.list.querySelector('[data-seq="' + ev.seq + '"]');
    if (old) old.remove();
    if (!hiddenInFeed(ev)) this.place(this.renderEvent(ev), ev.seq);
    this.effects(ev, true);
  }

  /** Feed one event in; apply everything now contiguous; fill gaps by REST. */
  receive(ev, live) {
    const have = this.events.get(ev.seq) || this.held.get(ev.seq);
    if (have) { if (rank(ev) > rank(have)) this.upgrade(ev); return; }
    if (ev.seq <= this.shown) return;
    this.held.set(ev.seq, ev);
    while (this.held.has(this.shown + 1)) {
      const next = this.held.get(this.shown + 1);
      this.held.delete(this.shown + 1);
      this.shown = next.seq;
      this.show(next, live);
    }
    if (this.held.size && !this.filling) this.fillGap();
    this.readMarks && this.readMarks.seen(this.shown);
  }

  async fillGap() {
    this.filling = true;
    try {
      const page = await api("GET", "/rooms/" + this._room.id + "/events?since=" + this.shown + "&limit=500");
      this.filling = false;
      page.events.forEach((ev) => this.receive(ev, true));
      if (page.has_more) this.fillGap();
    } catch (_e) {
      this.filling = false;
      setTimeout(() => { if (this.held.size) this.fillGap(); }, 2000);
    }
  }

  /** History below what is shown (older pages). */
  async loadEarlier() {
    const page = await api("GET", "/rooms/" + this._room.id + "/events?before=" + this.first + "&limit=50");
    for (const ev of page.events) {
      if (this.events.has(ev.seq)) continue;
      this.events.set(ev.seq, ev);
      this.first = Math.min(this.first, ev.seq);
      if (!hiddenInFeed(ev)) this.place(this.renderEvent(ev), ev.seq);
    }
    // Older edits and redactions may target messages now loaded.
    page.events.forEach((ev) => { if (hiddenInFeed(ev)) this.effects(ev, false); });
    this.eventListeners.forEach((fn) => fn(null, false));
    return page;
  }

  atBottom() { return this.feed.scrollHeight - this.feed.scrollTop - this.feed.clientHeight < 40; }
  scrollToBottom() { this.feed.scrollTop = this.feed.scrollHeight; this.stick = true; }

  // ---- posting --------------------------------------------------------------
  /** Post one event; retried with the same client id until the server answers. */
  post(payload) {
    payload.room = this._room.id;
    payload.client_id = payload.client_id || newClientId();
    const attempt = (n) => new Promise((resolve, reject) => {
      this.socket.timeout(POST_TIMEOUT_MS).emit("post", payload, (err, ack) => {
        if (err) {
          if (n < POST_RETRIES) setTimeout(() => attempt(n + 1).then(resolve, reject), 500 * (n + 1));
          else reject(new Error(_("Not sent: the connection was lost. Try again when the room shows Live.")));
          return;
        }
        if (!ack || !ack.ok) {
          const fields = ack && ack.fields ? " " + Object.values(ack.fields).join(" ") : "";
          reject(new Error(((ack && ack.error) || _("Not accepted.")) + fields));
          return;
        }
        this.receive(ack.event, true);
        resolve(ack);
      });
    });
    return attempt(0);
  }

  // ---- socket ---------------------------------------------------------------
  setConn(state, text) { this.conn.className = "conn conn-" + state; this.conn.textContent = text; }

  connect() {
    const socket = this.socket = sharedSocket();
    window.__roomSocket = socket;  // a handle for operators' consoles and the browser tests, used by no module
    onConnect(socket, () => {
      this.setConn("connecting", _("Joining…"));
      // batch: what one transaction wrote arrives as one "events" list (busy rooms).
      socket.timeout(10000).emit("join", { room: this._room.id, since: this.shown, batch: true }, (err, ack) => {
        if (err || !ack) { this.setConn("down", _("Reconnecting…")); return; }
        if (!ack.ok) { this.setConn("down", ack.error); return; }
        if (ack.role && ack.role !== this._role) this.setRoom(this._room, ack.role);
        ack.events.forEach((ev) => this.receive(ev, true));
        if (ack.has_more || ack.latest_seq > this.shown) this.fillGap();
        this.setConn("live", _("Live"));
      });
    });
    socket.on("disconnect", () => this.setConn("down", _("Reconnecting…")));
    socket.io.on("reconnect_attempt", () => this.setConn("down", _("Reconnecting…")));
    socket.on("connect_error", () => this.setConn("down", _("Reconnecting…")));
    socket.on("event", (ev) => { if (ev.room === this._room.id) this.receive(ev, true); });
    socket.on("events", (batch) => {
      if (batch.room === this._room.id) batch.events.forEach((ev) => this.receive(ev, true));
    });
    this.socketHandlers.forEach(([name, fn]) => socket.on(name, fn));
  }

  /** Listen to a server message other than room events (presence, removed…). */
  onSocket(name, fn) {
    (this.socketHandlers = this.socketHandlers || []).push([name, fn]);
    if (this.socket) this.socket.on(name, fn);
  }

  /** Apply the first page, then go live. Called once every extension is installed. */
  start() {
    this.socketHandlers = this.socketHandlers || [];
    this.setRoom(this._room, this._role);
    for (const ev of this.boot.events) {
      if (this.first === null) this.shown = ev.seq - 1;
      this.receive(ev, false);
    }
    this.scrollToBottom();
    this.connect();
  }
}
