// Access tokens: RS256 JWTs signed with the server's own key, shaped like Azure AD v1 app and user tokens; for users
// also the id_token, client_info and refresh token MSAL keeps.
import { createPublicKey, generateKeyPair, createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { SignJWT, calculateJwkThumbprint, errors, exportJWK, jwtVerify, type JWK, type JWTPayload } from "jose";
import type { PrincipalRecord } from "../store/repositories/principals.js";
import type { UserRecord } from "../store/repositories/users.js";
import type { Store } from "../store/store.js";
import { PrincipalStates } from "./principal-states.js";

/** `Number.isSafeInteger` as a type guard: claims are whatever JSON the token carries. */
const isSafeInteger = (value: unknown): value is number => Number.isSafeInteger(value);

export const VAULT_AUDIENCE = "https://vault.azure.net";
export const MANAGEMENT_AUDIENCE = "https://management.azure.com";
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/** A Map: the requested resource indexes it, and an object literal would find "constructor" in it. */
const AUDIENCE_ALIASES = new Map([
  ["https://vault.azure.net", VAULT_AUDIENCE],
  ["https://vault.azure.net/", VAULT_AUDIENCE],
  ["https://management.azure.com", MANAGEMENT_AUDIENCE],
  ["https://management.azure.com/", MANAGEMENT_AUDIENCE],
  ["https://management.core.windows.net", MANAGEMENT_AUDIENCE],
  ["https://management.core.windows.net/", MANAGEMENT_AUDIENCE],
  ["https://graph.microsoft.com", GRAPH_AUDIENCE],
  ["https://graph.microsoft.com/", GRAPH_AUDIENCE],
]);
export const TOKEN_LIFETIME_SECONDS = 3599;
/** A refresh token unused this long expires; one refresh token chain ends this long after its sign-in, whatever its use. */
export const REFRESH_TOKEN_IDLE_SECONDS = 24 * 60 * 60;
export const REFRESH_TOKEN_MAX_SECONDS = 7 * 24 * 60 * 60;
/**
 * The refresh token's own type and audience: no API accepts it as an access token (no API has its audience, and it has
 * no oid or appid), nor the token endpoint an access token as one (another type and audience).
 */
const REFRESH_TOKEN_TYPE = "kluis-rt+jwt";
const REFRESH_TOKEN_AUDIENCE = "urn:kluis:refresh-token";

/** Who is calling, as read from a verified access token. */
export interface Caller {
  objectId: string;
  /** For a user: the public client it signed in with (az's). */
  appId: string;
  tenantId: string;
  /** A user's sign-in name (its token's `upn`); undefined for an application. */
  userPrincipalName?: string;
}

/**
 * The resource a token is for, from a v2 `scope` (".../.default") or a v1 `resource`; undefined if unknown.
 * Vaults under one of the server's own domains (NAME.localhost, NAME.<--hostname>) challenge with that domain
 * as their resource, so those domains are vault audiences too. A registered cloud names the server's own origin (the
 * one the client reached it at) as its Microsoft Graph and ARM resource; a token for it carries that origin (given lowercased).
 */
export function audienceFor(
  scopeOrResource: string,
  vaultDomains: readonly string[] = [],
  ownOrigin?: string,
): string | undefined {
  for (const item of scopeOrResource.split(/\s+/)) {
    const resource = item.replace(/\/\.default$/, "").replace(/\/$/, "");
    const alias = AUDIENCE_ALIASES.get(resource);
    if (alias) return alias;
    if (vaultDomains.some((d) => resource === `https://${d}`)) return VAULT_AUDIENCE;
    if (ownOrigin !== undefined && resource.toLowerCase() === ownOrigin) return ownOrigin;
  }
  return undefined;
}

/** How many verified tokens the cache keeps; past that the least recently used one goes. */
const VERIFIED_CACHE_SIZE = 10_000;
/** How much of a token's end indexes the cache: 48 bytes of an RS256 signature, never alike for two tokens. */
const VERIFIED_KEY_LENGTH = 64;
/** The clock skew every check allows, as jose's `clockTolerance` does. */
const CLOCK_TOLERANCE_SECONDS = 60;
/** The private claim naming the principal's credential generation a token was issued under (see principal-states.ts). */
const CREDENTIAL_GENERATION_CLAIM = "kluis_cred_gen";

/** A token refused for what it says rather than how it is signed or dated (jose's errors cover those). */
export class InvalidTokenError extends Error {
  constructor(
    /** "revoked": its principal was deleted, or its credential reset, after it was issued. */
    readonly code: "ERR_KLUIS_TOKEN_REVOKED" | "ERR_KLUIS_TOKEN_MALFORMED",
    message: string,
  ) {
    super(message);
  }
}

interface VerifiedToken {
  /** The whole token: a cache hit is one whose token equals the request's to the last character. */
  token: string;
  caller: Caller;
  /** A user's token (`idtyp: user`) or an application's. */
  isUser: boolean;
  /** The token's `aud` claim, checked again on every hit (a token verified for one API is not good for another). */
  audience: string;
  /** When the token stops being good, in seconds since the epoch: its `exp`, or its `iat` plus the lifetime if sooner. */
  expiresAt: number;
  /** The principal's credential generation the token was issued under. */
  credentialGeneration: number;
}

export class TokenService {
  /**
   * Tokens that verified, matched on the whole token string (indexed by its tail: cacheKey). A signature check is the costliest step of a request, and its
   * outcome for a given string never changes: the signing key, issuer and tenant are fixed for the process. Expiry
   * moves, so each hit checks it (with the same tolerance) and the audience; revocation moves, so each use asks
   * the principal's state (itself briefly cached). Failures are not cached. Bounded: least recently used first out.
   */
  private readonly verified = new Map<string, VerifiedToken>();
  /**
   * The cache's index: the signature's last characters, random for every token signed. Hashing a string costs V8 a
   * pass over all of it, and a whole token (about a kilobyte, a new string on every request) cost a tenth of the
   * request path's own work; a hit still needs the whole token to match.
   */
  private static cacheKey(token: string): string {
    return token.slice(-VERIFIED_KEY_LENGTH);
  }

  private constructor(
    private readonly principals: PrincipalStates,
    readonly tenantId: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly kid: string,
    private readonly jwk: JWK,
  ) {}

  /** Loads the tenant id and signing key, creating both on first start. */
  static async open(store: Store): Promise<TokenService> {
    let tenantId = await store.settings.get("tenant_id");
    if (!tenantId) {
      tenantId = randomUUID();
      await store.settings.put("tenant_id", tenantId);
    }
    let pem = (await store.settings.getSealed("token_signing_key"))?.toString("utf8");
    if (!pem) {
      // On the thread pool: a first start meanwhile makes its CA and server certificate (start.ts).
      pem = (await promisify(generateKeyPair)("rsa", { modulusLength: 2048 })).privateKey.export({
        type: "pkcs8",
        format: "pem",
      }) as string;
      await store.settings.putSealed("token_signing_key", Buffer.from(pem, "utf8"));
    }
    const privateKey = createPrivateKey(pem);
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new TokenService(new PrincipalStates(store), tenantId, privateKey, publicKey, kid, {
      ...jwk,
      kid,
      use: "sig",
      alg: "RS256",
    });
  }

  /** The issuer every token carries and every verification demands. */
  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.jwk] };
  }

  /** What a refresh token says, once verified: whose it is, for which client, under which credential generation. */
  async verifyRefreshToken(
    token: string,
  ): Promise<{ objectId: string; clientId: string; credentialGeneration: number; authTime: number } | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: REFRESH_TOKEN_AUDIENCE,
        typ: REFRESH_TOKEN_TYPE,
        algorithms: ["RS256"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp", "iat", "sub", "auth_time"],
        maxTokenAge: REFRESH_TOKEN_IDLE_SECONDS,
      });
      const { sub, cid, auth_time: authTime, [CREDENTIAL_GENERATION_CLAIM]: generation } = payload;
      if (typeof sub !== "string" || typeof cid !== "string" || !isSafeInteger(authTime) || !isSafeInteger(generation))
        return undefined;
      return { objectId: sub, clientId: cid, credentialGeneration: generation, authTime };
    } catch {
      return undefined; // any malformed, forged or expired string is simply not a refresh token
    }
  }

  /**
   * A signed-in user's tokens for a public client: the access token (a v1 user token), the id_token and client_info
   * MSAL builds its account from (with the authorization request's nonce, if any), and a refresh token that lives a
   * day past its last use and a week past the sign-in.
   */
  async issueForUser(
    user: UserRecord,
    audience: string,
    clientId: string,
    authTime = Math.floor(Date.now() / 1000),
    nonce?: string,
  ) {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: JWTPayload, lifetime: number, typ = "JWT") =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", typ, kid: this.kid })
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + lifetime)
        .sign(this.privateKey);
    const accessToken = await sign(
      {
        aud: audience,
        iss: this.issuer,
        sub: user.objectId,
        jti: randomUUID(),
        acr: "1",
        amr: ["pwd"],
        appid: clientId,
        appidacr: "0",
        idtyp: "user",
        name: user.displayName,
        oid: user.objectId,
        scp: "user_impersonation",
        tid: this.tenantId,
        unique_name: user.userPrincipalName,
        upn: user.userPrincipalName,
        ver: "1.0",
        [CREDENTIAL_GENERATION_CLAIM]: user.credentialGeneration,
      },
      TOKEN_LIFETIME_SECONDS,
    );
    // The id_token is v2's, for the client: no API accepts it (another issuer and audience, no appid).
    const idToken = await sign(
      {
        aud: clientId,
        iss: `https://login.microsoftonline.com/${this.tenantId}/v2.0`,
        sub: user.objectId,
        name: user.displayName,
        oid: user.objectId,
        preferred_username: user.userPrincipalName,
        tid: this.tenantId,
        ver: "2.0",
        ...(nonce === undefined ? {} : { nonce }),
      },
      TOKEN_LIFETIME_SECONDS,
    );
    const refreshLifetime = Math.max(
      0,
      Math.min(REFRESH_TOKEN_IDLE_SECONDS, authTime + REFRESH_TOKEN_MAX_SECONDS - now),
    );
    const refreshToken = await sign(
      {
        aud: REFRESH_TOKEN_AUDIENCE,
        iss: this.issuer,
        sub: user.objectId,
        jti: randomUUID(),
        cid: clientId,
        auth_time: authTime,
        [CREDENTIAL_GENERATION_CLAIM]: user.credentialGeneration,
      },
      refreshLifetime,
      REFRESH_TOKEN_TYPE,
    );
    const clientInfo = Buffer.from(JSON.stringify({ uid: user.objectId, utid: this.tenantId })).toString("base64url");
    return { accessToken, idToken, refreshToken, clientInfo };
  }

  async issue(principal: PrincipalRecord, audience: string): Promise<string> {
    return new SignJWT({
      appid: principal.appId,
      azp: principal.appId,
      oid: principal.objectId,
      tid: this.tenantId,
      idtyp: "app",
      appidacr: "1",
      ver: "1.0",
      [CREDENTIAL_GENERATION_CLAIM]: principal.credentialGeneration,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setSubject(principal.objectId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
      .sign(this.privateKey);
  }

  /**
   * Verifies signature, expiry (`exp` and `iat` required, `nbf` if present), issuer and audience, then that the
   * principal still exists under the credential the token was issued for; throws on any failure.
   */
  async verify(token: string, audience: string | readonly string[]): Promise<Caller> {
    const audiences = typeof audience === "string" ? [audience] : audience;
    const verified =
      this.cachedVerification(token, audiences) ?? (await this.verifySignatureAndClaims(token, audiences));
    // A store that fails to answer throws as it is: the server's problem, not the token's.
    const state = await this.principals.current(verified.caller.objectId);
    const stands = verified.isUser
      ? state?.appId === undefined && state?.enabled
      : state?.appId === verified.caller.appId;
    if (!state || !stands || state.credentialGeneration !== verified.credentialGeneration) {
      throw new InvalidTokenError(
        "ERR_KLUIS_TOKEN_REVOKED",
        "the token's principal was deleted or its credential reset",
      );
    }
    return { ...verified.caller };
  }

  /** Forgets what this process knew of a principal or user it deleted or gave a new credential: its tokens fail at once. */
  forgetPrincipal(objectId: string): void {
    this.principals.forget(objectId);
  }

  private cachedVerification(token: string, audiences: readonly string[]): VerifiedToken | undefined {
    const key = TokenService.cacheKey(token);
    const cached = this.verified.get(key);
    // Another token with the same tail (a forgery) is verified in full, and leaves the cached one as it is.
    if (!cached || cached.token !== token) return undefined;
    this.verified.delete(key);
    const now = Math.floor(Date.now() / 1000);
    if (now <= cached.expiresAt + CLOCK_TOLERANCE_SECONDS && acceptsAudience(audiences, cached.audience)) {
      this.verified.set(key, cached); // most recently used last
      return cached;
    }
    // Expired, or another audience: let jose give the precise error (or accept it for this audience).
    return undefined;
  }

  private async verifySignatureAndClaims(token: string, audiences: readonly string[]): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: acceptedAudiences(audiences),
        algorithms: ["RS256"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // A token without an expiry would be good forever; `maxTokenAge` also refuses an `iat` in the future.
        requiredClaims: ["exp", "iat"],
        maxTokenAge: TOKEN_LIFETIME_SECONDS,
      }));
    } catch (err) {
      // Whatever a hostile string makes jose throw, it is a bad token (a 401), never a server error.
      throw err instanceof errors.JOSEError
        ? err
        : new InvalidTokenError("ERR_KLUIS_TOKEN_MALFORMED", "the token cannot be parsed");
    }
    if (typeof payload.oid !== "string" || typeof payload.appid !== "string")
      throw new InvalidTokenError("ERR_KLUIS_TOKEN_MALFORMED", "token lacks oid/appid");
    // Tokens issued before generations existed carry none: they belong to generation 0, the one before any reset.
    const generation = payload[CREDENTIAL_GENERATION_CLAIM] ?? 0;
    if (!isSafeInteger(generation))
      throw new InvalidTokenError("ERR_KLUIS_TOKEN_MALFORMED", "token has a malformed credential generation");
    const verified: VerifiedToken = {
      token,
      caller: {
        objectId: payload.oid,
        appId: payload.appid,
        tenantId: String(payload.tid),
        ...(payload.idtyp === "user" && typeof payload.upn === "string" ? { userPrincipalName: payload.upn } : {}),
      },
      isUser: payload.idtyp === "user",
      audience: typeof payload.aud === "string" ? payload.aud : audiences[0]!,
      expiresAt: Math.min(payload.exp!, payload.iat! + TOKEN_LIFETIME_SECONDS),
      credentialGeneration: generation,
    };
    // Only tokens with one audience are cached: that is every token this service issues.
    if (typeof payload.aud === "string") {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(TokenService.cacheKey(token), verified);
    }
    return verified;
  }
}

/** Whether `aud` is one of `audiences`, with or without a trailing slash (acceptedAudiences, without its array per request). */
function acceptsAudience(audiences: readonly string[], aud: string): boolean {
  return audiences.includes(aud) || (aud.endsWith("/") && audiences.includes(aud.slice(0, -1)));
}

/** Each audience an API accepts, with and without the trailing slash clients may keep. */
function acceptedAudiences(audiences: readonly string[]): string[] {
  return audiences.flatMap((a) => [a, `${a}/`]);
}
