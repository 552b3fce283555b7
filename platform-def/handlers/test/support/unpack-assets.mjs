#!/usr/bin/env node
// Unpacks each function's code asset of a `tp synth` output, as listed in
// its manifest.json, into DEST/<function directory>/: the handlers' tests
// load the functions from there, exactly as they ship (with the files their
// `include:` adds), not from the source tree.
//
// Usage: node support/unpack-assets.mjs SYNTH_OUT DEST
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [out, dest] = process.argv.slice(2);
if (!out || !dest) {
  console.error("usage: node support/unpack-assets.mjs SYNTH_OUT DEST");
  process.exit(2);
}
const manifestPath = join(out, "manifest.json");
if (!existsSync(manifestPath)) {
  console.error(`${manifestPath} does not exist: run \`tp synth --out ${out}\` first`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const seen = new Set();
for (const asset of manifest.assets) {
  if (asset.packaging !== "zip") throw new Error(`asset ${asset.id} is packaged as ${asset.packaging}, not zip`);
  // Two assets from one directory (the same code with different includes)
  // would land on each other.
  if (seen.has(asset.source)) throw new Error(`two assets come from the directory ${asset.source}: name them apart`);
  seen.add(asset.source);
  const target = join(dest, asset.source);
  mkdirSync(target, { recursive: true });
  // Python's zipfile: a maintained extractor, and python3 is already needed.
  execFileSync("python3", ["-m", "zipfile", "-e", join(out, asset.file), target], { stdio: ["ignore", "ignore", "inherit"] });
}
console.log(`unpacked ${seen.size} function assets into ${dest}`);
