// The folders under src/ are layers: each may import only its own folder and the folders below it, and no two files
// import each other, directly or around a loop. Read from the source (every `import`, type-only ones included,
// since they couple the code as much), so that no server is needed.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

/** Lowest first. A folder may import the folders before it; `keys`, `secrets`, `certificates` each see those before. */
const LAYERS = [
  "metrics", // Prometheus instruments and the per-request hook; which operation each route is (metrics and audit)
  "crypto", // sealing, key algorithms, PKCS#12: no Kluis concepts
  "store", // the repositories over one executor (database or transaction), the dialects, migrations
  "http", // Key Vault's and ARM's errors, bodies, api-version, vault host names, permission names, throttling
  "identity", // tokens, principals, users, the token endpoints; ServerContext (what every route is given)
  "authorization", // access policies, roles, role assignments, the management pipeline
  "vaults", // ARM's Microsoft.KeyVault/vaults
  "audit", // the audit log: operation names, the hook, the chained writer
  "resources", // ARM's Microsoft.Resources: subscriptions, resource groups, /resources (lists vaults)
  "objects", // what certificates, keys and secrets share
  "graph", // Microsoft Graph and Kluis's own /kluis/servicePrincipals: deleting a principal reaches vaults
  "keys",
  "secrets",
  "certificates", // writes key and secret versions
  "server", // the data-plane pipeline, the app, start-up, sweeps
  "cli", // the `kluis` command line (starts the server)
];

const SRC = resolve(import.meta.dirname, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The files under src/ a file imports: static, type-only, re-exports and dynamic `import("...")`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)"(\.{1,2}\/[^"]+)"/gm)].map(
    (m) => m[1]!,
  );
  return specifiers.map((s) => resolve(dirname(file), s).replace(/\.js$/, ".ts"));
}

const layerOf = (file: string) => relative(SRC, file).split("/")[0]!;
const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Imports that reach a layer above the importing file's own. */
export function upwardImports(edges: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [from, targets] of edges) {
    for (const to of targets) {
      const [a, b] = [LAYERS.indexOf(layerOf(from)), LAYERS.indexOf(layerOf(to))];
      if (b > a) found.push(`${relative(SRC, from)} -> ${relative(SRC, to)}`);
    }
  }
  return found;
}

/** Every import cycle between files, each reported once as the path around it. */
export function importCycles(edges: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === "open") {
        cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(SRC, f)).join(" -> "));
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe("layers", () => {
  it("names every folder under src/ as a layer", () => {
    const folders = new Set(files.map(layerOf));
    assert.deepEqual(
      [...folders].filter((f) => !LAYERS.includes(f)),
      [],
      "add new folders to LAYERS",
    );
    assert.ok(files.length > 100, "the source files were found");
  });

  it("resolves every relative import to a file under src/", () => {
    const missing = [...graph].flatMap(([from, to]) =>
      to.filter((t) => !graph.has(t)).map((t) => `${relative(SRC, from)} -> ${t}`),
    );
    assert.deepEqual(missing, []);
  });

  it("has no folder importing a folder above it", () => {
    assert.deepEqual(upwardImports(graph), []);
  });

  it("has no import cycle between files", () => {
    assert.deepEqual(importCycles(graph), []);
  });

  it("finds an upward import and a cycle when there is one (the checks can fail)", () => {
    const [low, high] = [join(SRC, "http/errors.ts"), join(SRC, "server/app.ts")];
    const bad = new Map([
      [low, [high]],
      [high, [low]],
    ]);
    assert.deepEqual(upwardImports(bad), ["http/errors.ts -> server/app.ts"]);
    assert.equal(importCycles(bad).length, 1);
  });
});
