// Summarises a V8 CPU profile (node --cpu-prof): self time by function and by file or package (for the bundled bin,
// dist/bundle/, by the package or src/ folder each bundled line came from), and the total time under each of
// `--under NAME` functions (inclusive). Usage:
//   node bench/profile-summary.mjs FILE.cpuprofile [--top 25] [--under verifyToken,handler]
import { readFileSync } from "node:fs";

const [file, ...rest] = process.argv.slice(2);
const arg = (flag, fallback) => (rest.includes(flag) ? rest[rest.indexOf(flag) + 1] : fallback);
const TOP = Number(arg("--top", "25"));
const UNDER = arg("--under", "").split(",").filter(Boolean);

const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node: each sample counts the interval until the next one.
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

// esbuild marks where each module's code starts in a bundle with a comment line naming its path.
const bundleModules = new Map();
const bundledModule = (file, line) => {
  if (!bundleModules.has(file)) {
    let current = "(bundle)";
    bundleModules.set(
      file,
      readFileSync(file, "utf8")
        .split("\n")
        .map((text) => (current = /^\/\/ ((?:node_modules|dist)\/\S+)$/.exec(text)?.[1] ?? current)),
    );
  }
  const path = bundleModules.get(file)[line] ?? "(bundle)";
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.replace(/^dist\/([^/]+)\/.*$/, "src/$1");
};

const where = (cf) => {
  const url = cf.url.replace(/^file:\/\//, "");
  if (url.includes("/dist/bundle/")) return bundledModule(url, cf.lineNumber);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith("node:") || !url) return url || "(native)";
  return url.replace(/^.*?\/(dist|src)\//, "$1/");
};
const label = (cf) => `${cf.functionName || "(anonymous)"} ${where(cf)}:${cf.lineNumber + 1}`;

const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v);
const fns = new Map();
const files = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  add(fns, label(cf), t);
  add(files, where(cf), t);
}
const inclusive = new Map();
for (const [id, t] of self) {
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const name = byId.get(n).callFrame.functionName;
    if (UNDER.includes(name) && !seen.has(name)) {
      seen.add(name);
      add(inclusive, name, t);
    }
  }
}

const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`${pct(t)}  ${(t / 1000).toFixed(0).padStart(6)} ms  ${k}`);
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
show("self time by file or package", files);
show("self time by function", fns);
if (UNDER.length) show("inclusive time under", inclusive);
