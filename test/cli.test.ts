// Issue 6: the `kluis` CLI run as a subprocess against a real server, with az's flags and output shapes.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kluis, run, type RunResult, type ServicePrincipal } from "./helpers/kluis.js";

/** A failed command: non-zero exit, one `ERROR: ...` line on stderr, nothing on stdout, no stack trace. */
function assertOneLineError(res: RunResult, pattern: RegExp): void {
  assert.notEqual(res.code, 0, `expected failure, got: ${res.stdout}`);
  assert.equal(res.stdout, "");
  const lines = res.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${res.stderr}`);
  assert.match(lines[0]!, /^ERROR: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(res.stderr, /\n\s+at /);
}

describe("kluis CLI", () => {
  let kluis: Kluis;
  let work: string;

  before(async () => {
    kluis = await Kluis.start();
    work = mkdtempSync(join(tmpdir(), "kluis-cli-"));
  });
  after(() => kluis.dispose());

  it("prints its version, the package's, with --version", async () => {
    const res = await kluis.cli(["--version"]);
    assert.equal(res.code, 0, res.stderr);
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    assert.equal(res.stdout.trim(), version);
  });

  describe("certificate", () => {
    let sp: ServicePrincipal;
    let env: NodeJS.ProcessEnv;
    const vault = "--vault-name";

    it("runs the quick start entirely with kluis, as a service principal", async () => {
      sp = await kluis.cliJson<ServicePrincipal>(["ad", "sp", "create-for-rbac", "--name", "cli-app"]);
      assert.ok(sp.appId && sp.password && sp.tenant);
      const createdVault = await kluis.cliJson(["keyvault", "create", "--name", "clicerts"]);
      assert.equal(createdVault.name, "clicerts");
      assert.equal(createdVault.resourceGroup, "kluis");
      const vaults = await kluis.cli(["keyvault", "list", "-o", "table"]);
      assert.match(vaults.stdout, /^Location\s+Name\s+ResourceGroup\n-+\s+-+\s+-+\n/);
      assert.match(vaults.stdout, /\n\S+\s+clicerts\s+kluis\n/);
      await kluis.cliJson([
        "keyvault",
        "set-policy",
        "--name",
        "clicerts",
        "--spn",
        sp.appId,
        "--certificate-permissions",
        "get",
        "list",
        "create",
        "delete",
        "recover",
        "purge",
        "update",
        "import",
        "backup",
        "restore",
        "managecontacts",
        "manageissuers",
      ]);
      env = await kluis.signIn(sp);

      const policy = await kluis.cli(["keyvault", "certificate", "get-default-policy"], env);
      assert.equal(policy.code, 0);
      assert.equal(JSON.parse(policy.stdout).issuerParameters.name, "Self");

      const created = await kluis.cli(
        ["keyvault", "certificate", "create", vault, "clicerts", "--name", "cert1", "--policy", policy.stdout],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const op = JSON.parse(created.stdout);
      assert.equal(op.status, "completed");
      assert.equal(op.name, "cert1");
      assert.match(op.target, /^https:\/\/clicerts\.localhost:\d+\/certificates\/cert1$/);
      assert.match(created.stderr, /Creating certificate 'cert1'/, "a progress line while waiting");

      const shown = await kluis.cliJson(["keyvault", "certificate", "show", vault, "clicerts", "-n", "cert1"], env);
      assert.deepEqual(Object.keys(shown), [
        "attributes",
        "cer",
        "contentType",
        "id",
        "kid",
        "name",
        "policy",
        "sid",
        "tags",
        "x509Thumbprint",
        "x509ThumbprintHex",
      ]);
      assert.equal(shown.name, "cert1");
      assert.equal(shown.contentType, "application/x-pkcs12");
      assert.equal(shown.policy.x509CertificateProperties.subject, "CN=CLIGetDefaultPolicy");
      assert.equal(shown.policy.keyProperties.keyType, "RSA");
      assert.match(shown.x509ThumbprintHex, /^[0-9A-F]{40}$/);
      assert.equal(Buffer.from(shown.x509Thumbprint, "base64").toString("hex").toUpperCase(), shown.x509ThumbprintHex);
      assert.match(shown.attributes.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

      const deleted = await kluis.cliJson(
        ["keyvault", "certificate", "delete", vault, "clicerts", "--name", "cert1"],
        env,
      );
      assert.equal(deleted.name, "cert1");
      assert.match(deleted.recoveryId, /\/deletedcertificates\/cert1$/);
      assert.deepEqual(
        await kluis.cliJson(["keyvault", "certificate", "list-deleted", vault, "clicerts", "--query", "[].name"], env),
        ["cert1"],
      );
      const recovered = await kluis.cliJson(
        ["keyvault", "certificate", "recover", vault, "clicerts", "--name", "cert1"],
        env,
      );
      assert.equal(recovered.name, "cert1");
      assert.equal(
        (await kluis.cliJson(["keyvault", "certificate", "show", vault, "clicerts", "-n", "cert1"], env))
          .x509ThumbprintHex,
        shown.x509ThumbprintHex,
      );

      await kluis.cliJson(["keyvault", "certificate", "delete", vault, "clicerts", "--name", "cert1"], env);
      const purged = await kluis.cli(["keyvault", "certificate", "purge", vault, "clicerts", "--name", "cert1"], env);
      assert.equal(purged.code, 0, purged.stderr);
      assert.equal(purged.stdout, "");
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "show-deleted", vault, "clicerts", "-n", "cert1"], env),
        /not found/i,
      );
    });

    it("downloads a certificate as PEM and DER that openssl reads", async () => {
      await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "create",
          vault,
          "clicerts",
          "-n",
          "dl",
          "--policy",
          "@" + policyFile(work, "CN=download.example"),
        ],
        env,
      );
      const pem = join(work, "dl.pem");
      const der = join(work, "dl.der");
      assert.equal(
        (await kluis.cli(["keyvault", "certificate", "download", vault, "clicerts", "-n", "dl", "--file", pem], env))
          .code,
        0,
      );
      assert.equal(
        (
          await kluis.cli(
            ["keyvault", "certificate", "download", vault, "clicerts", "-n", "dl", "-f", der, "--encoding", "DER"],
            env,
          )
        ).code,
        0,
      );
      assert.match(readFileSync(pem, "utf8"), /^-----BEGIN CERTIFICATE-----\n/);
      for (const [file, form] of [
        [pem, "PEM"],
        [der, "DER"],
      ] as const) {
        const res = await run("openssl", ["x509", "-in", file, "-inform", form, "-noout", "-subject"]);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /CN\s*=\s*download\.example/);
      }
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "download", vault, "clicerts", "-n", "dl", "--file", pem], env),
        /already exists/,
      );
    });

    it("lists with --query and --output table/tsv, versions, and --id", async () => {
      const names = await kluis.cliJson(
        ["keyvault", "certificate", "list", vault, "clicerts", "--query", "[].name"],
        env,
      );
      assert.deepEqual(names, ["dl"]);
      const table = await kluis.cli(["keyvault", "certificate", "list", vault, "clicerts", "--output", "table"], env);
      assert.equal(table.code, 0);
      const [header, rule, row] = table.stdout.trimEnd().split("\n");
      assert.match(header!, /^Name\s+X509Thumbprint\s+X509ThumbprintHex$/);
      assert.match(rule!, /^-+\s+-+\s+-+$/);
      assert.match(row!, /^dl\s+\S+\s+[0-9A-F]{40}$/);
      const tsv = await kluis.cli(
        ["keyvault", "certificate", "list", vault, "clicerts", "-o", "tsv", "--query", "[].[name, attributes.enabled]"],
        env,
      );
      assert.equal(tsv.stdout, "dl\tTrue\n");
      assert.equal(
        (await kluis.cli(["keyvault", "certificate", "list", vault, "clicerts", "-o", "none"], env)).stdout,
        "",
      );

      await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "create",
          vault,
          "clicerts",
          "-n",
          "dl",
          "--policy",
          "@" + policyFile(work, "CN=download.example"),
        ],
        env,
      );
      const versions = await kluis.cliJson<{ id: string }[]>(
        ["keyvault", "certificate", "list-versions", vault, "clicerts", "-n", "dl"],
        env,
      );
      assert.equal(versions.length, 2);
      const byId = await kluis.cliJson(["keyvault", "certificate", "show", "--id", versions[0]!.id], env);
      assert.equal(byId.id, versions[0]!.id);
    });

    it("sets attributes and tags, backs up and restores", async () => {
      const updated = await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "set-attributes",
          vault,
          "clicerts",
          "-n",
          "dl",
          "--enabled",
          "false",
          "--tags",
          "env=test",
          "team",
        ],
        env,
      );
      assert.equal(updated.attributes.enabled, false);
      assert.deepEqual(updated.tags, { env: "test", team: "" });
      const backup = join(work, "dl.bak");
      assert.equal(
        (await kluis.cli(["keyvault", "certificate", "backup", vault, "clicerts", "-n", "dl", "--file", backup], env))
          .code,
        0,
      );
      await kluis.cliJson(["keyvault", "certificate", "delete", vault, "clicerts", "-n", "dl"], env);
      await kluis
        .cliJson(["keyvault", "certificate", "purge", vault, "clicerts", "-n", "dl"], env)
        .catch(() => undefined);
      const restored = await kluis.cliJson(
        ["keyvault", "certificate", "restore", vault, "clicerts", "--file", backup],
        env,
      );
      assert.equal(restored.name, "dl");
      assert.deepEqual(restored.tags, { env: "test", team: "" });
    });

    it("imports a PEM certificate with its key", async () => {
      const key = join(work, "imp-key.pem");
      const cert = join(work, "imp-cert.pem");
      const res = await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-subj",
        "/CN=imported.example",
        "-days",
        "30",
      ]);
      assert.equal(res.code, 0, res.stderr);
      const bundle = join(work, "imp.pem");
      writeFileSync(bundle, readFileSync(key, "utf8") + readFileSync(cert, "utf8"));
      const imported = await kluis.cliJson(
        ["keyvault", "certificate", "import", vault, "clicerts", "-n", "imp", "--file", bundle],
        env,
      );
      assert.equal(imported.name, "imp");
      assert.equal(imported.policy.x509CertificateProperties.subject, "CN=imported.example");
      assert.equal(imported.contentType, "application/x-pem-file");
    });

    it("manages the pending operation, contacts and issuers", async () => {
      // An "Unknown" issuer's operation waits for a merge: create returns it without waiting, even without --no-wait.
      const pending = await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "create",
          vault,
          "clicerts",
          "-n",
          "ext",
          "--policy",
          '{"issuerParameters":{"name":"Unknown"},"x509CertificateProperties":{"subject":"CN=ext"}}',
        ],
        env,
      );
      assert.equal(pending.status, "inProgress");
      assert.ok(pending.csr);
      const shownOp = await kluis.cliJson(
        ["keyvault", "certificate", "pending", "show", vault, "clicerts", "-n", "ext"],
        env,
      );
      assert.equal(shownOp.status, "inProgress");

      // Sign the CSR with an outside CA (openssl) and merge it.
      const csrDer = join(work, "ext.csr.der");
      writeFileSync(csrDer, Buffer.from(shownOp.csr, "base64"));
      const sh = (args: string[]) => run("openssl", args).then((r) => assert.equal(r.code, 0, r.stderr));
      await sh([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(work, "ca.key"),
        "-out",
        join(work, "ca.pem"),
        "-subj",
        "/CN=Outside CA",
        "-days",
        "30",
      ]);
      await sh(["req", "-in", csrDer, "-inform", "DER", "-out", join(work, "ext.csr.pem")]);
      await sh([
        "x509",
        "-req",
        "-in",
        join(work, "ext.csr.pem"),
        "-CA",
        join(work, "ca.pem"),
        "-CAkey",
        join(work, "ca.key"),
        "-set_serial",
        "7",
        "-days",
        "30",
        "-out",
        join(work, "ext.signed.pem"),
      ]);
      const merged = await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "pending",
          "merge",
          vault,
          "clicerts",
          "-n",
          "ext",
          "--file",
          join(work, "ext.signed.pem"),
        ],
        env,
      );
      assert.equal(merged.name, "ext");
      assert.ok(merged.cer);

      await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "create",
          vault,
          "clicerts",
          "-n",
          "ext2",
          "--policy",
          '{"issuerParameters":{"name":"Unknown"},"x509CertificateProperties":{"subject":"CN=ext2"}}',
        ],
        env,
      );
      assert.equal(
        (await kluis.cliJson(["keyvault", "certificate", "pending", "delete", vault, "clicerts", "-n", "ext2"], env))
          .name,
        "ext2",
      );

      await kluis.cliJson(
        ["keyvault", "certificate", "contact", "add", vault, "clicerts", "--email", "a@contoso.com", "--name", "A"],
        env,
      );
      const contacts = await kluis.cliJson(
        ["keyvault", "certificate", "contact", "add", vault, "clicerts", "--email", "b@contoso.com"],
        env,
      );
      assert.deepEqual(contacts, [
        { email: "a@contoso.com", name: "A", phone: null },
        { email: "b@contoso.com", name: null, phone: null },
      ]);
      await kluis.cliJson(
        ["keyvault", "certificate", "contact", "delete", vault, "clicerts", "--email", "a@contoso.com"],
        env,
      );
      assert.deepEqual(
        await kluis.cliJson(
          ["keyvault", "certificate", "contact", "list", vault, "clicerts", "--query", "[].email"],
          env,
        ),
        ["b@contoso.com"],
      );

      const issuer = await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "issuer",
          "create",
          vault,
          "clicerts",
          "--issuer-name",
          "iss1",
          "--provider-name",
          "Test",
          "--account-id",
          "acct",
        ],
        env,
      );
      assert.equal(issuer.name, "iss1");
      assert.equal(issuer.provider, "Test");
      assert.deepEqual(issuer.credentials, { accountId: "acct" });
      const updated = await kluis.cliJson(
        [
          "keyvault",
          "certificate",
          "issuer",
          "update",
          vault,
          "clicerts",
          "--issuer-name",
          "iss1",
          "--organization-id",
          "org1",
        ],
        env,
      );
      assert.equal(updated.organizationDetails.id, "org1");
      assert.equal(
        (
          await kluis.cliJson(
            ["keyvault", "certificate", "issuer", "show", vault, "clicerts", "--issuer-name", "iss1"],
            env,
          )
        ).provider,
        "Test",
      );
      assert.deepEqual(
        await kluis.cliJson(
          ["keyvault", "certificate", "issuer", "list", vault, "clicerts", "--query", "[].name"],
          env,
        ),
        ["iss1"],
      );
      await kluis.cliJson(
        ["keyvault", "certificate", "issuer", "delete", vault, "clicerts", "--issuer-name", "iss1"],
        env,
      );
      assert.deepEqual(await kluis.cliJson(["keyvault", "certificate", "issuer", "list", vault, "clicerts"], env), []);
    });

    it("fails with one line for wrong flags, a missing vault, a missing permission, a bad query", async () => {
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "show", vault, "clicerts", "-n", "dl", "--bogus"], env),
        /unknown option '--bogus'/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "show", vault, "clicerts"], env),
        /--id, or --vault-name and --name/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "create", vault, "clicerts", "-n", "x"], env),
        /required option '-p, --policy/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "list", vault, "nosuchvault"], env),
        /No vault is served at nosuchvault\.localhost/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "list", vault, "clicerts", "-o", "yaml"], env),
        /invalid choice: 'yaml'/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "certificate", "list", vault, "clicerts", "--query", "[?"], env),
        /--query/,
      );
      const reader = await kluis.createServicePrincipal("cli-reader");
      await kluis.setPolicy("clicerts", reader.appId, { certificates: ["get"] });
      assertOneLineError(
        await kluis.cli(
          [
            "keyvault",
            "certificate",
            "create",
            vault,
            "clicerts",
            "-n",
            "x",
            "--policy",
            "@" + policyFile(work, "CN=x"),
          ],
          await kluis.signIn(reader),
        ),
        /does not have certificates create permission on key vault 'clicerts/,
      );
    });

    it("has --help with an example on every certificate, secret and key command", async () => {
      // Walks the command tree through --help, as a user would.
      const leaves: string[][] = [];
      const walk = async (path: string[]) => {
        const help = await kluis.cli([...path, "--help"]);
        assert.equal(help.code, 0, `${path.join(" ")} --help`);
        const commands = help.stdout.split("Commands:\n")[1];
        if (!commands) {
          assert.match(help.stdout, /Example:\n {2}(kluis|eval) /, `kluis ${path.join(" ")} --help has an example`);
          leaves.push(path);
          return;
        }
        for (const m of commands.matchAll(/^ {2}([a-z][\w-]*)/gm)) if (m[1] !== "help") await walk([...path, m[1]!]);
      };
      for (const group of ["certificate", "secret", "key"]) await walk(["keyvault", group]);
      assert.ok(leaves.length >= 25 + 13 + 20, `found ${leaves.length} commands`);
    });
  });

  describe("keyvault update", () => {
    const update = ["keyvault", "update", "--name", "cliupdate"];

    it("toggles RBAC authorization and replaces tags; show reflects it", async () => {
      await kluis.createVault("cliupdate");
      const updated = await kluis.cliJson([
        ...update,
        "--enable-rbac-authorization",
        "true",
        "--tags",
        "env=prod",
        "team=kv",
        "--public-network-access",
        "Disabled",
      ]);
      assert.equal(updated.properties.enableRbacAuthorization, true);
      assert.equal(updated.properties.publicNetworkAccess, "Disabled");
      assert.deepEqual(updated.tags, { env: "prod", team: "kv" });
      assert.equal(updated.resourceGroup, "kluis");
      assert.deepEqual(await kluis.cliJson(["keyvault", "show", "--name", "cliupdate"]), updated);

      const back = await kluis.cliJson([
        ...update,
        "-g",
        "kluis",
        "--enable-rbac-authorization",
        "false",
        "--enabled-for-deployment",
        "true",
      ]);
      assert.equal(back.properties.enableRbacAuthorization, false);
      assert.equal(back.properties.enabledForDeployment, true);
      assert.deepEqual(back.tags, { env: "prod", team: "kv" }, "tags stay unless --tags is given");
      assert.deepEqual((await kluis.cliJson([...update, "--tags", ""])).tags, {});
      assert.deepEqual(
        (await kluis.cliJson(["keyvault", "show", "--name", "cliupdate"])).properties,
        (await kluis.cliJson(update)).properties,
      );

      assertOneLineError(
        await kluis.cli([...update, "-g", "otherrg", "--enabled-for-deployment", "false"]),
        /under resource group 'otherrg' was not found/,
      );
      assertOneLineError(
        await kluis.cli([...update, "--public-network-access", "Sometimes"]),
        /invalid choice: 'Sometimes'/,
      );
      assert.match((await kluis.cli(["keyvault", "update", "--help"])).stdout, /Example:\n {2}kluis keyvault update /);
    });

    it("refuses turning purge protection off and changing the retention, with one line", async () => {
      assert.equal(
        (await kluis.cliJson([...update, "--enable-purge-protection", "true"])).properties.enablePurgeProtection,
        true,
      );
      assertOneLineError(
        await kluis.cli([...update, "--enable-purge-protection", "false"]),
        /"enablePurgeProtection" cannot be set to false/,
      );
      assertOneLineError(
        await kluis.cli([...update, "--retention-days", "30"]),
        /softDeleteRetentionInDays cannot be changed/,
      );
      assertOneLineError(
        await kluis.cli([...update, "--retention-days", "thirty"]),
        /--retention-days: invalid int value/,
      );
      const shown = await kluis.cliJson(["keyvault", "show", "--name", "cliupdate"]);
      assert.equal(shown.properties.enablePurgeProtection, true);
      assert.equal(shown.properties.softDeleteRetentionInDays, 90);
      assert.equal(
        (await kluis.cliJson([...update, "--retention-days", "90"])).properties.softDeleteRetentionInDays,
        90,
        "the same retention is no change",
      );
    });
  });

  describe("secret", () => {
    let env: NodeJS.ProcessEnv;
    const v = ["--vault-name", "clisecrets"];

    before(async () => {
      env = await kluis.signIn(
        await kluis.vaultWithPrincipal("clisecrets", {
          secrets: ["get", "list", "set", "delete", "recover", "purge", "backup", "restore"],
        }),
      );
    });

    it("sets and shows a secret in az's shape", async () => {
      const set = await kluis.cliJson(
        [
          "keyvault",
          "secret",
          "set",
          ...v,
          "--name",
          "s1",
          "--value",
          "hunter2",
          "--content-type",
          "text/plain",
          "--tags",
          "env=dev",
        ],
        env,
      );
      assert.deepEqual(Object.keys(set), [
        "attributes",
        "contentType",
        "id",
        "kid",
        "managed",
        "name",
        "tags",
        "value",
      ]);
      assert.equal(set.value, "hunter2");
      assert.equal(set.contentType, "text/plain");
      assert.deepEqual(set.tags, { env: "dev" });
      assert.equal(set.attributes.enabled, true);
      assert.match(set.id, /^https:\/\/clisecrets\.localhost:\d+\/secrets\/s1\/[0-9a-f]{32}$/);
      const shown = await kluis.cliJson(["keyvault", "secret", "show", ...v, "-n", "s1"], env);
      assert.deepEqual(shown, set);
      assert.equal(
        (await kluis.cli(["keyvault", "secret", "show", ...v, "-n", "s1", "--query", "value", "-o", "tsv"], env))
          .stdout,
        "hunter2\n",
      );
    });

    it("sets a secret from a file and downloads it back, text and binary", async () => {
      const text = join(work, "secret.txt");
      writeFileSync(text, "line one\nline two\n");
      assert.equal(
        (await kluis.cliJson(["keyvault", "secret", "set", ...v, "-n", "text", "--file", text], env)).value,
        "line one\nline two\n",
      );
      const binary = join(work, "secret.bin");
      const bytes = Buffer.from([0, 1, 2, 250, 251, 255, 10, 13]);
      writeFileSync(binary, bytes);
      const set = await kluis.cliJson(
        ["keyvault", "secret", "set", ...v, "-n", "bin", "--file", binary, "--encoding", "base64"],
        env,
      );
      assert.equal(set.value, bytes.toString("base64"));
      assert.deepEqual(set.tags, { "file-encoding": "base64" });
      const out = join(work, "secret.out");
      assert.equal(
        (await kluis.cli(["keyvault", "secret", "download", ...v, "-n", "bin", "--file", out], env)).code,
        0,
      );
      assert.deepEqual(readFileSync(out), bytes);
      const outText = join(work, "secret-text.out");
      assert.equal(
        (await kluis.cli(["keyvault", "secret", "download", ...v, "-n", "text", "-f", outText], env)).code,
        0,
      );
      assert.equal(readFileSync(outText, "utf8"), "line one\nline two\n");
    });

    it("lists without values, versions, attributes, --output table", async () => {
      await kluis.cliJson(["keyvault", "secret", "set", ...v, "-n", "s1", "--value", "v2"], env);
      const list = await kluis.cliJson<Record<string, unknown>[]>(["keyvault", "secret", "list", ...v], env);
      assert.deepEqual(list.map((s) => s.name).sort(), ["bin", "s1", "text"]);
      assert.ok(list.every((s) => !("value" in s)));
      assert.equal((await kluis.cliJson(["keyvault", "secret", "list-versions", ...v, "-n", "s1"], env)).length, 2);
      const table = await kluis.cli(
        [
          "keyvault",
          "secret",
          "list",
          ...v,
          "-o",
          "table",
          "--query",
          "[?name=='s1'].{Name:name, Enabled:attributes.enabled}",
        ],
        env,
      );
      assert.equal(table.stdout, "Name  Enabled\n----  -------\ns1    True\n");
      const updated = await kluis.cliJson(
        [
          "keyvault",
          "secret",
          "set-attributes",
          ...v,
          "-n",
          "s1",
          "--enabled",
          "false",
          "--expires",
          "2099-01-01T00:00:00Z",
        ],
        env,
      );
      assert.equal(updated.attributes.enabled, false);
      assert.equal(updated.attributes.expires, "2099-01-01T00:00:00+00:00");
      assert.ok(!("value" in updated));
      assertOneLineError(await kluis.cli(["keyvault", "secret", "show", ...v, "-n", "s1"], env), /disabled/);
    });

    it("deletes, recovers, purges, backs up and restores", async () => {
      const deleted = await kluis.cliJson(["keyvault", "secret", "delete", ...v, "-n", "text"], env);
      assert.equal(deleted.name, "text");
      assert.match(deleted.recoveryId, /\/deletedsecrets\/text$/);
      assert.deepEqual(await kluis.cliJson(["keyvault", "secret", "list-deleted", ...v, "--query", "[].name"], env), [
        "text",
      ]);
      assert.equal((await kluis.cliJson(["keyvault", "secret", "show-deleted", ...v, "-n", "text"], env)).name, "text");
      assert.equal((await kluis.cliJson(["keyvault", "secret", "recover", ...v, "-n", "text"], env)).name, "text");

      const backup = join(work, "bin.bak");
      assert.equal((await kluis.cli(["keyvault", "secret", "backup", ...v, "-n", "bin", "-f", backup], env)).code, 0);
      await kluis.cliJson(["keyvault", "secret", "delete", ...v, "-n", "bin"], env);
      const purged = await kluis.cli(["keyvault", "secret", "purge", ...v, "-n", "bin"], env);
      assert.equal(purged.code, 0, purged.stderr);
      const restored = await kluis.cliJson(["keyvault", "secret", "restore", ...v, "--file", backup], env);
      assert.equal(restored.name, "bin");
      assert.equal(
        (await kluis.cliJson(["keyvault", "secret", "show", ...v, "-n", "bin"], env)).value,
        Buffer.from([0, 1, 2, 250, 251, 255, 10, 13]).toString("base64"),
      );
    });

    it("fails with one line for bad arguments and missing permission", async () => {
      assertOneLineError(
        await kluis.cli(["keyvault", "secret", "set", ...v, "-n", "x"], env),
        /exactly one of --value or --file/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "secret", "set", ...v, "-n", "x", "--value", "y", "--encoding", "utf-16"], env),
        /invalid choice: 'utf-16'/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "secret", "show", "--vault-name", "nosuchvault", "-n", "x"], env),
        /No vault is served/,
      );
      const reader = await kluis.createServicePrincipal("secret-reader");
      await kluis.setPolicy("clisecrets", reader.appId, { secrets: ["get"] });
      assertOneLineError(
        await kluis.cli(["keyvault", "secret", "list", ...v], await kluis.signIn(reader)),
        /does not have secrets list permission/,
      );
    });
  });

  describe("key", () => {
    let env: NodeJS.ProcessEnv;
    const v = ["--vault-name", "clikeys"];

    before(async () => {
      env = await kluis.signIn(
        await kluis.vaultWithPrincipal("clikeys", {
          keys: [
            "get",
            "list",
            "create",
            "update",
            "import",
            "delete",
            "recover",
            "purge",
            "backup",
            "restore",
            "rotate",
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "getrotationpolicy",
            "setrotationpolicy",
          ],
        }),
      );
    });

    it("creates RSA and EC keys in az's shape", async () => {
      const rsa = await kluis.cliJson(
        [
          "keyvault",
          "key",
          "create",
          ...v,
          "--name",
          "rsa1",
          "--kty",
          "RSA",
          "--size",
          "2048",
          "--ops",
          "sign",
          "verify",
          "encrypt",
          "decrypt",
        ],
        env,
      );
      assert.deepEqual(Object.keys(rsa), ["attributes", "key", "managed", "name", "releasePolicy", "tags"]);
      assert.equal(rsa.name, "rsa1");
      assert.equal(rsa.key.kty, "RSA");
      assert.deepEqual(rsa.key.keyOps, ["sign", "verify", "encrypt", "decrypt"]);
      assert.equal(rsa.key.d, null, "never the private part");
      assert.equal(Buffer.from(rsa.key.n, "base64").length, 256);
      const ec = await kluis.cliJson(
        ["keyvault", "key", "create", ...v, "-n", "ec1", "--kty", "EC", "--curve", "P-256"],
        env,
      );
      assert.equal(ec.key.crv, "P-256");
      assert.deepEqual(await kluis.cliJson(["keyvault", "key", "list", ...v, "--query", "sort([].name)"], env), [
        "ec1",
        "rsa1",
      ]);
    });

    it("signs and verifies a digest (round trip), and rejects a wrong signature", async () => {
      const digest = createHash("sha256").update("hello kluis").digest("base64");
      for (const [name, alg] of [
        ["rsa1", "RS256"],
        ["rsa1", "PS256"],
        ["ec1", "ES256"],
      ] as const) {
        const signed = await kluis.cliJson(
          ["keyvault", "key", "sign", ...v, "-n", name, "--algorithm", alg, "--digest", digest],
          env,
        );
        assert.equal(signed.algorithm, alg);
        assert.match(signed.kid, new RegExp(`/keys/${name}/[0-9a-f]{32}$`));
        const verified = await kluis.cliJson(
          [
            "keyvault",
            "key",
            "verify",
            ...v,
            "-n",
            name,
            "-a",
            alg,
            "--digest",
            digest,
            "--signature",
            signed.signature,
          ],
          env,
        );
        assert.equal(verified.isValid, true);
        const other = createHash("sha256").update("something else").digest("base64");
        const wrong = await kluis.cliJson(
          [
            "keyvault",
            "key",
            "verify",
            ...v,
            "-n",
            name,
            "-a",
            alg,
            "--digest",
            other,
            "--signature",
            signed.signature,
          ],
          env,
        );
        assert.equal(wrong.isValid, false);
      }
    });

    it("encrypts and decrypts", async () => {
      const enc = await kluis.cliJson(
        [
          "keyvault",
          "key",
          "encrypt",
          ...v,
          "-n",
          "rsa1",
          "-a",
          "RSA-OAEP-256",
          "--value",
          "attack at dawn",
          "--data-type",
          "plaintext",
        ],
        env,
      );
      assert.equal(enc.algorithm, "RSA-OAEP-256");
      const dec = await kluis.cliJson(
        [
          "keyvault",
          "key",
          "decrypt",
          ...v,
          "-n",
          "rsa1",
          "-a",
          "RSA-OAEP-256",
          "--value",
          enc.result,
          "--data-type",
          "plaintext",
        ],
        env,
      );
      assert.equal(dec.result, "attack at dawn");
      const dec64 = await kluis.cliJson(
        ["keyvault", "key", "decrypt", ...v, "-n", "rsa1", "-a", "RSA-OAEP-256", "--value", enc.result],
        env,
      );
      assert.equal(Buffer.from(dec64.result, "base64").toString(), "attack at dawn");
    });

    it("downloads the public key for openssl, imports a PEM key", async () => {
      const pem = join(work, "rsa1-pub.pem");
      const der = join(work, "ec1-pub.der");
      assert.equal((await kluis.cli(["keyvault", "key", "download", ...v, "-n", "rsa1", "--file", pem], env)).code, 0);
      assert.equal(
        (await kluis.cli(["keyvault", "key", "download", ...v, "-n", "ec1", "--file", der, "--encoding", "DER"], env))
          .code,
        0,
      );
      assert.match(
        (await run("openssl", ["pkey", "-pubin", "-in", pem, "-noout", "-text"])).stdout,
        /Public-Key: \(2048 bit\)/,
      );
      assert.match(
        (await run("openssl", ["pkey", "-pubin", "-inform", "DER", "-in", der, "-noout", "-text"])).stdout,
        /prime256v1|P-256/,
      );

      const keyFile = join(work, "import.pem");
      writeFileSync(
        keyFile,
        generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "pkcs8", format: "pem" }),
      );
      const imported = await kluis.cliJson(
        ["keyvault", "key", "import", ...v, "-n", "imp1", "--pem-file", keyFile],
        env,
      );
      assert.equal(imported.key.kty, "EC");
      assert.equal(imported.key.crv, "P-384");
      assert.equal(imported.key.d, null);
    });

    it("rotates, sets attributes, rotation policy, list-versions", async () => {
      await kluis.cliJson(["keyvault", "key", "rotate", ...v, "-n", "rsa1"], env);
      assert.equal((await kluis.cliJson(["keyvault", "key", "list-versions", ...v, "-n", "rsa1"], env)).length, 2);
      const updated = await kluis.cliJson(
        ["keyvault", "key", "set-attributes", ...v, "-n", "rsa1", "--tags", "team=x", "--ops", "sign", "verify"],
        env,
      );
      assert.deepEqual(updated.tags, { team: "x" });
      assert.deepEqual(updated.key.keyOps, ["sign", "verify"]);
      const policyFile = join(work, "rotation.json");
      writeFileSync(
        policyFile,
        JSON.stringify({
          lifetimeActions: [{ trigger: { timeAfterCreate: "P18M" }, action: { type: "Rotate" } }],
          attributes: { expiryTime: "P2Y" },
        }),
      );
      const policy = await kluis.cliJson(
        ["keyvault", "key", "rotation-policy", "update", ...v, "-n", "rsa1", "--value", "@" + policyFile],
        env,
      );
      assert.equal(policy.expiresIn, "P2Y");
      assert.deepEqual(policy.lifetimeActions, [{ action: "Rotate", timeAfterCreate: "P18M", timeBeforeExpiry: null }]);
      assert.deepEqual(
        (await kluis.cliJson(["keyvault", "key", "rotation-policy", "show", ...v, "-n", "rsa1"], env)).lifetimeActions,
        policy.lifetimeActions,
      );
    });

    it("deletes, recovers, purges, backs up and restores", async () => {
      const deleted = await kluis.cliJson(["keyvault", "key", "delete", ...v, "-n", "ec1"], env);
      assert.match(deleted.recoveryId, /\/deletedkeys\/ec1$/);
      assert.deepEqual(await kluis.cliJson(["keyvault", "key", "list-deleted", ...v, "--query", "[].name"], env), [
        "ec1",
      ]);
      assert.equal((await kluis.cliJson(["keyvault", "key", "show-deleted", ...v, "-n", "ec1"], env)).name, "ec1");
      assert.equal((await kluis.cliJson(["keyvault", "key", "recover", ...v, "-n", "ec1"], env)).name, "ec1");
      const backup = join(work, "ec1.bak");
      assert.equal((await kluis.cli(["keyvault", "key", "backup", ...v, "-n", "ec1", "--file", backup], env)).code, 0);
      await kluis.cliJson(["keyvault", "key", "delete", ...v, "-n", "ec1"], env);
      assert.equal((await kluis.cli(["keyvault", "key", "purge", ...v, "-n", "ec1"], env)).code, 0);
      const restored = await kluis.cliJson(["keyvault", "key", "restore", ...v, "-f", backup], env);
      assert.equal(restored.name, "ec1");
    });

    it("draws random bytes as az's {value: base64}, by --vault-name or the vault's --id", async () => {
      const first = await kluis.cliJson(["keyvault", "key", "random", ...v, "--count", "32"], env);
      assert.deepEqual(Object.keys(first), ["value"]);
      assert.match(first.value, /^[A-Za-z0-9+/]+=*$/, "standard base64");
      assert.equal(Buffer.from(first.value, "base64").length, 32);
      const second = await kluis.cliJson(
        ["keyvault", "key", "random", "--id", "https://clikeys.vault.azure.net", "--count", "32"],
        env,
      );
      assert.equal(Buffer.from(second.value, "base64").length, 32);
      assert.notEqual(second.value, first.value);
      for (const count of ["0", "129"]) {
        assertOneLineError(
          await kluis.cli(["keyvault", "key", "random", ...v, "--count", count], env),
          /count must be an integer between 1 and 128/,
        );
      }
      assertOneLineError(await kluis.cli(["keyvault", "key", "random", "--count", "8"], env), /--id or --vault-name/);
    });

    it("fails with one line for a bad algorithm, bad base64, missing permission", async () => {
      assertOneLineError(
        await kluis.cli(["keyvault", "key", "sign", ...v, "-n", "rsa1", "-a", "RS256", "--digest", "not base64!"], env),
        /not base64/,
      );
      assertOneLineError(
        await kluis.cli(["keyvault", "key", "create", ...v, "-n", "x", "--kty", "DSA"], env),
        /invalid choice: 'DSA'/,
      );
      const reader = await kluis.createServicePrincipal("key-reader");
      await kluis.setPolicy("clikeys", reader.appId, { keys: ["get"] });
      assertOneLineError(
        await kluis.cli(
          [
            "keyvault",
            "key",
            "sign",
            ...v,
            "-n",
            "rsa1",
            "-a",
            "RS256",
            "--digest",
            createHash("sha256").digest("base64"),
          ],
          await kluis.signIn(reader),
        ),
        /does not have keys sign permission/,
      );
    });
  });
});

/** A self-signed policy in az's shape, written to a file for `--policy @file`. */
function policyFile(dir: string, subject: string): string {
  const file = join(dir, `policy-${subject.replace(/\W/g, "")}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      issuerParameters: { name: "Self" },
      keyProperties: { keyType: "EC", curve: "P-256", exportable: true, reuseKey: false },
      secretProperties: { contentType: "application/x-pem-file" },
      x509CertificateProperties: { subject, validityInMonths: 12 },
    }),
  );
  return file;
}
