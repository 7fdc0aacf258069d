// Runs the test suite. Test servers share one local CA made here, so that each test process can trust it the
// way a user does: NODE_EXTRA_CA_CERTS (read once at process start) and REQUESTS_CA_BUNDLE for Python.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataDir, ensureDataDir } from "../dist/server/data-dir.js";
import { ensureCa } from "../dist/server/tls.js";

const caDir = mkdtempSync(join(tmpdir(), "kluis-test-ca-"));
const dir = dataDir(caDir);
ensureDataDir(dir);
await ensureCa(dir);

const selected = process.argv.slice(2);
const files = selected.length
  ? selected
  : readdirSync("test")
      .filter((f) => f.endsWith(".test.ts"))
      .sort()
      .map((f) => join("test", f));
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
  env: {
    ...process.env,
    KLUIS_TEST_CA_DIR: caDir,
    NODE_EXTRA_CA_CERTS: dir.caCert,
    REQUESTS_CA_BUNDLE: dir.caCert,
  },
});
rmSync(caDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
