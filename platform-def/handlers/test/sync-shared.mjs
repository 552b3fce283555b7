#!/usr/bin/env node
// Copies every canonical file of platform-def/handlers/shared/ into the lib/
// of each function that uses it (see shared-files.mjs). Run after editing a
// shared file; test/layout.test.mjs fails while a copy differs.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHARED_FILES } from "./shared-files.mjs";

const handlers = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const [fn, files] of Object.entries(SHARED_FILES)) {
  mkdirSync(join(handlers, fn, "lib"), { recursive: true });
  for (const file of files) {
    copyFileSync(join(handlers, "shared", file), join(handlers, fn, "lib", file));
    console.log(`shared/${file} -> ${fn}/lib/${file}`);
  }
}
