// The authorization-code flow's codes (RFC 6749 with PKCE, RFC 7636), as Entra issues them to public clients: the
// code is sealed and self-contained (who signed in, for which client, redirect URI and PKCE challenge, until when),
// so any node of a cluster can redeem it; a row per redeemed code (store: authorization_codes) makes it single-use.
import { createHash, randomUUID } from "node:crypto";
import type { UserRecord } from "../store/repositories/users.js";
import type { Store } from "../store/store.js";

/** Kluis's web UI, a built-in public client (single-page app) whose one redirect URI is `/ui/` on the page's own origin. */
export const WEB_UI_CLIENT_ID = "5f1c8a77-6a2d-4c1e-9b8e-0d6f7c1b2a10";
export const WEB_UI_PATH = "/ui/";
/** The Azure CLI's public client. */
export const AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** Entra's codes are good for about ten minutes, once. */
export const AUTHORIZATION_CODE_LIFETIME_SECONDS = 600;
/** A sealed code is a few hundred characters; anything much longer is not one. */
const MAX_CODE_LENGTH = 4096;
const SEAL_CONTEXT = "identity/authorization-code";
/** An S256 challenge is a SHA-256 in base64url (43 characters); a verifier is 43 to 128 unreserved characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** What a code stands for. */
export interface CodeGrant {
  id: string;
  objectId: string;
  credentialGeneration: number;
  authTime: number;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce?: string;
  /** What the authorization request asked for (a v2 scope or a v1 resource), used when the token request names none. */
  requested: { scope?: string; resource?: string };
  expiresAt: number;
}

/**
 * Whether a client may be sent back to `redirectUri`: the web UI only to `/ui/` on the origin its page was served
 * from (`pageOrigin`, one of the server's own names); any other public client (az's) to a loopback listener,
 * `http://localhost[:port][/path]` on any port, as Entra allows native clients.
 */
export function redirectUriAllowed(clientId: string, redirectUri: string, pageOrigin: string | undefined): boolean {
  if (clientId === WEB_UI_CLIENT_ID) return pageOrigin !== undefined && redirectUri === `${pageOrigin}${WEB_UI_PATH}`;
  const url = URL.canParse(redirectUri) ? new URL(redirectUri) : undefined;
  return (
    url !== undefined &&
    url.protocol === "http:" &&
    ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) &&
    url.username === "" &&
    url.password === "" &&
    url.hash === "" &&
    !redirectUri.includes("#")
  );
}

/** A new code for a user who just signed in on the authorization endpoint's page. */
export function issueAuthorizationCode(
  store: Store,
  user: UserRecord,
  request: Pick<CodeGrant, "clientId" | "redirectUri" | "codeChallenge" | "nonce" | "requested">,
  now = Date.now(),
): string {
  const grant: CodeGrant = {
    id: randomUUID(),
    objectId: user.objectId,
    credentialGeneration: user.credentialGeneration,
    authTime: Math.floor(now / 1000),
    ...request,
    expiresAt: now + AUTHORIZATION_CODE_LIFETIME_SECONDS * 1000,
  };
  return store.settings.sealExport(Buffer.from(JSON.stringify(grant), "utf8"), SEAL_CONTEXT).toString("base64url");
}

export type Redemption = CodeGrant | { code: number; description: string };

/**
 * The grant a token request's code stands for, if it is one this server issued, unexpired, for this client and
 * redirect URI, with the verifier of its challenge, and not redeemed before (on any node); else Entra's error.
 */
export async function redeemAuthorizationCode(
  store: Store,
  form: Record<string, string | undefined>,
  clientId: string,
  now = Date.now(),
): Promise<Redemption> {
  const grant = openCode(store, form.code);
  if (!grant) return { code: 70000, description: "The provided value for the input parameter 'code' is not valid." };
  if (grant.expiresAt <= now)
    return { code: 70008, description: "The provided authorization code or refresh token has expired." };
  if (grant.clientId !== clientId)
    return { code: 70000, description: "The provided authorization code was issued to another client." };
  if (form.redirect_uri !== grant.redirectUri)
    return {
      code: 70000,
      description:
        "The provided value for the input parameter 'redirect_uri' is not valid: it does not match the authorization request's.",
    };
  const verifier = form.code_verifier ?? "";
  if (!VERIFIER.test(verifier) || createHash("sha256").update(verifier).digest("base64url") !== grant.codeChallenge)
    return {
      code: 501481,
      description: "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    };
  if (!(await store.authorizationCodes.redeem(grant.id, grant.expiresAt, now)))
    return {
      code: 54005,
      description: "OAuth2 Authorization code was already redeemed, please retry with a new valid code.",
    };
  return grant;
}

function openCode(store: Store, code: string | undefined): CodeGrant | undefined {
  if (!code || code.length > MAX_CODE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(code)) return undefined;
  try {
    return JSON.parse(
      store.settings.openExport(Buffer.from(code, "base64url"), SEAL_CONTEXT).toString("utf8"),
    ) as CodeGrant;
  } catch {
    return undefined; // forged, altered or another server's: simply not a code
  }
}
