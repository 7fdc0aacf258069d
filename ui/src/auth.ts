// Signing in: the authorization-code flow with PKCE (S256) against Kluis's own identity endpoints, as a public
// client. Tokens live in this module's memory only; sessionStorage holds the PKCE verifier and state during the
// redirect to the sign-in page and back, and is emptied on return. The rest of the UI asks `accessToken(resource)`.

export const CLIENT_ID = "5f1c8a77-6a2d-4c1e-9b8e-0d6f7c1b2a10";
const AUTHORITY = "/organizations/oauth2/v2.0";
const PENDING_KEY = "kluis-ui-sign-in";

export const RESOURCES = {
  management: "https://management.azure.com/.default",
  vault: "https://vault.azure.net/.default",
  graph: "https://graph.microsoft.com/.default",
} as const;
export type Resource = keyof typeof RESOURCES;

export interface Account {
  name: string;
  userPrincipalName: string;
  objectId: string;
}

interface Token {
  value: string;
  expiresAt: number;
}

const tokens = new Map<Resource, Token>();
let refreshToken: string | undefined;
let account: Account | undefined;

const redirectUri = () => `${location.origin}/ui/`;

function randomText(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64Url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

/** Leaves for the sign-in page; the page comes back to /ui/?code&state. */
export async function signIn(): Promise<never> {
  const verifier = randomText(32);
  const state = randomText(16);
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: redirectUri(),
    scope: `${RESOURCES.management} openid profile offline_access`,
    state,
    nonce: randomText(16),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${AUTHORITY}/authorize?${query}`);
  return new Promise<never>(() => {});
}

export class SignInError extends Error {}

async function tokenRequest(form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${AUTHORITY}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...form }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new SignInError(String(body.error_description ?? body.error ?? `HTTP ${response.status}`));
  return body;
}

function keep(resource: Resource, body: Record<string, unknown>) {
  tokens.set(resource, {
    value: String(body.access_token),
    expiresAt: Date.now() + (Number(body.expires_in) - 60) * 1000,
  });
  if (typeof body.refresh_token === "string") refreshToken = body.refresh_token;
}

/**
 * On return from the sign-in page: trades the code for tokens. Answers the account, or undefined when this load
 * is not a return (throws when it is one that failed: a wrong state, a refused code).
 */
export async function completeSignIn(): Promise<Account | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return undefined;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", `/ui/${location.hash}`); // the code is used once; keep it out of history
  if (params.has("error")) throw new SignInError(params.get("error_description") ?? params.get("error")!);
  const { verifier, state } = (pending ? JSON.parse(pending) : {}) as { verifier?: string; state?: string };
  if (!verifier || state !== params.get("state"))
    throw new SignInError("The sign-in answer did not match. Sign in again.");
  const body = await tokenRequest({
    grant_type: "authorization_code",
    code: params.get("code")!,
    redirect_uri: redirectUri(),
    code_verifier: verifier,
    scope: `${RESOURCES.management} openid profile offline_access`,
  });
  keep("management", body);
  const claims = claimsOf(String(body.id_token ?? body.access_token));
  account = {
    name: String(claims.name ?? claims.preferred_username ?? ""),
    userPrincipalName: String(claims.preferred_username ?? claims.upn ?? ""),
    objectId: String(claims.oid ?? ""),
  };
  return account;
}

/** Refreshes under way, one per API: the pages ask for a token many times at once. */
const refreshing = new Map<Resource, Promise<string>>();

/** A token for one API, from memory or through the refresh token. */
export async function accessToken(resource: Resource): Promise<string> {
  const held = tokens.get(resource);
  if (held && held.expiresAt > Date.now()) return held.value;
  if (!refreshToken) throw new SignInError("You are signed out. Sign in again.");
  let pending = refreshing.get(resource);
  if (!pending) {
    pending = tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken, scope: RESOURCES[resource] })
      .then((body) => {
        keep(resource, body);
        return tokens.get(resource)!.value;
      })
      .finally(() => refreshing.delete(resource));
    refreshing.set(resource, pending);
  }
  return pending;
}

export const signedInAccount = () => account;

export function signOut() {
  tokens.clear();
  refreshing.clear();
  refreshToken = undefined;
  account = undefined;
}
