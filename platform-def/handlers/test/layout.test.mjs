// What each function directory (zipped whole, on its own, as the function's
// asset) holds: its entry point, only imports it can satisfy in Lambda, the
// shared files unchanged, vendored packages exactly as its lockfile says, no
// test or dev-only files, and a small size.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import { FUNCTIONS, SHARED_FILES } from "./shared-files.mjs";

const HANDLERS = resolve(dirname(new URL(import.meta.url).pathname), "..");
const LIB_RS = resolve(HANDLERS, "..", "src", "lib.rs");
const NOT_FUNCTIONS = new Set(["shared", "test"]);
// Zip-relevant size budgets (bytes on disk, before compression).
const BUDGET_WITHOUT_DEPS = 100 * 1024;
const BUDGET_WITH_DEPS = 1024 * 1024;
// ajv ships its TypeScript sources and source maps beside the code (about
// 1.6 MB in all; Lambda takes 250 MB unzipped).
const BUDGETS = { "trade-api": 2 * 1024 * 1024 };

function walk(dir, { intoNodeModules = false } = {}) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" && !intoNodeModules) continue;
      out.push(...walk(path, { intoNodeModules }));
    } else {
      out.push(path);
    }
  }
  return out;
}

function importsOf(source) {
  const specs = [];
  const patterns = [/\bimport\s[^;]*?\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\(\s*["']([^"']+)["']\s*\)/g, /\bexport\s[^;]*?\bfrom\s*["']([^"']+)["']/g];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]);
  return specs;
}

function packageJson(fn) {
  const path = join(HANDLERS, fn, "package.json");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

describe("function directories", () => {
  it("are exactly the functions listed in shared-files.mjs, and the ones platform-def/src/lib.rs declares", () => {
    const dirs = readdirSync(HANDLERS, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !NOT_FUNCTIONS.has(d.name) && d.name !== "node_modules")
      .map((d) => d.name)
      .sort();
    assert.deepEqual(dirs, [...FUNCTIONS].sort());
    const declared = [...readFileSync(LIB_RS, "utf8").matchAll(/code:\s*"handlers\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(declared.length > 0, "lib.rs declares functions with code: \"handlers/...\"");
    for (const fn of declared) assert.ok(FUNCTIONS.includes(fn), `lib.rs declares handlers/${fn}, which does not exist`);
  });

  for (const fn of FUNCTIONS) {
    describe(fn, () => {
      const dir = join(HANDLERS, fn);
      const own = walk(dir);

      it("has index.mjs exporting the handler (index.handler)", () => {
        const index = readFileSync(join(dir, "index.mjs"), "utf8");
        assert.match(index, /^export const handler = async \(/m);
        assert.doesNotMatch(index, /Minimal handler|placeholder/i);
      });

      it("imports only node: builtins, the runtime's @aws-sdk/*, its own files and its own dependencies", () => {
        const deps = Object.keys(packageJson(fn)?.dependencies || {});
        for (const file of own.filter((f) => f.endsWith(".mjs") || f.endsWith(".js"))) {
          for (const spec of importsOf(readFileSync(file, "utf8"))) {
            const where = `${relative(HANDLERS, file)} imports ${spec}`;
            if (spec.startsWith("node:") || spec.startsWith("@aws-sdk/client-")) continue;
            if (spec.startsWith(".")) {
              const target = resolve(dirname(file), spec);
              assert.ok(target.startsWith(dir + sep), `${where}: outside the function directory`);
              assert.ok(existsSync(target), `${where}: no such file`);
              continue;
            }
            assert.ok(deps.includes(spec), `${where}: not a dependency in its package.json`);
          }
        }
      });

      it("carries the shared files unchanged", () => {
        for (const file of SHARED_FILES[fn]) {
          assert.equal(
            readFileSync(join(dir, "lib", file), "utf8"),
            readFileSync(join(HANDLERS, "shared", file), "utf8"),
            `${fn}/lib/${file} differs from shared/${file}: run node platform-def/handlers/test/sync-shared.mjs`,
          );
        }
      });

      it("holds no tests or dev-only files", () => {
        for (const file of own) {
          const rel = relative(dir, file);
          assert.doesNotMatch(rel, /(^|\/)(test|tests|__tests__)\/|\.test\.|\.spec\.|^\.env|\.map$/, rel);
        }
        const pkg = packageJson(fn);
        if (pkg) {
          assert.equal(pkg.devDependencies, undefined, "no devDependencies in a function");
          assert.equal(pkg.type, "module");
        }
      });

      it("vendors exactly what its lockfile pins, with exact versions, and never the AWS SDK", () => {
        const pkg = packageJson(fn);
        const modules = join(dir, "node_modules");
        if (!pkg) {
          assert.ok(!existsSync(modules), "node_modules without a package.json");
          return;
        }
        for (const [name, version] of Object.entries(pkg.dependencies || {})) {
          assert.match(version, /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
          assert.ok(!name.startsWith("@aws-sdk/"), "the Lambda runtime provides the AWS SDK");
        }
        const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
        const locked = Object.entries(lock.packages)
          .filter(([path, meta]) => path.startsWith("node_modules/") && !meta.dev)
          .map(([path, meta]) => [path.slice("node_modules/".length), meta.version]);
        assert.deepEqual(lock.packages[""].dependencies, pkg.dependencies, "package-lock.json pins what package.json names");
        const installed = [];
        for (const name of readdirSync(modules)) {
          if (name.startsWith(".")) continue;
          if (name.startsWith("@")) for (const sub of readdirSync(join(modules, name))) installed.push(`${name}/${sub}`);
          else installed.push(name);
        }
        assert.deepEqual(installed.sort(), locked.map(([name]) => name).sort(), "node_modules matches package-lock.json");
        for (const [name, version] of locked) {
          const meta = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
          assert.equal(meta.version, version, `${name} is ${meta.version}, the lockfile says ${version}`);
        }
      });

      if (packageJson(fn)) it("vendors byte for byte what `npm ci --omit=dev` installs from its lockfile", () => {
        const scratch = mkdtempSync(join(tmpdir(), `vendored-${fn}-`));
        try {
          copyFileSync(join(dir, "package.json"), join(scratch, "package.json"));
          copyFileSync(join(dir, "package-lock.json"), join(scratch, "package-lock.json"));
          execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
            cwd: scratch,
            stdio: ["ignore", "ignore", "pipe"],
          });
          // npm's own bookkeeping file varies with the npm version; the packages must not.
          const tree = (root) =>
            walk(join(root, "node_modules"), { intoNodeModules: true })
              .map((f) => relative(root, f))
              .filter((f) => f !== join("node_modules", ".package-lock.json"))
              .sort();
          const expected = tree(scratch);
          assert.deepEqual(tree(dir), expected);
          for (const file of expected) {
            assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(scratch, file))), `${fn}/${file} differs`);
          }
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      });

      it("stays small", () => {
        const bytes = walk(dir, { intoNodeModules: true }).reduce((sum, f) => sum + statSync(f).size, 0);
        const budget = BUDGETS[fn] ?? (packageJson(fn) ? BUDGET_WITH_DEPS : BUDGET_WITHOUT_DEPS);
        assert.ok(bytes < budget, `${fn} holds ${bytes} bytes, over its budget of ${budget}`);
      });
    });
  }
});
