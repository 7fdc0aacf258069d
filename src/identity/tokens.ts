// Access tokens: RS256 JWTs signed with the server's own key, shaped like Azure AD v1 app tokens.
import { createPublicKey, generateKeyPairSync, createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, calculateJwkThumbprint, exportJWK, jwtVerify, type JWK } from "jose";
import type { PrincipalRecord, Store } from "../store/store.js";

export const VAULT_AUDIENCE = "https://vault.azure.net";
export const MANAGEMENT_AUDIENCE = "https://management.azure.com";
/** A Map: the requested resource indexes it, and an object literal would find "constructor" in it. */
const AUDIENCE_ALIASES = new Map([
  ["https://vault.azure.net", VAULT_AUDIENCE],
  ["https://vault.azure.net/", VAULT_AUDIENCE],
  ["https://management.azure.com", MANAGEMENT_AUDIENCE],
  ["https://management.azure.com/", MANAGEMENT_AUDIENCE],
  ["https://management.core.windows.net", MANAGEMENT_AUDIENCE],
  ["https://management.core.windows.net/", MANAGEMENT_AUDIENCE],
]);
export const TOKEN_LIFETIME_SECONDS = 3599;

/** Who is calling, as read from a verified access token. */
export interface Caller {
  objectId: string;
  appId: string;
  tenantId: string;
}

/**
 * The resource a token is for, from a v2 `scope` (".../.default") or a v1 `resource`; undefined if unknown.
 * Vaults under one of the server's own domains (NAME.localhost, NAME.<--hostname>) challenge with that domain
 * as their resource, so those domains are vault audiences too.
 */
export function audienceFor(scopeOrResource: string, vaultDomains: readonly string[] = []): string | undefined {
  for (const item of scopeOrResource.split(/\s+/)) {
    const resource = item.replace(/\/\.default$/, "").replace(/\/$/, "");
    const alias = AUDIENCE_ALIASES.get(resource);
    if (alias) return alias;
    if (vaultDomains.some((d) => resource === `https://${d}`)) return VAULT_AUDIENCE;
  }
  return undefined;
}

/** How many verified tokens the cache keeps; past that the least recently used one goes. */
const VERIFIED_CACHE_SIZE = 10_000;
/** The clock skew every check allows, as jose's `clockTolerance` does. */
const CLOCK_TOLERANCE_SECONDS = 60;

interface VerifiedToken {
  caller: Caller;
  /** The token's `aud` claim, checked again on every hit (a token verified for one API is not good for another). */
  audience: string;
  /** The `exp` claim, in seconds since the epoch. */
  expiresAt: number;
}

export class TokenService {
  /**
   * Tokens that verified, keyed by the token string. A signature check is the costliest step of a request, and its
   * outcome for a given string never changes: the signing key, issuer and tenant are fixed for the process, and a
   * token is not revocable. Only expiry moves, so each hit checks `exp` (with the same tolerance) and the audience.
   * Failures are not cached. Bounded: least recently used first out.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  private constructor(
    readonly tenantId: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly kid: string,
    private readonly jwk: JWK,
  ) {}

  /** Loads the tenant id and signing key, creating both on first start. */
  static async open(store: Store): Promise<TokenService> {
    let tenantId = await store.getSetting("tenant_id");
    if (!tenantId) {
      tenantId = randomUUID();
      await store.putSetting("tenant_id", tenantId);
    }
    let pem = (await store.getSealedSetting("token_signing_key"))?.toString("utf8");
    if (!pem) {
      pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      await store.putSealedSetting("token_signing_key", Buffer.from(pem, "utf8"));
    }
    const privateKey = createPrivateKey(pem);
    const publicKey = createPublicKey(privateKey);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new TokenService(tenantId, privateKey, publicKey, kid, { ...jwk, kid, use: "sig", alg: "RS256" });
  }

  /** The issuer every token carries and every verification demands. */
  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.jwk] };
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

  /** Verifies signature, expiry, issuer and audience; throws on any failure. */
  async verify(token: string, audience: string): Promise<Caller> {
    const cached = this.verified.get(token);
    if (cached) {
      this.verified.delete(token);
      const now = Math.floor(Date.now() / 1000);
      if (now <= cached.expiresAt + CLOCK_TOLERANCE_SECONDS && (cached.audience === audience || cached.audience === `${audience}/`)) {
        this.verified.set(token, cached); // most recently used last
        return { ...cached.caller };
      }
      // Expired, or another audience: let jose give the precise error (or accept it for this audience).
    }
    const { payload } = await jwtVerify(token, this.publicKey, {
      issuer: this.issuer,
      audience: [audience, `${audience}/`],
      algorithms: ["RS256"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (typeof payload.oid !== "string" || typeof payload.appid !== "string") throw new Error("token lacks oid/appid");
    const caller = { objectId: payload.oid, appId: payload.appid, tenantId: String(payload.tid) };
    // Only tokens with an expiry and one audience are cached: that is every token this service issues.
    if (typeof payload.exp === "number" && typeof payload.aud === "string") {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { caller, audience: payload.aud, expiresAt: payload.exp });
    }
    return caller;
  }
}
