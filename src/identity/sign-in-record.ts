// What the identity endpoints and Microsoft Graph leave on a request for its audit entry (audit/hook.ts): whom a
// sign-in named (its client id, its user's sign-in name, bounded) and whom it signed in, the Entra error it was
// refused with, and whom a Graph call authenticated as. Never the secret, password, device code or token it carried.
import type { FastifyRequest } from "fastify";
import type { Caller } from "./tokens.js";

export interface SignInRecord {
  /** client_credentials, password, refresh_token, device_code (the token endpoint), or the device code flow's start and page. */
  grantType: string;
  clientId?: string;
  userPrincipalName?: string;
  /** The application or user signed in (with the client it signed in with), once the sign-in succeeded. */
  signedIn?: Omit<Caller, "tenantId">;
}

declare module "fastify" {
  interface FastifyRequest {
    signInAttempt?: SignInRecord;
    /** The Entra error answered, as "error/code" (e.g. invalid_client/7000215): a bounded reason for the token metrics. */
    entraError?: string;
    /** Its description, "AADSTS<code>: ..." (names ids, never what a client sent as a secret). */
    entraErrorDescription?: string;
    /** The caller a Microsoft Graph request authenticated as (graph/routes.ts). */
    graphCaller?: Caller & { isAdministrator: boolean };
  }
}

/** What a client named is kept to this many characters: a client id is 36, a sign-in name at most 113. */
const MAX_NAMED = 128;

/** Notes whom a sign-in request names; the identity endpoints call it before checking anything. */
export function noteSignIn(req: FastifyRequest, grantType: string, named: { clientId?: string; username?: string }) {
  req.signInAttempt = {
    grantType: grantType.slice(0, 64),
    ...(named.clientId ? { clientId: named.clientId.slice(0, MAX_NAMED) } : {}),
    ...(named.username ? { userPrincipalName: named.username.slice(0, MAX_NAMED) } : {}),
  };
}

/** Notes whom a sign-in signed in. */
export function noteSignedIn(req: FastifyRequest, signedIn: Omit<Caller, "tenantId">) {
  if (req.signInAttempt) req.signInAttempt.signedIn = signedIn;
}

/** Notes the Entra error a request was refused with. */
export function noteEntraError(req: FastifyRequest, error: string, code: number, description: string) {
  req.entraError = `${error}/${code}`;
  req.entraErrorDescription = `AADSTS${code}: ${description}`;
}
