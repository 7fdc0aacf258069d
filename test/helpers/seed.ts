// Many objects at once, written through Kluis's own store code (the same operation a PUT runs) into a stopped
// server's SQLite file, then the server started again: a vault of 100,000 secrets in seconds, not 100,000 requests.
import { join } from "node:path";
import { loadMasterKey, Sealer } from "../../src/crypto/sealing.js";
import { putSecretVersion } from "../../src/secrets/versions.js";
import { openStore } from "../../src/store/open.js";
import type { VaultProperties } from "../../src/vaults/model.js";
import type { Kluis } from "./kluis.js";

/** Writes per transaction: one COMMIT for each. */
const BATCH = 5_000;

/**
 * Stops `kluis`, gives `vault` (which must exist) a secret of each name, and starts it again. `env` is what the server
 * runs with: its KLUIS_MASTER_KEY, if it has one, is the key to seal under.
 */
export async function seedSecrets(
  kluis: Kluis,
  vault: string,
  names: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  await kluis.stop();
  const store = await openStore({
    sqliteFile: join(kluis.dataDir, "kluis.db"),
    sealer: new Sealer(loadMasterKey(kluis.dataDir, env)),
  });
  try {
    const record = await store.vaults.get<VaultProperties>(vault);
    if (!record) throw new Error(`no vault ${vault} to seed`);
    for (let i = 0; i < names.length; i += BATCH) {
      await store.transaction(async (tx) => {
        for (const name of names.slice(i, i + BATCH))
          await putSecretVersion(tx, record, name, "set", {
            value: Buffer.from(`value of ${name}`),
            attributes: { enabled: true },
            tags: {},
          });
      });
    }
  } finally {
    await store.close();
  }
  await kluis.restart();
}
