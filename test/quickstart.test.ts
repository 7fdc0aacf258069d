// Issue 2's acceptance: the unmodified Python certificates quickstart (both identity set-ups, with Debian's and
// PyPI's current SDK) and its JavaScript twin run against a real Kluis, and the server keeps what it acknowledged
// across restarts. Each client uses its own vault, so the api-versions it sends can be read off the server's log.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Kluis, PYTHON_SDKS, run, runPython, type PythonSdk, type ServicePrincipal } from "./helpers/kluis.js";

describe("certificates quickstart", () => {
  let kluis: Kluis;
  let sp: ServicePrincipal;
  const vaultOf = (client: string) => `quick-${client}`;

  before(async () => {
    kluis = await Kluis.start({ args: ["--log-level", "info"] });
    sp = await kluis.createServicePrincipal("quick-app");
    for (const client of [...PYTHON_SDKS.map((s) => s.id), "js"]) {
      await kluis.createVault(vaultOf(client));
      await kluis.setPolicy(vaultOf(client), sp.appId, { certificates: ["get", "list", "create", "delete"] });
    }
  });
  after(() => kluis.dispose());

  const runQuickstart = (sdk: PythonSdk, setup: "proxy" | "adfs", name: string) =>
    runPython(sdk, ["test/programs/quickstart.py"], {
      env: { ...kluis.sdkEnv(sp, setup), KEY_VAULT_NAME: vaultOf(sdk.id) },
      input: `${name}\n`,
    });

  for (const sdk of PYTHON_SDKS) {
    for (const setup of ["proxy", "adfs"] as const) {
      it(`runs the Python quickstart unmodified with ${sdk.label} (${setup === "proxy" ? "tenant GUID, login.microsoftonline.com through the proxy" : "tenant adfs with AZURE_AUTHORITY_HOST"})`, async () => {
        const name = `py-${setup}`;
        const res = await runQuickstart(sdk, setup, name);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, new RegExp(`Certificate with name '${name}' was found`));
        assert.equal(res.stdout.match(/ done\./g)?.length, 2);

        // What the program did is visible to the administrator: the certificate is deleted but recoverable.
        const deleted = await kluis.cliJson([
          "keyvault",
          "certificate",
          "show-deleted",
          "--vault-name",
          vaultOf(sdk.id),
          "-n",
          name,
        ]);
        assert.ok(deleted.recoveryId.endsWith(`/deletedcertificates/${name}`), deleted.recoveryId);
      });
    }

    it(`refuses to re-create a deleted name with Key Vault's 409 until it is recovered or purged (${sdk.label})`, async () => {
      const res = await runQuickstart(sdk, "proxy", "py-proxy");
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /Certificate py-proxy is currently in a deleted but recoverable state/);
      assert.match(res.stderr, /ObjectIsDeletedButRecoverable/);
    });
  }

  it("runs the JavaScript twin with DefaultAzureCredential", async () => {
    const res = await run(process.execPath, ["test/programs/quickstart.mjs", "js-cert"], {
      env: { ...kluis.sdkEnv(sp, "proxy"), KEY_VAULT_NAME: vaultOf("js") },
    });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.created.name, "js-cert");
    assert.match(out.created.id, /^https:\/\/quick-js\.vault\.azure\.net\/certificates\/js-cert\/[0-9a-f]{32}$/);
    assert.equal(out.retrieved.subject, "cn=MyCert");
    assert.equal(out.deleted.recoveryId, "https://quick-js.vault.azure.net/deletedcertificates/js-cert");
    const deletedOn = Date.parse(out.deleted.deletedOn);
    const purgeOn = Date.parse(out.deleted.scheduledPurgeDate);
    assert.ok(Math.abs(purgeOn - deletedOn - 90 * 24 * 3600 * 1000) < 5000, "purge is scheduled 90 days out");

    const cert = new X509Certificate(Buffer.from(out.created.cer, "base64"));
    assert.equal(cert.subject, "CN=MyCert");
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    const months = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (30.4 * 24 * 3600 * 1000);
    assert.ok(months > 11.5 && months < 12.5, `valid for 12 months, got ${months}`);
  });

  it("saw each client send its own api-version (docs/clients.md)", () => {
    for (const sdk of PYTHON_SDKS)
      assert.deepEqual(kluis.apiVersionsSent(vaultOf(sdk.id)), [sdk.apiVersions.certificates], sdk.label);
    assert.deepEqual(kluis.apiVersionsSent(vaultOf("js")), ["2025-07-01"]);
  });
});
