// What the event tests share: a vault's event subscription paths, a webhook subscription's body, and the server's
// test clock (`--test-clock`), shifted by an administrator.
import assert from "node:assert/strict";
import { fetchToken, rawRequest } from "./http.js";
import type { Kluis } from "./kluis.js";

/** The ARM path of a vault's event subscription (or of the list, without a name). */
export async function subscriptionPath(kluis: Kluis, vault: string, name = ""): Promise<string> {
  const sub = (await kluis.cliJson<{ id: string }>(["account", "show"])).id;
  return `/subscriptions/${sub}/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/${vault}/providers/Microsoft.EventGrid/eventSubscriptions${name ? `/${name}` : ""}`;
}

/** An ARM PUT body of a webhook subscription to `endpointUrl`, with more `properties`. */
export const webhook = (endpointUrl: string, properties: Record<string, unknown> = {}) => ({
  properties: { destination: { endpointType: "WebHook", properties: { endpointUrl } }, ...properties },
});

/** Shifts the server's clock of scheduled work to `offsetSeconds` from now; answers once what came due ran. */
export async function shiftClock(kluis: Kluis, offsetSeconds: number): Promise<void> {
  const admin = kluis.adminCredential();
  const token = (await fetchToken(kluis, admin, "https://management.azure.com/.default")).body.access_token as string;
  const res = await rawRequest(kluis, "localhost", "POST", "/kluis/clock", {
    token,
    body: JSON.stringify({ offsetSeconds }),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}
