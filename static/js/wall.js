// The wall clock of a drill: the room's big screen. T+ in large type, the
// state (running / paused / ENDEX / stopped), for staff the countdown to the
// next inject and the progress over the MSEL timeline; everyone sees a clear
// PAUSED banner while the clock is held. It follows the exercise room's
// clock events live and computes T+ from the server's anchor, as the room does.
import { socket as sharedSocket, onConnect } from "./socket.js";
import { $, el } from "./dom.js";
import { api } from "./api.js";
import { tPlus, countdown } from "./time.js";
import { label } from "./labels.js";
import { _ } from "./i18n.js";

const boot = JSON.parse(document.getElementById("wall-boot").textContent);
let ex = boot.exercise;
const staff = ["director", "controller", "evaluator"].includes(ex.role);
let skew = Date.now() - new Date(ex.server_now).getTime();
let lastSeq = boot.latest_seq;

function tNow() {
  if (ex.state !== "running" || !ex.clock_wall) return ex.clock_t_s;
  return ex.clock_t_s + Math.max(0, (Date.now() - skew - new Date(ex.clock_wall).getTime()) / 1000) * ex.speed;
}

function pendingAuto() {
  return (ex.injects || []).filter((i) => (i.status === "pending") && i.release === "auto").sort((a, b) => a.offset_s - b.offset_s);
}

function renderMarks() {
  const track = $("[data-wall-track]");
  if (!staff || !ex.injects || !ex.injects.length) { track.hidden = true; return; }
  const end = Math.max(...ex.injects.map((i) => i.offset_s), 1);
  track.replaceChildren(el("span", { class: "wall-fill", "data-wall-fill": "" }), ...ex.injects.map((i) => {
    const mark = el("span", { class: "wall-mark wall-mark-" + i.status, title: i.msel_id + " " + tPlus(i.offset_s) });
    mark.style.insetInlineStart = (100 * i.offset_s / end) + "%";  // CSSOM: no inline style attribute (CSP)
    return mark;
  }));
  track.dataset.end = String(end);
}

function render() {
  const t = tNow();
  $("[data-wall-t]").textContent = tPlus(t);
  const state = $("[data-wall-state]");
  state.textContent = label("exercise_state", ex.state);
  state.className = "wall-state ex-state-" + ex.state;
  document.body.classList.toggle("wall-paused", ex.state === "paused");
  $("[data-wall-paused]").hidden = ex.state !== "paused";
  $("[data-wall-stopped]").hidden = ex.state !== "stopped";
  const next = $("[data-wall-next]");
  if (staff) {
    const upcoming = pendingAuto();
    if (ex.state === "running" && upcoming.length) {
      const i = upcoming[0];
      next.textContent = _("Next inject %(inject)s %(countdown)s", { inject: i.msel_id, countdown: countdown((i.offset_s - t) / ex.speed) });
    } else if (ex.state === "planned") next.textContent = _("Waiting for STARTEX");
    else if (ex.state === "ended" || ex.state === "stopped") next.textContent = "";
    else next.textContent = upcoming.length ? _("Next inject %(inject)s at %(t)s", { inject: upcoming[0].msel_id, t: tPlus(upcoming[0].offset_s) })
      : _("No scheduled injects left");
    const released = (ex.injects || []).filter((i) => i.status === "released").length;
    $("[data-wall-progress]").textContent = _("%(released)s of %(total)s injects released", { released, total: (ex.injects || []).length });
    const fill = document.querySelector("[data-wall-fill]");
    if (fill) fill.style.inlineSize = Math.min(100, 100 * t / Number($("[data-wall-track]").dataset.end || 1)) + "%";
  } else {
    next.textContent = "";
    $("[data-wall-progress]").textContent = ex.speed !== 1 ? _("%(speed)s× exercise time", { speed: ex.speed }) : "";
  }
}

async function refresh() {
  try {
    const fresh = await api("GET", "/exercises/" + ex.id);
    skew = Date.now() - new Date(fresh.server_now).getTime();
    ex = fresh;
    renderMarks();
    render();
  } catch (e) {
    $("[data-wall-conn]").textContent = e.message;
  }
}

function apply(ev) {
  if (ev.seq > lastSeq) lastSeq = ev.seq;
  if (ev.kind === "clock") {
    ex.state = ev.state; ex.clock_t_s = ev.t_plus_s; ex.speed = ev.speed;
    ex.clock_wall = ev.state === "running" ? ev.clock_wall : null;
    render();
  } else if (ev.kind === "inject" && staff) {
    refresh();
  }
}

const conn = $("[data-wall-conn]");
const socket = sharedSocket();
onConnect(socket, () => {
  socket.timeout(10000).emit("join", { room: ex.room_id, since: lastSeq, batch: true }, (err, ack) => {
    if (err || !ack || !ack.ok) { conn.textContent = (ack && ack.error) || _("Reconnecting…"); conn.className = "conn conn-down"; return; }
    ack.events.forEach(apply);
    conn.textContent = _("Live"); conn.className = "conn conn-live";
    if (ack.has_more) refresh();
  });
});
socket.on("disconnect", () => { conn.textContent = _("Reconnecting…"); conn.className = "conn conn-down"; });
socket.on("events", (b) => { if (b.room === ex.room_id) b.events.forEach(apply); });
socket.on("removed", () => { conn.textContent = _("No access"); socket.disconnect(); });

$("[data-wall-full]").addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen().catch(() => {});
});
renderMarks();
render();
setInterval(render, 250);
