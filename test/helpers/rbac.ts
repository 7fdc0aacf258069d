// What the role-based access tests share: Key Vault's RBAC refusal as the SDKs report it, polling past the role
// caches, and raw ARM requests as the administrator for what the CLI would not send.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { fetchToken, rawRequest, type RawResponse } from "./http.js";
import type { Kluis } from "./kluis.js";

/** Expects an SDK call to fail with Key Vault's RBAC refusal. */
export async function forbiddenByRbac(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: { statusCode?: number; message: string; details?: unknown }) => {
    assert.equal(err.statusCode, 403, err.message);
    assert.match(JSON.stringify(err.details ?? {}), /ForbiddenByRbac/);
    return true;
  });
}

/** Expects an SDK listing to fail with 403: its paging error keeps the status only, not the body. */
export async function listingForbidden(pages: AsyncIterableIterator<unknown>): Promise<void> {
  await assert.rejects(pages.next(), (err: { statusCode?: number; message: string }) => {
    assert.equal(err.statusCode, 403, err.message);
    return true;
  });
}

/** Retries `check` until it passes: role assignments and definitions are read through a cache of about a second. */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** An ARM request (`path` from /subscriptions on) as the server's administrator. */
export async function armRequest(kluis: Kluis, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const admin = kluis.adminCredential();
  return armRequestAs(kluis, admin, method, path, body);
}

/** An ARM request (`path` from /subscriptions on) as the given principal, with a management token. */
export async function armRequestAs(
  kluis: Kluis,
  sp: { appId: string; password: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<RawResponse> {
  const token = (await fetchToken(kluis, sp, "https://management.azure.com/.default")).body.access_token as string;
  return armRequestWithToken(kluis, token, method, path, body);
}

/** An ARM request with a management token already fetched (for requests sent at once: sign-ins are throttled). */
export function armRequestWithToken(
  kluis: Kluis,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<RawResponse> {
  const sep = path.includes("?") ? "&" : "?";
  return rawRequest(kluis, "localhost", method, `${path}${sep}api-version=2022-04-01`, {
    token,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
