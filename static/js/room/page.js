// Entry of the room page: read the boot data, import every extension the
// server lists, let each install itself, then start the client. Imports are
// awaited, so nothing depends on the order scripts happen to load in.
import { RoomClient } from "./client.js";
import { installPanels } from "./panels.js";
import { installReading } from "./reading.js";
import { Composer } from "./composer.js";

const boot = JSON.parse(document.getElementById("room-boot").textContent);
const room = new RoomClient(boot);
installPanels(room);
installReading(room);
new Composer(room);
const extensions = await Promise.all((boot.extensions || []).map((src) => import(src)));
for (const ext of extensions) ext.install(room);
room.start();
