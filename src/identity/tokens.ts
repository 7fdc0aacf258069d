// Access tokens: RS256 JWTs signed with the server's own key, shaped like Azure AD v1 app tokens.
import { createPublicKey, generateKeyPairSync, createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, calculateJwkThumbprint, exportJWK, jwtVerify, type JWK } from "jose";
import type { PrincipalRecord, Store } from "../store/store.js";

export const VAULT_AUDIENCE = "https://vault.azure.net";
export const MANAGEMENT_AUDIENCE = "https://management.azure.com";
const AUDIENCE_ALIASES: Record<string, string> = {
  "https://vault.azure.net": VAULT_AUDIENCE,
  "https://vault.azure.net/": VAULT_AUDIENCE,
  "https://management.azure.com": MANAGEMENT_AUDIENCE,
  "https://management.azure.com/": MANAGEMENT_AUDIENCE,
  "https://management.core.windows.net": MANAGEMENT_AUDIENCE,
  "https://management.core.windows.net/": MANAGEMENT_AUDIENCE,
};
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
    if (AUDIENCE_ALIASES[resource]) return AUDIENCE_ALIASES[resource];
    if (vaultDomains.some((d) => resource === `https://${d}`)) return VAULT_AUDIENCE;
  }
  return undefined;
}

export class TokenService {
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
    const { payload } = await jwtVerify(token, this.publicKey, {
      issuer: this.issuer,
      audience: [audience, `${audience}/`],
      algorithms: ["RS256"],
      clockTolerance: 60,
    });
    if (typeof payload.oid !== "string" || typeof payload.appid !== "string") throw new Error("token lacks oid/appid");
    return { objectId: payload.oid, appId: payload.appid, tenantId: String(payload.tid) };
  }
}
