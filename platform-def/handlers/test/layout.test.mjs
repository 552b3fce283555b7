// What each function ships (its asset, unpacked from a `tp synth` output:
// its own directory plus what its `include:` adds: handlers/shared/ as lib/,
// and a vendored package set's node_modules/ as node_modules/): its entry
// point, only imports it can satisfy in Lambda, the packages of the vendored
// set it includes less only what Node.js never loads (its `exclude:`), no
// test or dev-only files, and a small size.
// And the source tree keeps each shared file and each vendored package set
// once: no function carries a copy of either, and each set under
// handlers/vendor/ is exactly what its lockfile installs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import { FUNCTIONS, SHIPPED_DIR, SOURCE_DIR as HANDLERS } from "./support/shipped.mjs";

const LIB_RS = resolve(HANDLERS, "..", "src", "lib.rs");
const SHARED = join(HANDLERS, "shared");
const VENDOR = join(HANDLERS, "vendor");
const NOT_FUNCTIONS = new Set(["shared", "test", "vendor"]);
/** The vendored package sets (handlers/vendor/<set>/), sorted. */
const VENDORED_SETS = existsSync(VENDOR)
  ? readdirSync(VENDOR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];
// Zip-relevant size budgets (bytes on disk, before compression).
const BUDGET_WITHOUT_DEPS = 100 * 1024;
const BUDGET_WITH_DEPS = 1024 * 1024;
// A function whose files need more names its budget here (Lambda takes
// 250 MB unzipped); trade-api, with ajv less its TypeScript sources and
// source maps, holds about 0.9 MB.
const BUDGETS = {};

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

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/**
 * Each function lib.rs declares with `code: "handlers/<fn>"` followed by its
 * `include:` map: the function's directory name -> its [prefix, directory]
 * entries, in order.
 */
function declaredFunctions() {
  const libRs = readFileSync(LIB_RS, "utf8");
  const declared = new Map();
  for (const m of libRs.matchAll(/code:\s*"handlers\/([^"]+)",\s*include:\s*\{([^{}]*)\}/g)) {
    const entries = [...m[2].matchAll(/"([^"]+)"\s*:\s*"([^"]+)"/g)].map((e) => [e[1], e[2]]);
    assert.ok(!declared.has(m[1]), `lib.rs declares handlers/${m[1]} twice`);
    declared.set(m[1], entries);
  }
  return declared;
}

/** The files under `root`, relative to it, node_modules included, sorted. */
function tree(root) {
  return walk(root, { intoNodeModules: true })
    .map((f) => relative(root, f))
    .sort();
}

/**
 * Asserts that the directory `actual` holds files of the directory `expected`
 * only, byte for byte, and leaves out only what Node.js never loads: the
 * TypeScript files (`.ts`, declarations included) and source maps a
 * function's `exclude:` drops, and copies of files it ships (ajv's `lib/`,
 * its sources, holds the same JSON schemas as its `dist/`).
 */
function assertSameFilesLessUnloaded(actual, expected, what) {
  const all = tree(expected);
  const shipped = tree(actual);
  const inSet = new Set(all);
  const digest = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
  for (const file of shipped) {
    assert.ok(inSet.has(file), `${what}: ${file} is not in the set`);
    assert.ok(readFileSync(join(actual, file)).equals(readFileSync(join(expected, file))), `${what}: ${file} differs`);
  }
  const kept = new Set(shipped);
  const shippedContents = new Set(shipped.map((file) => digest(join(actual, file))));
  for (const file of all.filter((f) => !kept.has(f))) {
    assert.ok(
      /\.(ts|map)$/.test(file) || shippedContents.has(digest(join(expected, file))),
      `${what}: ${file} is left out, but it is no TypeScript file, source map or copy of a shipped file, so Node.js may load it; narrow the function's exclude: in lib.rs`,
    );
  }
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
    const declared = declaredFunctions();
    assert.deepEqual([...declared.keys()].sort(), dirs, "lib.rs declares each function with code: \"handlers/<fn>\", include: { ... }");
    for (const [fn, include] of declared) {
      assert.ok(
        include.some(([prefix, from]) => prefix === "lib" && from === "handlers/shared"),
        `${fn}: include: { "lib": "handlers/shared", ... }`,
      );
    }
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

  it("keep each vendored package set once: no function directory holds a node_modules/ or package-lock.json of its own", () => {
    const own = (dir) =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.name === "node_modules" || entry.name === "package-lock.json") return [path];
        return entry.isDirectory() ? own(path) : [];
      });
    const found = [...FUNCTIONS, "shared"].flatMap((dir) => own(join(HANDLERS, dir))).map((path) => relative(HANDLERS, path));
    assert.deepEqual(
      found,
      [],
      `${found.join(", ")}: a function's packages are vendored once, under handlers/vendor/<set>/, and ship through its include: at "node_modules" in lib.rs`,
    );
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

      it("declares its dependencies with exact versions, and never the AWS SDK", () => {
        for (const [name, version] of Object.entries(packageJson(fn)?.dependencies || {})) {
          assert.match(version, /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
          assert.ok(!name.startsWith("@aws-sdk/"), "the Lambda runtime provides the AWS SDK");
        }
      });

      it("ships as node_modules/ exactly the vendored set lib.rs includes, one whose dependencies are its own, byte for byte", () => {
        const deps = packageJson(fn)?.dependencies || {};
        const include = declaredFunctions().get(fn) || [];
        const vendored = include.filter(([prefix, from]) => prefix === "node_modules" || from.startsWith("handlers/vendor/"));
        const modules = join(dir, "node_modules");
        if (Object.keys(deps).length === 0) {
          assert.deepEqual(vendored, [], "a function without dependencies includes no vendored set");
          assert.ok(!existsSync(modules), "a function without dependencies ships no node_modules");
          return;
        }
        assert.equal(vendored.length, 1, `lib.rs includes exactly one vendored set: "node_modules": "handlers/vendor/<set>/node_modules"`);
        const [prefix, from] = vendored[0];
        const set = /^handlers\/vendor\/([^/]+)\/node_modules$/.exec(from)?.[1];
        assert.equal(prefix, "node_modules", `${from} is included at "node_modules", where Node.js resolves packages`);
        assert.ok(set && VENDORED_SETS.includes(set), `${from} is not handlers/vendor/<set>/node_modules of a vendored set (${VENDORED_SETS.join(", ")})`);
        assert.deepEqual(
          readJson(join(VENDOR, set, "package.json")).dependencies,
          deps,
          `vendor/${set}/package.json's dependencies are ${fn}/package.json's`,
        );
        assertSameFilesLessUnloaded(modules, join(VENDOR, set, "node_modules"), `${fn}'s node_modules/ against vendor/${set}/node_modules/`);
      });

      it("stays small", () => {
        const bytes = walk(dir, { intoNodeModules: true }).reduce((sum, f) => sum + statSync(f).size, 0);
        const budget = BUDGETS[fn] ?? (packageJson(fn) ? BUDGET_WITH_DEPS : BUDGET_WITHOUT_DEPS);
        assert.ok(bytes < budget, `${fn} holds ${bytes} bytes, over its budget of ${budget}`);
      });
    });
  }
});

describe("vendored package sets (handlers/vendor/<set>/)", () => {
  it("exist, and each is included by some function", () => {
    assert.ok(VENDORED_SETS.length > 0, "handlers/vendor/ holds the vendored package sets");
    const included = new Set([...declaredFunctions().values()].flat().map(([, from]) => from));
    for (const set of VENDORED_SETS) {
      assert.ok(included.has(`handlers/vendor/${set}/node_modules`), `no function includes handlers/vendor/${set}/node_modules: remove the set`);
    }
  });

  for (const set of VENDORED_SETS) {
    describe(set, () => {
      const dir = join(VENDOR, set);
      const modules = join(dir, "node_modules");
      const pkg = readJson(join(dir, "package.json"));

      it("pins exact versions, and never the AWS SDK", () => {
        assert.equal(pkg.private, true, "a vendored set is never published");
        assert.equal(pkg.devDependencies, undefined, "no devDependencies in a vendored set");
        assert.ok(Object.keys(pkg.dependencies || {}).length > 0, "a vendored set names what it vendors");
        for (const [name, version] of Object.entries(pkg.dependencies)) {
          assert.match(version, /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
          assert.ok(!name.startsWith("@aws-sdk/"), "the Lambda runtime provides the AWS SDK");
        }
      });

      it("holds in node_modules/ exactly what its lockfile pins", () => {
        const lock = readJson(join(dir, "package-lock.json"));
        assert.deepEqual(lock.packages[""].dependencies, pkg.dependencies, "package-lock.json pins what package.json names");
        const locked = Object.entries(lock.packages)
          .filter(([path, meta]) => path.startsWith("node_modules/") && !meta.dev)
          .map(([path, meta]) => [path.slice("node_modules/".length), meta.version]);
        const installed = [];
        for (const name of readdirSync(modules)) {
          if (name.startsWith(".")) continue;
          if (name.startsWith("@")) for (const sub of readdirSync(join(modules, name))) installed.push(`${name}/${sub}`);
          else installed.push(name);
        }
        const topLevel = locked.map(([name]) => name).filter((name) => !name.includes("/node_modules/"));
        assert.deepEqual(installed.sort(), topLevel.sort(), "node_modules matches package-lock.json");
        for (const [name, version] of locked) {
          const meta = readJson(join(modules, name, "package.json"));
          assert.equal(meta.version, version, `${name} is ${meta.version}, the lockfile says ${version}`);
        }
      });

      it("is byte for byte what `npm ci --omit=dev` installs from its lockfile", () => {
        const scratch = mkdtempSync(join(tmpdir(), `vendored-${set}-`));
        try {
          copyFileSync(join(dir, "package.json"), join(scratch, "package.json"));
          copyFileSync(join(dir, "package-lock.json"), join(scratch, "package-lock.json"));
          execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
            cwd: scratch,
            stdio: ["ignore", "ignore", "pipe"],
          });
          // npm's own bookkeeping file varies with the npm version; the packages must not.
          const packages = (root) => tree(root).filter((f) => f !== ".package-lock.json");
          const expected = packages(join(scratch, "node_modules"));
          assert.deepEqual(packages(modules), expected, `vendor/${set}/node_modules/ holds the files npm ci installs`);
          for (const file of expected) {
            assert.ok(readFileSync(join(modules, file)).equals(readFileSync(join(scratch, "node_modules", file))), `vendor/${set}/node_modules/${file} differs`);
          }
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      });
    });
  }
});
