// `npm run build`, after tsc: bundles dist/cli/kluis.js and what it imports (Fastify, Kysely, prom-client, ...) into
// dist/bundle/, the `kluis` bin. Node 20 has no compile cache, so a start spent most of its time finding, reading and
// compiling hundreds of module files; one bundle is read and compiled at once. What a start does not need (the client
// commands, pg, @peculiar/x509, copy-store) is behind dynamic import()s, which become chunks of their own
// beside it, loaded on first use. better-sqlite3 and pg stay in node_modules: better-sqlite3 loads its
// native addon by path, pg an optional native binding. The bundle is made from tsc's output, so that it runs the code
// the tests type-check and import.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const outdir = join(root, "dist/bundle");

rmSync(outdir, { recursive: true, force: true }); // chunks are named by hash: old ones would pile up
await build({
  entryPoints: { kluis: join(root, "dist/cli/kluis.js") },
  // kluis.js and its chunks sit one folder under dist/, as tsc's output files do: paths relative to a module resolve
  // alike (../../package.json from cli/kluis.ts, ../ui from server/ui-routes.ts).
  outdir,
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "pg"],
  sourcemap: true, // follows tsc's maps back to src/ (node --enable-source-maps)
  // CommonJS packages inside an ES module bundle still call require() (for node: modules, and what they load lazily).
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
