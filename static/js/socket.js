// The page's one Socket.IO connection, shared by the room client, the wall
// and the bell: modules are evaluated once per page, so every importer gets
// the same socket. `onConnect` runs now if it is already up, and after each
// reconnection (a handler added late would otherwise miss the first connect).
import { io } from "../vendor/socket.io.esm.min.js";

let shared = null;

export function socket() {
  if (!shared) shared = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  return shared;
}

export function onConnect(s, fn) {
  s.on("connect", fn);
  if (s.connected) fn();
}
