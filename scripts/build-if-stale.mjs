// `npm start` builds only when the build is older than what it is built from: a restart need not pay for a
// TypeScript compile and bundle. dist/bundle/kluis.js, the bin npm start runs, stands for the build: it is written last
// (scripts/bundle.mjs, after tsc), and on every build.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
const built = mtime(join(root, "dist/bundle/kluis.js"));
const inputs = [
  join(root, "tsconfig.json"),
  join(root, "package-lock.json"),
  join(root, "scripts/bundle.mjs"),
  ...readdirSync(join(root, "src"), { recursive: true }).map((f) => join(root, "src", f)),
];
if (built === undefined || inputs.some((f) => (mtime(f) ?? 0) > built)) {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  process.exit(build.status ?? 1);
}
