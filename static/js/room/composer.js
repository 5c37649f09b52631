// The message box. On send the text leaves the box at once and shows in the
// feed as pending (greyed, with its client id) until the server's answer or
// the broadcast replaces it; sends go out one after another in the order
// they were made, so what is typed meanwhile is never touched and a second
// Ctrl+Enter on an empty box does nothing. A refused message comes back to
// the box with the reason (or, if the box holds a new draft, stays in the
// feed marked "not sent" with Retry and Edit).
import { $, el, bdi } from "../dom.js";
import { attachMentions } from "./mentions.js";
import { _ } from "../i18n.js";

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

export class Composer {
  constructor(room) {
    this.room = room;
    this.form = $("[data-composer]");
    this.text = $("[data-composer-text]");
    this.preview = $("[data-preview]");
    this.previewToggle = $("[data-preview-toggle]");
    this.error = $("[data-composer-error]");
    this.mode = $("[data-composer-mode]");
    this.cancelEdit = $("[data-cancel-edit]");
    this.pending = new Map();   // client id -> {li, payload}
    this.queue = Promise.resolve();
    this.editing = null;
    room.composer = this;
    this.wire();
    attachMentions(this.text, () => this.room._room.id);
  }

  wire() {
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.send(); });
    this.text.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); this.send(); }
      else if (ev.key === "Escape" && this.editing) { this.setEditing(null); this.text.value = ""; }
      else if (ev.key === "ArrowUp" && !this.text.value && !ev.shiftKey) {
        const last = this.lastOwnMessage();
        if (last) { ev.preventDefault(); this.setEditing(last.seq); }
      }
    });
    this.cancelEdit.addEventListener("click", () => { this.setEditing(null); this.text.value = ""; this.text.focus(); });
    this.previewToggle.addEventListener("click", () => this.togglePreview());
    this.room.list.addEventListener("click", (ev) => {
      const t = ev.target.closest("button");
      if (!t) return;
      if (t.hasAttribute("data-edit")) this.setEditing(Number(t.getAttribute("data-edit")));
      else if (t.hasAttribute("data-redact")) this.redact(Number(t.getAttribute("data-redact")), t);
      else if (t.hasAttribute("data-retry")) this.retry(t.getAttribute("data-retry"));
      else if (t.hasAttribute("data-unsend")) this.backToBox(t.getAttribute("data-unsend"));
    });
  }

  lastOwnMessage() {
    let last = null;
    for (const ev of this.room.events.values()) {
      if (ev.kind === "message" && !ev.edits && !ev.redacts && !ev.redacted && ev.author && ev.author.id === this.room.me.id
          && (!last || ev.seq > last.seq)) last = ev;
    }
    return last;
  }

  setEditing(seq) {
    this.editing = seq;
    this.mode.textContent = seq ? _("Editing message #%(seq)s", { seq }) : _("Message");
    this.cancelEdit.hidden = !seq;
    if (seq) {
      const ev = this.room.events.get(seq);
      this.text.value = ev ? ev.body : "";
      this.text.focus();
      this.text.setSelectionRange(this.text.value.length, this.text.value.length);
    }
  }

  send() {
    const body = this.text.value;
    if (!body.trim()) return;
    const payload = { kind: "message", body, client_id: newClientId() };
    if (this.editing) payload.edits = this.editing;
    this.text.value = "";
    this.setEditing(null);
    this.error.textContent = "";
    if (!this.preview.hidden) this.togglePreview();
    this.addPending(payload);
    this.enqueue(payload);
    this.text.focus();
  }

  addPending(payload) {
    const li = el("li", { class: "ev ev-message ev-pending", "data-client-id": payload.client_id, "aria-live": "off" }, [
      el("div", { class: "ev-head" }, [
        bdi(this.room.me.name, "ev-who"),
        el("span", { class: "ev-kind", text: payload.edits ? _("edit of #%(seq)s", { seq: payload.edits }) : _("sending") }),
        el("span", { class: "ev-seq", title: _("client id %(id)s", { id: payload.client_id }), text: "…" }),
      ]),
      el("div", { class: "ev-body pending-text", dir: "auto", text: payload.body }),
    ]);
    this.pending.set(payload.client_id, { li, payload });
    this.room.list.appendChild(li);
    this.room.scrollToBottom();
  }

  enqueue(payload) {
    this.queue = this.queue.then(() => this.room.post(payload).then(
      () => this.settledId(payload.client_id),
      (err) => this.failed(payload.client_id, err)));
  }

  /** The event for a pending message is in the feed (from the answer or the broadcast). */
  settled(ev) {
    if (ev.client_id && ev.author && ev.author.id === this.room.me.id) this.settledId(ev.client_id);
  }

  settledId(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    item.li.remove();
    this.pending.delete(clientId);
  }

  failed(clientId, err) {
    const item = this.pending.get(clientId);
    if (!item) return;
    this.error.textContent = err.message;
    if (!this.text.value.trim() && !this.editing) {
      // Nothing typed since: the text goes back where it was written.
      item.li.remove();
      this.pending.delete(clientId);
      if (item.payload.edits) this.setEditing(item.payload.edits);
      this.text.value = item.payload.body;
      return;
    }
    item.li.classList.add("ev-failed");
    item.li.querySelector(".ev-kind").textContent = _("not sent");
    item.li.appendChild(el("p", { class: "action-error", role: "alert", text: err.message }));
    item.li.appendChild(el("div", { class: "ev-tools ev-tools-shown" }, [
      el("button", { type: "button", class: "btn btn-small", "data-retry": clientId, text: _("Retry") }),
      el("button", { type: "button", class: "btn btn-quiet btn-small", "data-unsend": clientId, text: _("Edit in the box") }),
    ]));
  }

  retry(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    item.li.classList.remove("ev-failed");
    item.li.querySelector(".ev-kind").textContent = _("sending");
    item.li.querySelectorAll(".action-error, .ev-tools").forEach((n) => n.remove());
    this.enqueue(item.payload);
  }

  backToBox(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    item.li.remove();
    this.pending.delete(clientId);
    const draft = this.text.value;
    this.text.value = item.payload.body + (draft.trim() ? "\n\n" + draft : "");
    this.text.focus();
  }

  redact(seq, button) {
    if (!window.confirm(_("Redact message #%(seq)s? Its text and every edit of it are hidden from everyone; the record keeps that it was redacted.", { seq }))) return;
    this.room.post({ kind: "message", redacts: seq }).catch((e) => {
      const li = button.closest("li");
      if (li) li.appendChild(el("p", { class: "action-error", role: "alert", text: e.message }));
    });
  }

  togglePreview() {
    const on = this.preview.hidden;
    this.previewToggle.setAttribute("aria-pressed", String(on));
    if (!on) { this.preview.hidden = true; this.text.hidden = false; this.text.focus(); return; }
    this.room.api("POST", "/preview", { body: this.text.value }).then((d) => {
      if (d.html) this.preview.innerHTML = d.html;
      else this.preview.replaceChildren(el("p", { class: "muted", text: _("Nothing to preview.") }));
      this.preview.hidden = false; this.text.hidden = true;
    }).catch((e) => { this.error.textContent = e.message; });
  }
}
