// Issue 16, part 1: browser sign-in with the authorization-code flow and PKCE on Kluis's own authorization endpoint.
// The real az signs in with `az login` and no flags: it opens "a browser" through Python's webbrowser module, which
// runs $BROWSER; here that is a script playing the user with curl (trusting the test CA, through the proxy az uses):
// it opens the page, posts the user's name and password with the page's CSRF token and cookie, and follows the
// redirect to az's loopback listener. Direct HTTP requests check the web UI's client and what az never sends.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rawRequest, signInOnAuthorizePage, type RawResponse } from "./helpers/http.js";
import { azShell } from "./helpers/az.js";
import { Kluis } from "./helpers/kluis.js";

const AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const WEB_UI_CLIENT_ID = "5f1c8a77-6a2d-4c1e-9b8e-0d6f7c1b2a10";
const CAROL = { upn: "carol@kluis.local", password: "Carol-pa55word" };
const ERIN = { upn: "erin@kluis.local", password: "Erin-pa55word" };

const base64url = (b: Buffer) => b.toString("base64url");
const pkce = () => {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash("sha256").update(verifier).digest()) };
};

describe("browser sign-in (authorization code with PKCE)", () => {
  let kluis: Kluis;
  let admin: { user: { password: string } };
  let adminToken: string;
  const cleanup: string[] = [];
  const webUiRedirect = () => `https://localhost:${kluis.info.port}/ui/`;
  const authorizePath = (params: Record<string, string>, v2 = true) =>
    `/${kluis.info.tenantId}/oauth2/${v2 ? "v2.0/" : ""}authorize?${new URLSearchParams(params)}`;
  const tokenRequest = (fields: Record<string, string>) =>
    rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  const uiRequest = (extra: Record<string, string> = {}, challenge = pkce().challenge) => ({
    client_id: WEB_UI_CLIENT_ID,
    response_type: "code",
    redirect_uri: webUiRedirect(),
    scope: "https://vault.azure.net/.default openid profile offline_access",
    state: "the-state",
    nonce: "the-nonce",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });
  const signInOnPage = (path: string, username: string, password: string) =>
    signInOnAuthorizePage(kluis, path, username, password);
  const redirectParams = (res: RawResponse) => {
    assert.equal(res.status, 302, String(res.body));
    return new URL(String(res.headers.location)).searchParams;
  };
  async function uiCode(pkcePair = pkce(), extra: Record<string, string> = {}) {
    const res = await signInOnPage(authorizePath(uiRequest(extra, pkcePair.challenge)), CAROL.upn, CAROL.password);
    const params = redirectParams(res);
    assert.equal(params.get("state"), "the-state");
    return { code: params.get("code")!, verifier: pkcePair.verifier };
  }
  const redeem = (code: string, verifier: string | undefined, extra: Record<string, string> = {}) =>
    tokenRequest({
      grant_type: "authorization_code",
      client_id: WEB_UI_CLIENT_ID,
      code,
      redirect_uri: webUiRedirect(),
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
      scope: "https://vault.azure.net/.default openid profile offline_access",
      ...extra,
    });
  const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));

  before(async () => {
    kluis = await Kluis.start();
    admin = kluis.adminCredential() as typeof admin;
    adminToken = (
      await tokenRequest({
        grant_type: "password",
        client_id: AZ_CLIENT_ID,
        username: "admin",
        password: admin.user.password,
        scope: "https://graph.microsoft.com/.default",
      })
    ).body.access_token as string;
    for (const [u, enabled] of [
      [CAROL, true],
      [ERIN, false],
    ] as const) {
      const created = await rawRequest(kluis, "graph.microsoft.com", "POST", "/v1.0/users", {
        token: adminToken,
        body: JSON.stringify({
          accountEnabled: enabled,
          displayName: u.upn.split("@")[0],
          mailNickname: u.upn.split("@")[0],
          userPrincipalName: u.upn,
          passwordProfile: { password: u.password },
        }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });
  after(async () => {
    await kluis.dispose();
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  });

  it("az login without flags signs in through the page, then ARM and Key Vault calls work", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kluis-browser-"));
    cleanup.push(dir);
    const browser = join(dir, "browser.sh");
    const log = join(dir, "browser.log");
    // Python's webbrowser waits for $BROWSER to exit while az's listener waits for the redirect: play in the background.
    const curl = `curl -sS --fail-with-body --cacert '${kluis.caFile}' --proxy '${kluis.proxyUrl}' -b '${dir}/jar' -c '${dir}/jar'`;
    // MSAL asks for response_mode=form_post: the page after sign-in holds a form that posts the code to az's listener.
    const field = (name: string) => `sed -n 's/.*name="${name}" value="\\([^"]*\\)".*/\\1/p'`;
    writeFileSync(
      browser,
      `#!/bin/sh
(
  set -e
  page=$(${curl} "$1")
  csrf=$(printf '%s' "$page" | ${field("csrf")})
  back=$(${curl} --data-urlencode "csrf=$csrf" \\
    --data-urlencode "username=$PLAY_USER" --data-urlencode "password=$PLAY_PASSWORD" "$1")
  action=$(printf '%s' "$back" | sed -n 's/.*<form method="post" action="\\([^"]*\\)".*/\\1/p')
  echo "posted back to $action"
  curl -sS --noproxy '*' --data-urlencode "code=$(printf '%s' "$back" | ${field("code")})" \\
    --data-urlencode "state=$(printf '%s' "$back" | ${field("state")})" "$action"
) >'${log}' 2>&1 &
`,
    );
    chmodSync(browser, 0o700);
    const shell = azShell(kluis, true, cleanup, {
      BROWSER: browser,
      PLAY_USER: "admin@kluis.local",
      PLAY_PASSWORD: admin.user.password,
    });
    const login = await shell.az(["login", "-o", "json"], { timeoutMs: 60_000 });
    assert.equal(login.code, 0, `${login.stderr}\n${readFileSync(log, "utf8")}`);
    assert.match(readFileSync(log, "utf8"), /^posted back to http:\/\/localhost:\d+$/m);
    const account = await shell.azJson("account", "show");
    assert.deepEqual(account.user, { name: "admin@kluis.local", type: "user" });
    const token = await shell.azJson("account", "get-access-token", "--resource", "https://vault.azure.net");
    assert.equal(claims(token.accessToken).upn, "admin@kluis.local");
    assert.equal(claims(token.accessToken).appid, AZ_CLIENT_ID);
    // ARM, then the data plane, with the tokens az keeps from that sign-in.
    await shell.azJson("group", "create", "-n", "rg", "-l", "westeurope");
    const vault = ["--vault-name", "browservault"];
    await shell.azJson("keyvault", "create", "-n", "browservault", "-g", "rg", "--enable-rbac-authorization", "false");
    await shell.azJson("keyvault", "secret", "set", ...vault, "-n", "greeting", "--value", "hello");
    assert.equal((await shell.azJson("keyvault", "secret", "show", ...vault, "-n", "greeting")).value, "hello");
  });

  it("the web UI's client gets a code at /ui/ and redeems it once, with its verifier, for tokens and a refresh token", async () => {
    const { code, verifier } = await uiCode();
    const res = await redeem(code, verifier);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(claims(res.body.access_token).aud, "https://vault.azure.net");
    assert.equal(claims(res.body.access_token).upn, CAROL.upn);
    assert.equal(claims(res.body.id_token).nonce, "the-nonce");
    assert.equal(claims(res.body.id_token).aud, WEB_UI_CLIENT_ID);
    assert.ok(res.body.client_info);
    // The refresh token reaches ARM and Graph too, as az's does.
    for (const resource of ["https://management.azure.com", "https://graph.microsoft.com"]) {
      const refreshed = await tokenRequest({
        grant_type: "refresh_token",
        client_id: WEB_UI_CLIENT_ID,
        refresh_token: res.body.refresh_token,
        scope: `${resource}/.default offline_access`,
      });
      assert.equal(refreshed.status, 200);
      assert.equal(claims(refreshed.body.access_token).aud, resource);
    }
    const again = await redeem(code, verifier);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, "invalid_grant");
    assert.deepEqual(again.body.error_codes, [54005]);
  });

  it("refuses a code without its verifier, with another's, for another client or redirect URI", async () => {
    const { code, verifier } = await uiCode();
    const cases: [string | undefined, Record<string, string>, number][] = [
      [undefined, {}, 501481],
      [pkce().verifier, {}, 501481],
      [verifier, { client_id: AZ_CLIENT_ID }, 70000],
      [verifier, { redirect_uri: "http://localhost:8400" }, 70000],
      [verifier, { code: `${code.slice(0, -4)}AAAA` }, 70000],
    ];
    for (const [v, extra, aadsts] of cases) {
      const res = await redeem(code, v, extra);
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.body.error, "invalid_grant");
      assert.deepEqual(res.body.error_codes, [aadsts], JSON.stringify(res.body));
    }
    // None of those used the code up.
    assert.equal((await redeem(code, verifier)).status, 200);
  });

  it("shows an error page, never a redirect, for an unregistered redirect URI or an unknown client", async () => {
    const sp = await kluis.createServicePrincipal("confidential-app");
    const cases: [Record<string, string>, RegExp][] = [
      [{ redirect_uri: "https://evil.example/ui/" }, /AADSTS50011/],
      [{ redirect_uri: `https://localhost:${kluis.info.port}/ui/other` }, /AADSTS50011/],
      [{ redirect_uri: "https://localhost:1/ui/" }, /AADSTS50011/],
      [{ client_id: AZ_CLIENT_ID, redirect_uri: "https://localhost:8400" }, /AADSTS50011/],
      [{ client_id: AZ_CLIENT_ID, redirect_uri: "http://evil.example:8400" }, /AADSTS50011/],
      [{ client_id: sp.appId }, /AADSTS700016/],
      [{ client_id: "not-a-guid" }, /AADSTS700016/],
    ];
    for (const [extra, message] of cases) {
      const res = await rawRequest(kluis, "localhost", "GET", authorizePath(uiRequest(extra)));
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.headers.location, undefined);
      assert.match(String(res.body), message);
      assert.match(String(res.headers["content-security-policy"]), /default-src 'none'/);
    }
    // az's loopback listener on any port is a registered redirect URI, on v1's path too.
    for (const v2 of [true, false]) {
      const ok = await rawRequest(
        kluis,
        "localhost",
        "GET",
        authorizePath(uiRequest({ client_id: AZ_CLIENT_ID, redirect_uri: "http://localhost:51234" }), v2),
      );
      assert.equal(ok.status, 200);
      assert.match(String(ok.headers["content-security-policy"]), /form-action 'self' http:\/\/localhost:51234;/);
    }
  });

  it("sends request errors back to the redirect URI as Entra does: plain PKCE, no challenge, prompt=none", async () => {
    const cases: [Record<string, string>, string, number][] = [
      [{ code_challenge_method: "plain" }, "invalid_request", 501491],
      [{ code_challenge: "" }, "invalid_request", 501491],
      [{ response_type: "token" }, "unsupported_response_type", 700054],
      [{ scope: "https://unknown.example/.default" }, "invalid_resource", 500011],
      [{ prompt: "none" }, "login_required", 50058],
    ];
    for (const [extra, error, aadsts] of cases) {
      const params = redirectParams(await rawRequest(kluis, "localhost", "GET", authorizePath(uiRequest(extra))));
      assert.equal(params.get("error"), error, JSON.stringify(extra));
      assert.match(params.get("error_description")!, new RegExp(`^AADSTS${aadsts}: `));
      assert.equal(params.get("state"), "the-state");
    }
    const request = uiRequest();
    delete (request as Partial<typeof request>).code_challenge;
    const missing = redirectParams(await rawRequest(kluis, "localhost", "GET", authorizePath(request)));
    assert.match(missing.get("error_description")!, /^AADSTS9002325: /);
  });

  it("refuses a code whose user's password was reset, or who was disabled, after the sign-in", async () => {
    const carol = await rawRequest(kluis, "graph.microsoft.com", "GET", `/v1.0/users/${CAROL.upn}`, {
      token: adminToken,
    });
    const patch = (body: unknown) =>
      rawRequest(kluis, "graph.microsoft.com", "PATCH", `/v1.0/users/${carol.body.id}`, {
        token: adminToken,
        body: JSON.stringify(body),
      });
    const disabledSince = await uiCode();
    assert.equal((await patch({ accountEnabled: false })).status, 204);
    const refused = await redeem(disabledSince.code, disabledSince.verifier);
    assert.deepEqual(refused.body.error_codes, [50057]);
    assert.equal((await patch({ accountEnabled: true })).status, 204);
    const resetSince = await uiCode();
    const next = "Carol-n3w-pa55word";
    assert.equal((await patch({ passwordProfile: { password: next } })).status, 204);
    const revoked = await redeem(resetSince.code, resetSince.verifier);
    assert.deepEqual(revoked.body.error_codes, [50173]);
    assert.equal((await patch({ passwordProfile: { password: CAROL.password } })).status, 204);
  });

  it("keeps the person on the page for a wrong password, a disabled user or a forged form", async () => {
    const path = authorizePath(uiRequest());
    const wrong = await signInOnPage(path, CAROL.upn, "not-her-password");
    assert.equal(wrong.status, 400);
    assert.match(String(wrong.body), /AADSTS50126/);
    const disabled = await signInOnPage(path, ERIN.upn, ERIN.password);
    assert.equal(disabled.status, 400);
    assert.match(String(disabled.body), /AADSTS50057/);
    const page = await rawRequest(kluis, "localhost", "GET", path);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body as string)![1]!;
    const forged = await rawRequest(kluis, "localhost", "POST", path, {
      body: new URLSearchParams({ csrf, username: CAROL.upn, password: CAROL.password }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" }, // no cookie: another site's post
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.location, undefined);
  });

  it("answers form_post with a page that posts the code to the redirect URI", async () => {
    const res = await signInOnPage(authorizePath(uiRequest({ response_mode: "form_post" })), CAROL.upn, CAROL.password);
    assert.equal(res.status, 200);
    assert.match(String(res.body), new RegExp(`<form method="post" action="${webUiRedirect()}">`));
    assert.match(String(res.body), /name="code" value="[A-Za-z0-9_-]+"/);
    assert.match(String(res.headers["content-security-policy"]), /script-src 'sha256-[A-Za-z0-9+/=]+'/);
  });
});
