// Registers sdk-hooks.mjs before the runtime client loads (`node --import`).
import { register } from "node:module";

register("./sdk-hooks.mjs", import.meta.url);
