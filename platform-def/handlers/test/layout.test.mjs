// What each function ships (its asset, unpacked from a `tp synth` output:
// its own directory plus handlers/shared/ as lib/, through `include:`): its
// entry point, only imports it can satisfy in Lambda, vendored packages
// exactly as its lockfile says, no test or dev-only files, and a small size.
// And the source tree keeps each shared file once: no function carries a
// copy.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import { FUNCTIONS, SHIPPED_DIR, SOURCE_DIR as HANDLERS } from "./support/shipped.mjs";

const LIB_RS = resolve(HANDLERS, "..", "src", "lib.rs");
const SHARED = join(HANDLERS, "shared");
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
  const path = join(SHIPPED_DIR, fn, "package.json");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

/** The files `entry` loads, itself included, following relative imports. */
function importGraph(entry) {
  const seen = new Set();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) pending.push(resolve(dirname(file), spec));
    }
  }
  return [...seen];
}

describe("function directories", () => {
  it("are the functions that ship, exactly the ones platform-def/src/lib.rs declares, each including handlers/shared as lib", () => {
    const dirs = readdirSync(HANDLERS, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !NOT_FUNCTIONS.has(d.name) && d.name !== "node_modules")
      .map((d) => d.name)
      .sort();
    assert.deepEqual(FUNCTIONS, dirs, "every function directory ships, and nothing else");
    const libRs = readFileSync(LIB_RS, "utf8");
    const declared = [...libRs.matchAll(/code:\s*"handlers\/([^"]+)",\s*include:\s*\{\s*"lib":\s*"handlers\/shared"\s*\}/g)].map((m) => m[1]);
    assert.deepEqual(declared.sort(), dirs, "lib.rs declares each function with code: \"handlers/<fn>\", include: { \"lib\": \"handlers/shared\" }");
  });

  it("keep each shared file once: no function directory holds a copy of one", () => {
    const shared = new Map(readdirSync(SHARED).map((f) => [readFileSync(join(SHARED, f), "utf8"), f]));
    for (const fn of FUNCTIONS) {
      for (const file of walk(join(HANDLERS, fn))) {
        const copied = shared.get(readFileSync(file, "utf8"));
        assert.equal(copied, undefined, `${relative(HANDLERS, file)} is a copy of shared/${copied}: import ./lib/${copied} instead`);
      }
    }
  });

  for (const fn of FUNCTIONS) {
    describe(fn, () => {
      const dir = join(SHIPPED_DIR, fn);
      const own = walk(dir);

      it("has index.mjs exporting the handler (index.handler)", () => {
        const index = readFileSync(join(dir, "index.mjs"), "utf8");
        assert.match(index, /^export const handler = async \(/m);
        assert.doesNotMatch(index, /Minimal handler|placeholder/i);
      });

      it("ships handlers/shared/ as lib/, unchanged", () => {
        assert.deepEqual(readdirSync(join(dir, "lib")).sort(), readdirSync(SHARED).sort());
        for (const file of readdirSync(SHARED)) {
          assert.ok(readFileSync(join(dir, "lib", file)).equals(readFileSync(join(SHARED, file))), `lib/${file} differs from shared/${file}`);
        }
      });

      it("loads only node: builtins, the runtime's @aws-sdk/*, files of its asset and its own dependencies", () => {
        const deps = Object.keys(packageJson(fn)?.dependencies || {});
        const loaded = importGraph(join(dir, "index.mjs"));
        assert.ok(loaded.length > 0);
        for (const file of loaded) {
          for (const spec of importsOf(readFileSync(file, "utf8"))) {
            const where = `${fn}/${relative(dir, file)} imports ${spec}`;
            if (spec.startsWith("node:") || spec.startsWith("@aws-sdk/client-")) continue;
            if (spec.startsWith(".")) {
              const target = resolve(dirname(file), spec);
              assert.ok(target.startsWith(dir + sep), `${where}: outside the function's asset`);
              assert.ok(existsSync(target), `${where}: not in the asset`);
              continue;
            }
            assert.ok(deps.includes(spec), `${where}: not a dependency in its package.json`);
          }
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
