// `npm start` builds only when the build is older than what it is built from: a restart need not pay for a
// TypeScript compile. dist/cli/kluis.js stands for the build, as tsc rewrites every output file on each build.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
const built = mtime(join(root, "dist/cli/kluis.js"));
const inputs = [
  join(root, "tsconfig.json"),
  join(root, "package-lock.json"),
  ...readdirSync(join(root, "src"), { recursive: true }).map((f) => join(root, "src", f)),
];
if (built === undefined || inputs.some((f) => (mtime(f) ?? 0) > built)) {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  process.exit(build.status ?? 1);
}
