// The incident page's Evidence section: copy buttons for the SHA-256 of each file.
import { $ } from "./dom.js";
import { copyButtons } from "./evidence.js";

const section = $(".evidence-panel");
if (section) copyButtons(section);
