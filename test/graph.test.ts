// Issue 10, part 5: the part of Microsoft Graph that az uses, over raw HTTPS: tokens with Graph's audience (and, for a
// registered cloud, the server's own origin), Graph's error shape, who may do what, $filter, and passwords.
import type { AdminCredential } from "../src/server/data-dir.js";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchToken, rawRequest, type RawResponse } from "./helpers/http.js";
import { Kluis, type ServicePrincipal } from "./helpers/kluis.js";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

function assertGraphError(res: RawResponse, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, "string");
  const inner = res.body.error.innerError;
  assert.match(inner.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.match(inner["request-id"], /^[0-9a-f-]{36}$/);
  assert.equal(typeof inner["client-request-id"], "string");
}

describe("Microsoft Graph (v1.0)", () => {
  let kluis: Kluis;
  let admin: AdminCredential;
  let adminToken: string;
  let other: ServicePrincipal & { objectId: string };
  let otherToken: string;

  const token = async (sp: Pick<ServicePrincipal, "appId" | "password">, scope = GRAPH_SCOPE) => {
    const res = await fetchToken(kluis, sp, scope);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access_token as string;
  };
  /** A Graph request as az sends it through the proxy (host graph.microsoft.com). */
  const graph = (method: string, path: string, tok?: string, body?: unknown, headers?: Record<string, string>) =>
    rawRequest(kluis, "graph.microsoft.com", method, `/v1.0${path}`, {
      token: tok,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers,
    });

  before(async () => {
    kluis = await Kluis.start();
    admin = kluis.adminCredential();
    adminToken = await token(admin);
    const sp = await kluis.createServicePrincipal("graph-other");
    other = { ...sp, objectId: (await kluis.cliJson<{ id: string }>(["ad", "sp", "show", "--id", sp.appId])).id };
    otherToken = await token(other);
  });
  after(() => kluis.dispose());

  it("issues tokens for Graph's audience, which no other API accepts, and for the server's own origin", async () => {
    for (const scope of [GRAPH_SCOPE, "https://graph.microsoft.com//.default"]) {
      const payload = JSON.parse(Buffer.from((await token(admin, scope)).split(".")[1]!, "base64url").toString());
      assert.equal(payload.aud, "https://graph.microsoft.com");
    }
    // A Graph token opens no vault, and a vault token is no Graph token.
    const vault = await rawRequest(kluis, "localhost", "GET", "/subscriptions?api-version=2022-01-01", {
      token: adminToken,
    });
    assert.equal(vault.status, 401);
    assertGraphError(
      await graph("GET", "/servicePrincipals", await token(admin, "https://vault.azure.net/.default")),
      401,
      "InvalidAuthenticationToken",
    );
    // A registered cloud names the server's own URL as Graph's (and ARM's) resource: the path decides which API.
    const origin = `https://localhost:${kluis.info.port}`;
    const own = await token(admin, `${origin}//.default`);
    assert.equal(JSON.parse(Buffer.from(own.split(".")[1]!, "base64url").toString()).aud, origin);
    const listed = await rawRequest(kluis, "localhost", "GET", "/v1.0/servicePrincipals", { token: own });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const arm = await rawRequest(kluis, "localhost", "GET", "/subscriptions?api-version=2022-01-01", { token: own });
    assert.equal(arm.status, 200, JSON.stringify(arm.body));
    // That origin's token is not good at another host name of the server.
    assertGraphError(await graph("GET", "/servicePrincipals", own), 401, "InvalidAuthenticationToken");
    // Only the server's own names are such an origin, not a vault's: the token endpoint reached as a vault's host
    // issues no token for that host.
    const vaultHost = `v1.localhost:${kluis.info.port}`;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: admin.appId,
      client_secret: admin.password,
      scope: `https://${vaultHost}/.default`,
    });
    const refused = await rawRequest(kluis, "v1.localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
      body: form.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, "invalid_resource");
  });

  it("answers a missing or malformed token with 401 in Graph's shape", async () => {
    const missing = await graph("GET", "/servicePrincipals", undefined, undefined, { "client-request-id": "abc-123" });
    assertGraphError(missing, 401, "InvalidAuthenticationToken");
    assert.equal(missing.body.error.innerError["client-request-id"], "abc-123");
    assert.match(String(missing.headers["www-authenticate"]), /^Bearer /);
    assertGraphError(await graph("GET", "/me", "not.a.token"), 401, "InvalidAuthenticationToken");
  });

  it("refuses a principal that is not an administrator everything but reading itself", async () => {
    assertGraphError(await graph("GET", "/servicePrincipals", otherToken), 403, "Authorization_RequestDenied");
    assertGraphError(await graph("GET", "/applications", otherToken), 403, "Authorization_RequestDenied");
    assertGraphError(
      await graph("POST", "/applications", otherToken, { displayName: "sneaky" }),
      403,
      "Authorization_RequestDenied",
    );
    assertGraphError(
      await graph("POST", `/servicePrincipals/${other.objectId}/addPassword`, otherToken, {}),
      403,
      "Authorization_RequestDenied",
    );
    assertGraphError(
      await graph("DELETE", `/servicePrincipals/${other.objectId}`, otherToken),
      403,
      "Authorization_RequestDenied",
    );
    const adminSp = (
      await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${admin.appId}'`)}`, adminToken)
    ).body.value[0];
    assertGraphError(
      await graph("GET", `/servicePrincipals/${adminSp.id}`, otherToken),
      403,
      "Authorization_RequestDenied",
    );
    const self = await graph("GET", `/servicePrincipals/${other.objectId}`, otherToken);
    assert.equal(self.status, 200);
    assert.equal(self.body.appId, other.appId);
    assert.deepEqual(self.body.servicePrincipalNames, [other.appId]);
    const app = (
      await graph("GET", `/applications?$filter=${encodeURIComponent(`appId eq '${other.appId}'`)}`, adminToken)
    ).body.value[0];
    assert.equal((await graph("GET", `/applications/${app.id}`, otherToken)).body.appId, other.appId);
  });

  it("answers /me for an application token with 400 BadRequest, as Graph does (az falls back on it)", async () => {
    const me = await graph("GET", "/me", adminToken);
    assertGraphError(me, 400, "BadRequest");
    assert.equal(me.body.error.message, "/me request is only valid with delegated authentication flow.");
  });

  it("patches an application with its own display name (create-for-rbac run again), and refuses what Kluis does not keep", async () => {
    const app = (
      await graph("GET", `/applications?$filter=${encodeURIComponent(`appId eq '${other.appId}'`)}`, adminToken)
    ).body.value[0];
    assert.equal(
      (await graph("PATCH", `/applications/${app.id}`, adminToken, { displayName: "graph-other" })).status,
      204,
    );
    assertGraphError(
      await graph("PATCH", `/applications/${app.id}`, adminToken, { displayName: "renamed" }),
      400,
      "Request_BadRequest",
    );
    assertGraphError(
      await graph("PATCH", `/applications/${app.id}`, adminToken, { identifierUris: ["api://x"] }),
      400,
      "Request_BadRequest",
    );
    assertGraphError(
      await graph("PATCH", `/applications/${app.id}`, otherToken, { displayName: "graph-other" }),
      403,
      "Authorization_RequestDenied",
    );
  });

  it("creates an application, its password and its service principal as az ad sp create-for-rbac does", async () => {
    const created = await graph("POST", "/applications", adminToken, { displayName: "O'Brien app" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const app = created.body;
    assert.match(app.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(app.id, app.appId);
    assert.equal(app.passwordCredentials.length, 1);
    // Until addPassword, nobody knows its secret.
    const added = await graph("POST", `/applications/${app.id}/addPassword`, adminToken, {
      passwordCredential: { displayName: "rbac" },
    });
    assert.equal(added.status, 200);
    assert.equal(added.body.displayName, "rbac");
    assert.equal(typeof added.body.secretText, "string");
    const sp = await graph("POST", "/servicePrincipals", adminToken, { appId: app.appId, accountEnabled: true });
    assert.equal(sp.status, 201);
    assert.equal(sp.body.appId, app.appId);
    const appToken = await token({ appId: app.appId, password: added.body.secretText });
    assert.equal((await graph("GET", `/servicePrincipals/${sp.body.id}`, appToken)).status, 200);

    // The same object by id, by appId, by display name (a quote doubled), by service principal name.
    assert.equal((await graph("GET", `/applications/${app.id}`, adminToken)).body.appId, app.appId);
    for (const filter of [
      `appId eq '${app.appId}'`,
      "displayName eq 'O''Brien app'",
      "startswith(displayName,'o''bri')",
      `servicePrincipalNames/any(c:c eq '${app.appId}')`,
      `startswith(displayName,'O') and appId eq '${app.appId}'`,
    ]) {
      const res = await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent(filter)}`, adminToken);
      assert.deepEqual(
        res.body.value.map((x: { id: string }) => x.id),
        [sp.body.id],
        filter,
      );
    }
    const apps = await graph(
      "GET",
      `/applications?$filter=${encodeURIComponent(`appId eq '${app.appId}'`)}`,
      adminToken,
    );
    assert.deepEqual(
      apps.body.value.map((x: { id: string }) => x.id),
      [app.id],
    );
    assert.deepEqual(
      (await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent("appId eq 'nobody'")}`, adminToken)).body
        .value,
      [],
    );

    // removePassword of the current key: the secret stops working, and so does the token issued under it.
    const keyId = (await graph("GET", `/applications/${app.id}`, adminToken)).body.passwordCredentials[0].keyId;
    assert.equal((await graph("POST", `/applications/${app.id}/removePassword`, adminToken, { keyId })).status, 204);
    assert.equal(
      (await fetchToken(kluis, { appId: app.appId, password: added.body.secretText }, GRAPH_SCOPE)).status,
      401,
    );
    assertGraphError(
      await graph("GET", `/servicePrincipals/${sp.body.id}`, appToken),
      401,
      "InvalidAuthenticationToken",
    );
    assertGraphError(
      await graph("POST", `/applications/${app.id}/removePassword`, adminToken, { keyId }),
      404,
      "Request_ResourceNotFound",
    );

    // Deleting the application deletes its one principal.
    assert.equal((await graph("DELETE", `/applications/${app.id}`, adminToken)).status, 204);
    assertGraphError(
      await graph("GET", `/servicePrincipals/${sp.body.id}`, adminToken),
      404,
      "Request_ResourceNotFound",
    );
    assertGraphError(await graph("GET", `/applications/${app.id}`, adminToken), 404, "Request_ResourceNotFound");
  });

  it("refuses malformed requests in Graph's shape, never a 5xx", async () => {
    assertGraphError(
      await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent("accountEnabled eq true")}`, adminToken),
      400,
      "Request_UnsupportedQuery",
    );
    assertGraphError(
      await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent("appId eq 'unterminated")}`, adminToken),
      400,
      "Request_UnsupportedQuery",
    );
    assertGraphError(
      await graph("GET", `/servicePrincipals?$filter=${"x".repeat(5000)}`, adminToken),
      400,
      "Request_UnsupportedQuery",
    );
    assertGraphError(
      await graph("GET", "/servicePrincipals?$filter=a&$filter=b", adminToken),
      400,
      "Request_BadRequest",
    );
    assertGraphError(
      await graph("GET", "/servicePrincipals/00000000-0000-0000-0000-000000000000", adminToken),
      404,
      "Request_ResourceNotFound",
    );
    assertGraphError(
      await graph("POST", "/servicePrincipals", adminToken, { appId: "00000000-0000-0000-0000-000000000000" }),
      400,
      "Request_BadRequest",
    );
    assertGraphError(await graph("POST", "/applications", adminToken, { displayName: 42 }), 400, "Request_BadRequest");
    assertGraphError(
      await graph("POST", "/applications", adminToken, { displayName: "x".repeat(257) }),
      400,
      "Request_BadRequest",
    );
    const badJson = await rawRequest(kluis, "graph.microsoft.com", "POST", "/v1.0/applications", {
      token: adminToken,
      body: "{not json",
    });
    assertGraphError(badJson, 400, "Request_BadRequest");
    assertGraphError(
      await graph("POST", `/servicePrincipals/${other.objectId}/removePassword`, adminToken, { keyId: 7 }),
      400,
      "Request_BadRequest",
    );
    assertGraphError(await graph("GET", "/groups", adminToken), 400, "BadRequest");
  });
});
