// Issue 10, part 3 and the user half of part 5: people sign in to Kluis as with Entra. The real az (pinned from PyPI)
// signs in as the administrator user with `az login -u admin -p`, makes a user with `az ad user create`, which signs
// in with `az login --use-device-code` (this test reads the code az prints and fills in Kluis's sign-in page over
// HTTPS), and both reach ARM, Graph and the data plane. Direct HTTP requests check what az never sends: wrong
// passwords and codes, tokens of one kind used as another, the sign-in page's CSRF and headers, and revocation.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fetchToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { azShell, requireAz, type AzShell } from "./helpers/az.js";
import { Kluis } from "./helpers/kluis.js";
const AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const ALICE = { upn: "alice@kluis.local", password: "Alice-pa55word" };

interface AdminFile {
  appId: string;
  password: string;
  tenant: string;
  objectId: string;
  user: { userPrincipalName: string; password: string; objectId: string };
}

describe("people sign in (users, az login)", () => {
  let kluis: Kluis;
  let admin: AdminFile;
  let aliceId: string;
  const configDirs: string[] = [];

  before(async () => {
    requireAz();
    kluis = await Kluis.start();
    admin = kluis.adminCredential() as AdminFile;
  });
  after(async () => {
    await kluis.dispose();
    for (const d of configDirs) rmSync(d, { recursive: true, force: true });
  });

  const newShell = () => azShell(kluis, true, configDirs);

  const tenantPath = (path: string) => `/${kluis.info.tenantId}/oauth2/v2.0/${path}`;
  const form = (path: string, fields: Record<string, string>, localAddress?: string) =>
    rawRequest(kluis, "localhost", "POST", path, {
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      localAddress,
    });
  const passwordGrant = (
    username: string,
    password: string,
    scope = "https://vault.azure.net/.default offline_access openid profile",
    clientId = AZ_CLIENT_ID,
  ) =>
    form(tenantPath("token"), {
      grant_type: "password",
      client_id: clientId,
      username,
      password,
      scope,
      client_info: "1",
    });
  const refreshGrant = (
    refreshToken: string,
    scope = "https://graph.microsoft.com/.default offline_access openid profile",
  ) =>
    form(tenantPath("token"), {
      grant_type: "refresh_token",
      client_id: AZ_CLIENT_ID,
      refresh_token: refreshToken,
      scope,
      client_info: "1",
    });
  const secretOf = (token: string, vault: string, name: string) =>
    rawRequest(kluis, `${vault}.localhost`, "GET", `/secrets/${name}?api-version=7.5`, { token });

  describe("through az", () => {
    const adminShell = () => shells.admin!;
    const shells: { admin?: AzShell; alice?: AzShell } = {};
    before(() => {
      shells.admin = newShell();
      shells.alice = newShell();
    });

    it("signs in as the administrator with az login -u admin -p, and sees the subscription", async () => {
      assert.equal(admin.user.userPrincipalName, "admin@kluis.local");
      const accounts = await adminShell().azJson<{ tenantId: string; user: { name: string; type: string } }[]>(
        "login",
        "-u",
        "admin",
        "-p",
        admin.user.password,
      );
      assert.equal(accounts.length, 1);
      assert.equal(accounts[0]!.tenantId, admin.tenant);
      assert.deepEqual(accounts[0]!.user, { name: "admin@kluis.local", type: "user" });
      const me = await adminShell().azJson("ad", "signed-in-user", "show");
      assert.equal(me.id, admin.user.objectId);
      assert.equal(me.userPrincipalName, "admin@kluis.local");
    });

    it("refuses a wrong password as Entra words it", async () => {
      const res = await newShell().az(["login", "-u", "admin", "-p", "not-the-password"]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /AADSTS50126: Error validating credentials due to invalid username or password/);
    });

    it("creates, shows and lists a user with az ad user", async () => {
      const created = await adminShell().azJson(
        "ad",
        "user",
        "create",
        "--display-name",
        "Alice",
        "--password",
        ALICE.password,
        "--user-principal-name",
        ALICE.upn,
      );
      assert.equal(created.userPrincipalName, ALICE.upn);
      assert.equal(created.displayName, "Alice");
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      aliceId = created.id;
      assert.equal((await adminShell().azJson("ad", "user", "show", "--id", ALICE.upn)).id, aliceId);
      assert.deepEqual(
        (await adminShell().azJson<{ id: string }[]>("ad", "user", "list", "--upn", ALICE.upn)).map((u) => u.id),
        [aliceId],
      );
      assert.deepEqual(
        (await adminShell().azJson<{ id: string }[]>("ad", "user", "list", "--display-name", "Ali")).map((u) => u.id),
        [aliceId],
      );
      const again = await adminShell().az([
        "ad",
        "user",
        "create",
        "--display-name",
        "Alice",
        "--password",
        ALICE.password,
        "--user-principal-name",
        ALICE.upn,
      ]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /already exists/);
    });

    it("creates a vault as the signed-in user (it grants itself) and sets a policy by --upn", async () => {
      assert.equal((await adminShell().azJson("group", "create", "-n", "rgusers", "-l", "westeurope")).name, "rgusers");
      const v = await adminShell().azJson(
        "keyvault",
        "create",
        "-n",
        "usersvault",
        "-g",
        "rgusers",
        "--enable-rbac-authorization",
        "false",
      );
      assert.deepEqual(
        v.properties.accessPolicies.map((p: { objectId: string }) => p.objectId),
        [admin.user.objectId],
      );
      const set = await adminShell().azJson(
        "keyvault",
        "set-policy",
        "-n",
        "usersvault",
        "--upn",
        ALICE.upn,
        "--secret-permissions",
        "get",
        "list",
      );
      const entry = set.properties.accessPolicies.find((p: { objectId: string }) => p.objectId === aliceId);
      assert.deepEqual([...entry.permissions.secrets].sort(), ["get", "list"]);
      // The administrator user reaches the data plane with its own token.
      assert.equal(
        (
          await adminShell().azJson(
            "keyvault",
            "secret",
            "set",
            "--vault-name",
            "usersvault",
            "-n",
            "shared",
            "--value",
            "for-alice",
          )
        ).value,
        "for-alice",
      );
    });

    it("signs the user in with az login --use-device-code, the page filled in over HTTPS", async () => {
      let answered: Promise<void> | undefined;
      const res = await shells.alice!.az(["login", "--use-device-code", "--allow-no-subscriptions", "-o", "json"], {
        onStderr: (soFar) => {
          const m = /open the page (https:\/\/\S+) and enter the code (\w+) to authenticate/.exec(soFar);
          if (m && !answered) answered = signInOnPage(new URL(m[1]!), m[2]!);
        },
      });
      assert.ok(answered, `az printed no code: ${res.stderr}`);
      await answered;
      assert.equal(res.code, 0, res.stderr);
      const me = await shells.alice!.azJson("ad", "signed-in-user", "show");
      assert.equal(me.id, aliceId);
      // Its own data-plane call, with the permissions set by --upn.
      const shown = await shells.alice!.azJson(
        "keyvault",
        "secret",
        "show",
        "--id",
        "https://usersvault.vault.azure.net/secrets/shared",
      );
      assert.equal(shown.value, "for-alice");
    });

    /** What a person does in a browser: open the page, enter a wrong password (refused), then the right one. */
    async function signInOnPage(url: URL, code: string): Promise<void> {
      assert.equal(url.pathname, "/devicelogin");
      const post = async (page: RawResponse, fields: Record<string, string>) => {
        const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.body as string)![1]!;
        return rawRequest(kluis, url.hostname, "POST", "/devicelogin", {
          body: new URLSearchParams({ csrf, otc: code, ...fields }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: url.origin },
        });
      };
      const page = await rawRequest(kluis, url.hostname, "GET", "/devicelogin");
      assert.equal(page.status, 200);
      const wrong = await post(page, { username: ALICE.upn, password: "Wrong-pa55word" });
      assert.equal(wrong.status, 400);
      assert.match(wrong.body, /AADSTS50126: Error validating credentials due to invalid username or password/);
      const right = await post(wrong, { username: ALICE.upn, password: ALICE.password });
      assert.equal(right.status, 200, right.body);
      assert.match(right.body, /You have signed in to Kluis as alice@kluis\.local/);
      const reused = await post(
        right.headers["set-cookie"] ? right : await rawRequest(kluis, url.hostname, "GET", "/devicelogin"),
        { username: ALICE.upn, password: ALICE.password },
      );
      assert.equal(reused.status, 400, "a code is good once");
    }

    it("deletes the user: its tokens stop working, its refresh token is refused, az ad user show finds nothing", async () => {
      const signedIn = await passwordGrant(ALICE.upn, ALICE.password);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal((await secretOf(signedIn.body.access_token, "usersvault", "shared")).status, 200);
      const deleted = await adminShell().az(["ad", "user", "delete", "--id", ALICE.upn]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal((await secretOf(signedIn.body.access_token, "usersvault", "shared")).status, 401);
      const refreshed = await refreshGrant(signedIn.body.refresh_token);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, "invalid_grant");
      const again = await shells.alice!.az([
        "keyvault",
        "secret",
        "show",
        "--vault-name",
        "usersvault",
        "-n",
        "shared",
      ]);
      assert.notEqual(again.code, 0);
      const gone = await adminShell().az(["ad", "user", "show", "--id", ALICE.upn]);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /does not exist/);
    });
  });

  describe("az ad user update", () => {
    const DAVE = { upn: "dave@kluis.local", password: "Dave-pa55word", next: "Dave-n3w-pa55word" };
    const graphScope = "https://graph.microsoft.com/.default offline_access openid profile";
    const me = (token: string) => rawRequest(kluis, "graph.microsoft.com", "GET", "/v1.0/me", { token });
    const patch = (token: string, id: string, body: unknown) =>
      rawRequest(kluis, "graph.microsoft.com", "PATCH", `/v1.0/users/${id}`, {
        token,
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
    let shell: AzShell;
    before(async () => {
      shell = newShell();
      await shell.azJson("login", "-u", "admin", "-p", admin.user.password);
      await shell.azJson(
        "ad",
        "user",
        "create",
        "--display-name",
        "Dave",
        "--password",
        DAVE.password,
        "--user-principal-name",
        DAVE.upn,
      );
    });

    it("resets the password: the old one, the user's tokens and refresh tokens stop working", async () => {
      const before = await passwordGrant(DAVE.upn, DAVE.password, graphScope);
      assert.equal(before.status, 200, JSON.stringify(before.body));
      assert.equal((await me(before.body.access_token)).status, 200);
      const reset = await shell.az([
        "ad",
        "user",
        "update",
        "--id",
        DAVE.upn,
        "--password",
        DAVE.next,
        "--force-change-password-next-sign-in",
        "false",
      ]);
      assert.equal(reset.code, 0, reset.stderr);
      assert.equal((await me(before.body.access_token)).status, 401);
      const refreshed = await refreshGrant(before.body.refresh_token);
      assert.equal(refreshed.body.error, "invalid_grant");
      assert.match(refreshed.body.error_description, /^AADSTS50173:/);
      assert.match((await passwordGrant(DAVE.upn, DAVE.password)).body.error_description, /^AADSTS50126:/);
      assert.equal((await passwordGrant(DAVE.upn, DAVE.next)).status, 200);
    });

    it("disables the account: sign-in is refused with AADSTS50057, and so are its tokens; enabling it again lets it in", async () => {
      const before = await passwordGrant(DAVE.upn, DAVE.next, graphScope);
      assert.equal(before.status, 200, JSON.stringify(before.body));
      const disable = await shell.az(["ad", "user", "update", "--id", DAVE.upn, "--account-enabled", "false"]);
      assert.equal(disable.code, 0, disable.stderr);
      assert.equal((await me(before.body.access_token)).status, 401);
      for (const refused of [await passwordGrant(DAVE.upn, DAVE.next), await refreshGrant(before.body.refresh_token)]) {
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error_description.split("\n")[0], "AADSTS50057: The user account is disabled.");
      }
      // A wrong password says nothing about the account's state.
      assert.match((await passwordGrant(DAVE.upn, "Wrong-pa55word")).body.error_description, /^AADSTS50126:/);
      assert.equal((await shell.az(["ad", "user", "update", "--id", DAVE.upn, "--account-enabled", "true"])).code, 0);
      assert.equal((await passwordGrant(DAVE.upn, DAVE.next)).status, 200);
    });

    it("renames; refuses what Kluis cannot do, users that do not exist, and callers that are not administrators, in Graph's shape", async () => {
      assert.equal((await shell.az(["ad", "user", "update", "--id", DAVE.upn, "--display-name", "David"])).code, 0);
      assert.equal((await shell.azJson("ad", "user", "show", "--id", DAVE.upn)).displayName, "David");
      const force = await shell.az([
        "ad",
        "user",
        "update",
        "--id",
        DAVE.upn,
        "--password",
        "Dave-0ther-pa55word",
        "--force-change-password-next-sign-in",
        "true",
      ]);
      assert.notEqual(force.code, 0);
      assert.match(force.stderr, /Kluis cannot make a user change their password at the next sign-in/);
      assert.equal((await passwordGrant(DAVE.upn, DAVE.next)).status, 200, "a refused update changes nothing");
      const missing = await shell.az(["ad", "user", "update", "--id", "nobody@kluis.local", "--display-name", "X"]);
      assert.match(missing.stderr, /Resource 'nobody@kluis.local' does not exist/);

      const adminToken = (await passwordGrant("admin", admin.user.password, graphScope)).body.access_token as string;
      for (const [body, message] of [
        [
          { userPrincipalName: "david@kluis.local" },
          /^Kluis does not keep the property 'userPrincipalName' of a user\.$/,
        ],
        [{ accountEnabled: "no" }, /^Invalid value specified for property 'accountEnabled' of resource 'User'\.$/],
        [{ passwordProfile: { password: "short" } }, /password complexity/],
        [{ passwordProfile: "x" }, /^Invalid value specified for property 'passwordProfile'/],
      ] as const) {
        const res = await patch(adminToken, DAVE.upn, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, "Request_BadRequest");
        assert.match(res.body.error.message, message);
      }
      const daveToken = (await passwordGrant(DAVE.upn, DAVE.next, graphScope)).body.access_token as string;
      const self = await patch(daveToken, DAVE.upn, { displayName: "Dave the admin" });
      assert.equal(self.status, 403);
      assert.equal(self.body.error.code, "Authorization_RequestDenied");
      assert.equal((await shell.azJson("ad", "user", "show", "--id", DAVE.upn)).displayName, "David");
    });
  });

  describe("the token endpoint, the sign-in page and Graph, directly", () => {
    it("answers MSAL's user realm discovery and names the device code endpoint", async () => {
      const realm = await rawRequest(kluis, "localhost", "GET", "/common/userrealm/admin@kluis.local?api-version=1.0");
      assert.equal(realm.body.account_type, "Managed");
      const config = await rawRequest(
        kluis,
        "localhost",
        "GET",
        "/organizations/v2.0/.well-known/openid-configuration",
      );
      assert.equal(
        config.body.device_authorization_endpoint,
        `https://localhost:${kluis.info.port}/organizations/oauth2/v2.0/devicecode`,
      );
    });

    it("issues user tokens with the claims MSAL and the APIs read, and refreshes them for another resource", async () => {
      const res = await passwordGrant("admin", admin.user.password);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const claims = decode(res.body.access_token);
      assert.equal(claims.oid, admin.user.objectId);
      assert.equal(claims.upn, "admin@kluis.local");
      assert.equal(claims.unique_name, "admin@kluis.local");
      assert.equal(claims.idtyp, "user");
      assert.equal(claims.appid, AZ_CLIENT_ID);
      assert.equal(claims.scp, "user_impersonation");
      assert.equal(claims.tid, admin.tenant);
      assert.equal(claims.aud, "https://vault.azure.net");
      assert.deepEqual(JSON.parse(Buffer.from(res.body.client_info, "base64url").toString()), {
        uid: admin.user.objectId,
        utid: admin.tenant,
      });
      assert.equal(decode(res.body.id_token).preferred_username, "admin@kluis.local");
      const graph = await refreshGrant(res.body.refresh_token);
      assert.equal(graph.status, 200, JSON.stringify(graph.body));
      assert.equal(decode(graph.body.access_token).aud, "https://graph.microsoft.com");
      const me = await rawRequest(kluis, "graph.microsoft.com", "GET", "/v1.0/me", { token: graph.body.access_token });
      assert.equal(me.body.id, admin.user.objectId);
      // A refresh token, an id_token are no access tokens; an access token is no refresh token.
      assert.equal(
        (await rawRequest(kluis, "graph.microsoft.com", "GET", "/v1.0/me", { token: res.body.refresh_token })).status,
        401,
      );
      assert.equal(
        (await rawRequest(kluis, "graph.microsoft.com", "GET", "/v1.0/me", { token: res.body.id_token })).status,
        401,
      );
      const notRefresh = await refreshGrant(graph.body.access_token);
      assert.equal(notRefresh.status, 400);
      assert.equal(notRefresh.body.error, "invalid_grant");
    });

    it("refuses wrong passwords and unknown users alike, and an application's client id for a user", async () => {
      for (const [user, password] of [
        ["admin", "Wrong-pa55word"],
        ["nobody@kluis.local", "Wrong-pa55word"],
      ] as const) {
        const res = await passwordGrant(user, password);
        assert.equal(res.status, 400);
        assert.equal(res.body.error, "invalid_grant");
        assert.match(
          res.body.error_description,
          /^AADSTS50126: Error validating credentials due to invalid username or password\./,
        );
      }
      const confidential = await passwordGrant("admin", admin.user.password, undefined, admin.appId);
      assert.equal(confidential.status, 401);
      assert.equal(confidential.body.error, "invalid_client");
    });

    it("answers device code polling as Entra does", async () => {
      const started = await form(tenantPath("devicecode"), {
        client_id: AZ_CLIENT_ID,
        scope: "https://management.core.windows.net//.default offline_access openid profile",
      });
      assert.equal(started.status, 200);
      assert.match(started.body.user_code, /^[A-Z2-9]{9}$/);
      assert.equal(started.body.expires_in, 900);
      assert.equal(
        started.body.message,
        `To sign in, use a web browser to open the page ${started.body.verification_uri} and enter the code ${started.body.user_code} to authenticate.`,
      );
      const poll = (deviceCode: string) =>
        form(tenantPath("token"), {
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          client_id: AZ_CLIENT_ID,
          device_code: deviceCode,
        });
      const pending = await poll(started.body.device_code);
      assert.equal(pending.status, 400);
      assert.equal(pending.body.error, "authorization_pending");
      assert.match(pending.body.error_description, /^AADSTS70016:/);
      const unknown = await poll("not-a-device-code");
      assert.equal(unknown.body.error, "invalid_grant");
    });

    it("bounds the device codes pending from one address", async () => {
      const start = (localAddress: string) =>
        form(
          tenantPath("devicecode"),
          { client_id: AZ_CLIENT_ID, scope: "https://vault.azure.net/.default" },
          localAddress,
        );
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await start("127.0.0.3")).status);
      assert.deepEqual(statuses, [...Array(20).fill(200), 429]);
      const other = await start("127.0.0.4");
      assert.equal(other.status, 200, "another address still starts one");
    });

    it("serves the sign-in page without script, framing or a form another site can post", async () => {
      const page = await rawRequest(kluis, "localhost", "GET", "/devicelogin");
      assert.equal(page.status, 200);
      assert.match(
        String(page.headers["content-security-policy"]),
        /default-src 'none'.*form-action 'self'.*frame-ancestors 'none'/,
      );
      assert.equal(page.headers["x-frame-options"], "DENY");
      assert.doesNotMatch(page.body, /<script|style=/i);
      assert.match(
        String(page.headers["set-cookie"]),
        /^__Host-kluis-csrf=[\w-]+; Path=\/; Secure; HttpOnly; SameSite=Strict/,
      );
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const body = new URLSearchParams({
        csrf,
        otc: "AAAAAAAAA",
        username: "admin",
        password: admin.user.password,
      }).toString();
      const headers = { "content-type": "application/x-www-form-urlencoded" };
      // Without the cookie (another site's form), or from another origin: refused before anything is checked.
      assert.equal((await rawRequest(kluis, "localhost", "POST", "/devicelogin", { body, headers })).status, 403);
      const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
      const foreign = await rawRequest(kluis, "localhost", "POST", "/devicelogin", {
        body,
        headers: { ...headers, cookie, origin: "https://evil.example" },
      });
      assert.equal(foreign.status, 403);
      const wrongCode = await rawRequest(kluis, "localhost", "POST", "/devicelogin", {
        body,
        headers: { ...headers, cookie },
      });
      assert.equal(wrongCode.status, 400);
      assert.match(wrongCode.body, /That code didn&#39;t work/);
      const huge = await rawRequest(kluis, "localhost", "POST", "/devicelogin", {
        body: `csrf=${"a".repeat(10_000)}`,
        headers: { ...headers, cookie },
      });
      assert.equal(huge.status, 413);
      assert.match(String(huge.headers["content-type"]), /^text\/html/);
    });

    it("lets only administrators create and delete users; an application has no /me", async () => {
      const sp = await kluis.createServicePrincipal("plain-app");
      const token = (await fetchToken(kluis, sp, "https://graph.microsoft.com/.default")).body.access_token as string;
      const me = await rawRequest(kluis, "graph.microsoft.com", "GET", "/v1.0/me", { token });
      assert.equal(me.status, 400);
      assert.equal(me.body.error.code, "BadRequest");
      const create = await rawRequest(kluis, "graph.microsoft.com", "POST", "/v1.0/users", {
        token,
        body: JSON.stringify({
          accountEnabled: true,
          displayName: "Bob",
          mailNickname: "bob",
          userPrincipalName: "bob@kluis.local",
          passwordProfile: { password: "Bob-pa55word" },
        }),
      });
      assert.equal(create.status, 403);
      assert.equal(create.body.error.code, "Authorization_RequestDenied");
    });

    it("kluis ad user create|list|show|delete, as az prints them", async () => {
      const kluisCli = (...args: string[]) => kluis.cli(args);
      const created = await kluisCli(
        "ad",
        "user",
        "create",
        "--display-name",
        "Carol",
        "--password",
        "Carol-pa55word",
        "--user-principal-name",
        "carol@kluis.local",
      );
      assert.equal(created.code, 0, created.stderr);
      const carol = JSON.parse(created.stdout);
      assert.equal(carol.userPrincipalName, "carol@kluis.local");
      const weak = await kluisCli(
        "ad",
        "user",
        "create",
        "--display-name",
        "Dan",
        "--password",
        "short",
        "--user-principal-name",
        "dan@kluis.local",
      );
      assert.notEqual(weak.code, 0);
      assert.match(weak.stderr, /password complexity/);
      const list = JSON.parse((await kluisCli("ad", "user", "list", "--upn", "carol@kluis.local")).stdout) as {
        id: string;
      }[];
      assert.deepEqual(
        list.map((u) => u.id),
        [carol.id],
      );
      assert.equal(
        JSON.parse((await kluisCli("ad", "user", "show", "--id", carol.id)).stdout).userPrincipalName,
        "carol@kluis.local",
      );
      assert.equal((await kluisCli("ad", "user", "delete", "--id", "carol@kluis.local")).code, 0);
      const gone = await kluisCli("ad", "user", "show", "--id", carol.id);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /does not exist/);
    });
  });
});

function decode(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as Record<string, any>;
}
