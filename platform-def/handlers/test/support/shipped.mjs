// Where the tests find the functions as they ship: the unpacked assets of a
// `tp synth` output (support/unpack-assets.mjs), which scripts/handler-tests
// names in HANDLER_FUNCTIONS_DIR. Each function directory there holds its
// own files and those its `include:` adds (`lib/` from handlers/shared/).
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The source tree's handlers directory (platform-def/handlers). */
export const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const dir = process.env.HANDLER_FUNCTIONS_DIR;
if (!dir || !existsSync(dir)) {
  throw new Error(
    "HANDLER_FUNCTIONS_DIR does not name the unpacked function assets: run the tests with scripts/handler-tests, which synthesizes and unpacks them",
  );
}

/** The directory holding one unpacked asset per function. */
export const SHIPPED_DIR = dir;

/** Every function directory that ships, sorted. */
export const FUNCTIONS = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
