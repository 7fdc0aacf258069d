// `npm start` builds only when the build is older than what it is built from: a restart need not pay for a
// TypeScript compile. dist/bundle/kluis.js, the bin npm start runs, stands for the server's build (scripts/bundle.mjs
// writes it after tsc, on every build), dist/ui/index.html for the web UI's (Vite writes it last).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
const builds = ["dist/bundle/kluis.js", "dist/ui/index.html"].map((f) => mtime(join(root, f)));
const built = builds.includes(undefined) ? undefined : Math.min(...builds);
const inputs = [
  join(root, "tsconfig.json"),
  join(root, "package-lock.json"),
  join(root, "scripts/bundle.mjs"),
  ...["src", "ui"].flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map((f) => join(root, dir, f))),
];
if (built === undefined || inputs.some((f) => (mtime(f) ?? 0) > built)) {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  process.exit(build.status ?? 1);
}
