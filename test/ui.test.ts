// The web UI at /ui/, driven in headless Debian Chromium: a person signs in on Kluis's sign-in page (authorization
// code + PKCE), creates a certificate through the form, finds it on the expiry timeline, deletes and recovers it,
// reveals a secret, edits an access policy, and a user without permission sees a clear refusal; a merged certificate
// shows its issuer chain; a vault of 100,000 secrets is searched by the server and counted exactly. Screenshots of each
// page go to test-artifacts/ui/. Also checked over plain HTTPS: what the server sends with the UI (CSP, caching,
// the redirect from /) and the data plane's CORS, which admits the UI's own origin and no other.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser, screenshot, type TestBrowser } from "./helpers/browser.js";
import { fetchToken, rawRequest } from "./helpers/http.js";
import { Kluis } from "./helpers/kluis.js";
import { OpenSsl } from "./helpers/openssl.js";
import { seedSecrets } from "./helpers/seed.js";

const VAULT = "webui";
/** A vault of 100,000 secrets (written into the store before the server starts) and three that hold "needle". */
const BIG_VAULT = "bigvault";
const BIG = 100_000;
const NEEDLES = ["a-NEEDLE-first", "item-099990-Needle", "zz-needle-last"];
const BOB = { upn: "bob@kluis.local", password: "Bob-pa55word-UI" };

describe("web UI", () => {
  let kluis: Kluis;
  let browser: TestBrowser;
  let admin: {
    appId: string;
    password: string;
    user: { userPrincipalName: string; password: string; objectId: string };
  };
  let origin: string;
  let bobId: string;
  let alice: Page;
  const contexts: BrowserContext[] = [];

  /** A page of its own (no shared cookies or storage) at the given viewport. */
  async function newPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
    const context = await browser.browser.newContext({ viewport });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    return context.newPage();
  }

  /** From the UI's sign-in screen through Kluis's sign-in page and back, as a person does it. */
  async function signIn(page: Page, upn: string, password: string) {
    await page.goto(`${origin}/`);
    assert.equal(new URL(page.url()).pathname, "/ui/");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname.endsWith("/authorize"));
    await page.getByLabel("User name").fill(upn);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/ui/" && !url.search);
    await page.getByText(upn).waitFor();
  }

  const row = (page: Page, name: string) =>
    page.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });

  before(async () => {
    kluis = await Kluis.start();
    admin = kluis.adminCredential() as typeof admin;
    const all = ["all"];
    for (const vault of [VAULT, BIG_VAULT]) {
      await kluis.createVault(vault);
      await kluis.cliJson([
        "keyvault",
        "set-policy",
        "--name",
        vault,
        "--object-id",
        admin.user.objectId,
        "--certificate-permissions",
        ...all,
        "--secret-permissions",
        ...all,
        "--key-permissions",
        ...all,
      ]);
    }
    const names = Array.from({ length: BIG }, (_, i) => `item-${String(i).padStart(6, "0")}`);
    await seedSecrets(kluis, BIG_VAULT, [...names, ...NEEDLES]); // restarts the server, on another port
    origin = `https://localhost:${kluis.info.port}`;
    bobId = await kluis.createUser(BOB.upn, BOB.password, "Bob");
    const sub = kluis.info.subscriptionId;
    await kluis.cliJson([
      "role",
      "assignment",
      "create",
      "--role",
      "Reader",
      "--assignee",
      bobId,
      "--scope",
      `/subscriptions/${sub}`,
    ]);
    browser = await launchBrowser(kluis.caFile);
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.dispose();
    await kluis?.dispose();
  });

  it("GET / leads to /ui/; the page has a strict CSP, hashed assets are cached for good", async () => {
    const root = await rawRequest(kluis, "localhost", "GET", "/");
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, "/ui/");
    assert.equal((await rawRequest(kluis, `${VAULT}.localhost`, "GET", "/")).status, 404, "a vault's host is no UI");
    const page = await rawRequest(kluis, "localhost", "GET", "/ui/");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    const csp = String(page.headers["content-security-policy"]);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, new RegExp(`connect-src 'self' https://\\*\\.localhost:${kluis.info.port}`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers["cache-control"], "no-cache");
    const script = String(page.body).match(/src="(\/ui\/assets\/[^"]+\.js)"/)?.[1];
    assert.ok(script, "the page loads its script from a hashed file");
    const asset = await rawRequest(kluis, "localhost", "GET", script);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal((await rawRequest(kluis, "localhost", "GET", "/ui/../admin.json")).status, 404);
    assert.equal((await rawRequest(kluis, "localhost", "GET", "/ui/nothing.js")).status, 404);
  });

  it("the data plane's CORS admits the UI's own origin only, and no credentials", async () => {
    const preflight = (from: string) =>
      rawRequest(kluis, `${VAULT}.localhost`, "OPTIONS", "/secrets?api-version=7.5", {
        headers: {
          origin: from,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
    const ours = await preflight(origin);
    assert.equal(ours.status, 204);
    assert.equal(ours.headers["access-control-allow-origin"], origin);
    assert.match(String(ours.headers["access-control-allow-headers"]), /authorization/);
    assert.equal(ours.headers["access-control-allow-credentials"], undefined);
    for (const other of [
      "https://evil.example",
      `https://other.localhost:${kluis.info.port}`,
      `http://localhost:${kluis.info.port}`,
      "https://localhost:1",
    ]) {
      const answer = await preflight(other);
      assert.equal(answer.headers["access-control-allow-origin"], undefined, other);
    }
    // A refusal carries the header too, so the UI can show Key Vault's message.
    const refused = await rawRequest(kluis, `${VAULT}.localhost`, "GET", "/secrets?api-version=7.5", {
      headers: { origin },
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers["access-control-allow-origin"], origin);
  });

  it("signs in with the authorization code flow; tokens stay out of storage", async () => {
    alice = await newPage();
    await signIn(alice, admin.user.userPrincipalName, admin.user.password);
    await row(alice, VAULT).waitFor();
    const stored = await alice.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    assert.equal(stored, "{}{}");
    await screenshot(alice, "01-vaults");
    const phone = await newPage({ width: 390, height: 844 });
    await signIn(phone, admin.user.userPrincipalName, admin.user.password);
    await row(phone, VAULT).waitFor();
    await screenshot(phone, "01-vaults-phone");
    await phone.getByRole("link", { name: VAULT }).click();
    await phone.getByText("0 of 0 shown").waitFor();
    await phone.getByText("Loading…").waitFor({ state: "detached" });
    await screenshot(phone, "02-vault-phone");
  });

  it("creates a certificate through the policy form and shows its detail", async () => {
    await alice.getByRole("link", { name: VAULT }).click();
    const form = alice.getByRole("form", { name: "Create a certificate" });
    await form.getByLabel("Name", { exact: true }).fill("web-cert");
    await form.getByLabel("Subject").fill("CN=web.example.com");
    await form.getByLabel("DNS names (SANs)").fill("web.example.com, www.example.com");
    await form.getByLabel("Validity (months)").fill("6");
    await form.getByRole("button", { name: "Create certificate" }).click();
    await form.getByRole("status").getByText("Certificate web-cert was created.").waitFor();
    await row(alice, "web-cert").getByText("enabled").waitFor();
    // A certificate for a CA to sign stays pending until its answer is merged.
    await form.getByLabel("Name", { exact: true }).fill("csr-cert");
    await form.getByLabel("Issuer").fill("Unknown");
    await form.getByRole("button", { name: "Create certificate" }).click();
    await form.getByRole("status").getByText("Certificate csr-cert is pending").waitFor();
    await row(alice, "csr-cert").getByText("pending").waitFor();
    await screenshot(alice, "02-certificates");
    await alice.getByRole("link", { name: "web-cert" }).click();
    await alice.getByText("CN=web.example.com").first().waitFor();
    assert.ok(await alice.getByText("web.example.com, www.example.com").isVisible());
    assert.ok(await alice.locator("dl.facts").first().getByText("(self-signed)").isVisible());
    const download = alice.waitForEvent("download");
    await alice.getByRole("button", { name: "Certificate (PEM)" }).click();
    const pem = readFileSync(await (await download).path(), "utf8");
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    await screenshot(alice, "03-certificate-detail");
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/certificates/csr-cert`), VAULT);
    await alice.getByText("This certificate has no issued version yet").waitFor();
  });

  it("a certificate list's nextLink keeps includePending, so every page lists pending certificates", async () => {
    const token = (await fetchToken(kluis, admin)).body.access_token as string;
    const first = await rawRequest(
      kluis,
      `${VAULT}.localhost`,
      "GET",
      "/certificates?api-version=7.5&maxresults=1&includePending=true",
      { token },
    );
    assert.equal(first.status, 200);
    const next = new URL(first.body.nextLink);
    assert.equal(next.searchParams.get("includePending"), "true");
    const second = await rawRequest(kluis, `${VAULT}.localhost`, "GET", `${next.pathname}${next.search}`, { token });
    const names = [...first.body.value, ...second.body.value].map((c: { id: string }) => c.id.split("/").pop());
    assert.deepEqual(names.sort(), ["csr-cert", "web-cert"]);
  });

  it("shows the certificate on the expiry timeline", async () => {
    await alice.getByRole("link", { name: "Expiry timeline" }).click();
    await row(alice, "web-cert").waitFor();
    assert.match(await row(alice, "web-cert").innerText(), new RegExp(`${VAULT}[\\s\\S]*certificate`));
    assert.equal(await alice.locator("svg.timeline text.label", { hasText: "web-cert" }).count(), 1);
    await screenshot(alice, "04-timeline");
  });

  it("deletes the certificate and recovers it", async () => {
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/certificates`), VAULT);
    await row(alice, "web-cert").getByRole("button", { name: "Delete" }).click();
    await row(alice, "web-cert").getByRole("button", { name: "Confirm delete" }).click();
    await row(alice, "web-cert").waitFor({ state: "detached" });
    await alice.getByRole("link", { name: "Deleted" }).click();
    await row(alice, "web-cert").getByText("deleted").waitFor();
    await screenshot(alice, "05-deleted");
    await row(alice, "web-cert").getByRole("button", { name: "Recover" }).click();
    await row(alice, "web-cert").waitFor({ state: "detached" });
    await alice.getByRole("link", { name: "Certificates" }).click();
    await row(alice, "web-cert").getByText("enabled").waitFor();
    const shown = await kluis.cliJson(["keyvault", "certificate", "show", "--vault-name", VAULT, "-n", "web-cert"]);
    assert.equal(shown.attributes.enabled, true);
  });

  it("sets a secret and reveals its value only on an explicit click", async () => {
    await alice.getByRole("link", { name: "Secrets" }).click();
    const form = alice.getByRole("form", { name: "Set a secret" });
    await form.getByLabel("Name", { exact: true }).fill("db-password");
    await form.getByLabel("Value", { exact: true }).fill("s3cret-from-the-ui");
    await form.getByRole("button", { name: "Set secret" }).click();
    await row(alice, "db-password").waitFor();
    assert.equal(await alice.getByText("s3cret-from-the-ui").count(), 0);
    await row(alice, "db-password").getByRole("button", { name: "Reveal value" }).click();
    await alice.getByLabel("Value of db-password").getByText("s3cret-from-the-ui").waitFor();
    await screenshot(alice, "06-secrets");
    await alice.getByRole("link", { name: "Audit log" }).click();
    await alice.getByRole("rowheader", { name: "SecretGet" }).first().waitFor();
    await screenshot(alice, "07-audit");
  });

  it("creates and rotates a key", async () => {
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/keys`), VAULT);
    const form = alice.getByRole("form", { name: "Create a key" });
    await form.getByLabel("Name", { exact: true }).fill("signing");
    await form.getByRole("button", { name: "Create key" }).click();
    await row(alice, "signing").getByRole("button", { name: "Rotate" }).click();
    await row(alice, "signing").getByRole("status").getByText("Rotated").waitFor();
    const versions = await kluis.cliJson(["keyvault", "key", "list-versions", "--vault-name", VAULT, "-n", "signing"]);
    assert.equal(versions.length, 2);
    await screenshot(alice, "08-keys");
  });

  it("refuses a user without permission clearly, and lets them in once an access policy is edited", async () => {
    const bob = await newPage();
    await signIn(bob, BOB.upn, BOB.password);
    await bob.getByRole("link", { name: VAULT }).click();
    const refusal = bob.getByRole("alert").filter({ hasText: "Access denied" });
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /certificates list/i);
    await screenshot(bob, "09-refused");
    await bob.getByRole("link", { name: "Audit log" }).click();
    await bob.getByRole("alert").filter({ hasText: "Access denied" }).waitFor();

    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/access`), VAULT);
    const add = alice.getByRole("form", { name: "Add an access policy" });
    await add.getByLabel("User sign-in name or application id").fill(BOB.upn);
    await add.getByRole("button", { name: "Add" }).click();
    const entry = alice.getByRole("group", { name: BOB.upn, exact: true });
    await entry.waitFor();
    const certificates = entry.getByRole("group", { name: "Certificates" });
    await certificates.getByRole("checkbox", { name: "list", exact: true }).check();
    await certificates.getByRole("checkbox", { name: "get", exact: true }).check();
    await entry.getByRole("button", { name: `Save permissions of ${BOB.upn}` }).click();
    await entry.getByRole("status").getByText("Saved").waitFor();
    await screenshot(alice, "10-access-policies");
    const vault = await kluis.cliJson(["keyvault", "show", "--name", VAULT]);
    const policy = vault.properties.accessPolicies.find((p: any) => p.objectId === bobId);
    assert.deepEqual([...policy.permissions.certificates].sort(), ["get", "list"]);

    await bob.evaluate((v) => (location.hash = `#/vaults/${v}/certificates`), VAULT);
    await row(bob, "web-cert").waitFor();
    await screenshot(bob, "11-allowed");
  });

  it("shows a merged certificate's issuer chain link by link; without secrets get, the issuer's name and why", async () => {
    // csr-cert, pending since the form made it, signed by a CA of openssl's and merged with the CA in its chain.
    const token = (await fetchToken(kluis, admin)).body.access_token as string;
    const call = (method: string, path: string, body?: unknown) =>
      rawRequest(kluis, `${VAULT}.localhost`, method, `${path}?api-version=7.5`, {
        token,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const pending = await call("GET", "/certificates/csr-cert/pending");
    assert.equal(pending.status, 200, JSON.stringify(pending.body));
    const openssl = new OpenSsl();
    try {
      openssl.makeCa();
      openssl.write(
        "csr-cert.csr",
        `-----BEGIN CERTIFICATE REQUEST-----\n${pending.body.csr}\n-----END CERTIFICATE REQUEST-----\n`,
      );
      openssl.signCsr("csr-cert.csr", "csr-cert.pem");
      const leaf = new X509Certificate(openssl.read("csr-cert.pem"));
      const ca = new X509Certificate(openssl.read("ca.pem"));
      const merged = await call("POST", "/certificates/csr-cert/pending/merge", {
        x5c: [leaf.raw.toString("base64"), ca.raw.toString("base64")],
      });
      assert.equal(merged.status, 201, JSON.stringify(merged.body));

      await alice.evaluate((v) => (location.hash = `#/vaults/${v}/certificates/csr-cert`), VAULT);
      // The chain comes from the certificate's secret (with its private key): read only on an explicit click.
      const show = alice.getByRole("button", { name: "Show the issuer chain" });
      await show.waitFor();
      assert.equal(await alice.getByRole("list", { name: "Issuer chain" }).count(), 0);
      await show.click();
      const chain = alice.getByRole("list", { name: "Issuer chain" });
      const links = chain.getByRole("listitem");
      await links.nth(1).waitFor();
      assert.equal(await links.count(), 2);
      const [first, second] = [await links.nth(0).innerText(), await links.nth(1).innerText()];
      assert.match(first, /this certificate/);
      assert.match(first, /Issuer\s+CN=Test Root CA/);
      assert.ok(first.includes(leaf.fingerprint.replace(/:/g, "")), first);
      assert.match(second, /Subject\s+CN=Test Root CA[\s\S]*self-signed/);
      assert.ok(second.includes(ca.fingerprint.replace(/:/g, "")), second);
      await screenshot(alice, "13-issuer-chain");
    } finally {
      openssl.dispose();
    }
    // A self-signed certificate's chain is itself.
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/certificates/web-cert`), VAULT);
    await alice.getByRole("button", { name: "Show the issuer chain" }).click();
    const own = alice.getByRole("list", { name: "Issuer chain" }).getByRole("listitem");
    await own.first().getByText("(self-signed)").waitFor(); // csr-cert's first link is not
    assert.equal(await own.count(), 1);
    assert.match(await own.first().innerText(), /CN=web\.example\.com \(this certificate\)/);

    // Bob may get and list certificates, not secrets (the UI's new entry had given him secrets get and list): the
    // leaf's issuer, and why the rest is not shown.
    await kluis.cliJson(["keyvault", "delete-policy", "--name", VAULT, "--object-id", bobId]);
    await kluis.cliJson([
      "keyvault",
      "set-policy",
      "--name",
      VAULT,
      "--object-id",
      bobId,
      "--certificate-permissions",
      "get",
      "list",
    ]);
    const bob = await newPage();
    await signIn(bob, BOB.upn, BOB.password);
    await bob.evaluate((v) => (location.hash = `#/vaults/${v}/certificates/csr-cert`), VAULT);
    await bob.getByRole("button", { name: "Show the issuer chain" }).click();
    const why = bob.getByText("The rest of the chain is not shown");
    await why.waitFor();
    assert.match(await why.innerText(), /Issued by CN=Test Root CA\..*secrets get/);
    assert.equal(await bob.getByRole("list", { name: "Issuer chain" }).count(), 0);
  });

  it("searches a vault of 100,000 secrets on the server, finds names on any page, and counts them exactly", async () => {
    await alice.getByRole("link", { name: "Vaults", exact: true }).click();
    await row(alice, BIG_VAULT)
      .getByRole("link", { name: (BIG + NEEDLES.length).toLocaleString("en") })
      .waitFor();
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/secrets`), BIG_VAULT);
    await alice.getByText("25 of 100,003 shown (more on the server)").waitFor();
    const search = alice.getByLabel("Search by name");
    await search.fill("item-099990"); // the 3,997th page of 25 in name order
    await alice.getByText("2 of 2 matching “item-099990” shown").waitFor();
    assert.deepEqual(await alice.getByRole("rowheader").allInnerTexts(), ["item-099990", "item-099990-Needle"]);
    await search.fill("NEEDLE");
    await alice.getByText("3 of 3 matching “NEEDLE” shown").waitFor();
    assert.deepEqual(await alice.getByRole("rowheader").allInnerTexts(), NEEDLES);
    await screenshot(alice, "14-search");
    await search.fill("needle%");
    await alice.getByRole("alert").getByText("Names hold only letters, digits and hyphens").waitFor();
    assert.equal(await search.getAttribute("aria-invalid"), "true");
    await search.fill("");
    await alice.getByText("25 of 100,003 shown (more on the server)").waitFor();
  });

  it("pages through a long list with the vault's nextLink, and searches it on the server", async () => {
    // More than a page (25) of secrets, written straight to the data plane as the administrator.
    const token = (await fetchToken(kluis, admin)).body.access_token as string;
    for (let i = 0; i < 30; i++) {
      const put = await rawRequest(kluis, `${VAULT}.localhost`, "PUT", `/secrets/page-${i}?api-version=7.5`, {
        token,
        body: JSON.stringify({ value: `v${i}` }),
      });
      assert.equal(put.status, 200);
    }
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/keys`), VAULT);
    await alice.getByRole("link", { name: "Secrets" }).click();
    // Those 30, db-password, and the secrets of web-cert and csr-cert.
    await alice.getByText("25 of 33 shown (more on the server)").waitFor();
    await alice.getByRole("button", { name: "Load more" }).click();
    await alice.getByText("33 of 33 shown").waitFor();
    await alice.getByLabel("Search by name").fill("page-2");
    await alice.getByText("11 of 11 matching “page-2” shown").waitFor(); // page-2 and page-20 to page-29
    assert.equal(await alice.getByRole("rowheader", { name: /^page-2/ }).count(), 11);
  });

  it("purges a deleted secret for good", async () => {
    await alice.getByLabel("Search by name").fill("page-0");
    await row(alice, "page-0").getByRole("button", { name: "Delete" }).click();
    await row(alice, "page-0").getByRole("button", { name: "Confirm delete" }).click();
    await alice.getByRole("link", { name: "Deleted" }).click();
    await row(alice, "page-0").getByRole("button", { name: "Purge" }).click();
    await row(alice, "page-0").getByRole("button", { name: "Confirm purge" }).click();
    await row(alice, "page-0").waitFor({ state: "detached" });
    const gone = await kluis.cli(["keyvault", "secret", "show-deleted", "--vault-name", VAULT, "-n", "page-0"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found|does not exist/i);
  });

  it("lists role assignments of a vault", async () => {
    await alice.evaluate((v) => (location.hash = `#/vaults/${v}/roles`), VAULT);
    await alice.getByRole("row").filter({ hasText: "Reader" }).first().waitFor();
    await screenshot(alice, "12-role-assignments");
  });
});
