// Graph's view of a Kluis principal. In Kluis an application and its service principal are one record: the service
// principal's id is the record's object id, the application's id is derived from it, and both show the record's one
// client secret as their one password credential.
import { createHash } from "node:crypto";
import type { PrincipalRecord } from "../store/repositories/principals.js";
import type { UserRecord } from "../store/repositories/users.js";
import type { Filterable } from "./filter.js";

/** A stable UUID-shaped id derived from `parts` (the same parts always give the same id, as UUID v5 does). */
function derivedId(...parts: (string | number)[]): string {
  const h = createHash("sha256").update(parts.join("\0")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The application object's id: distinct from the service principal's, stable for the record's life. */
export const applicationIdOf = (p: PrincipalRecord) => derivedId("kluis-graph-application", p.objectId);

/** The key id of the record's current secret: it changes whenever the secret does. */
export const passwordKeyIdOf = (p: PrincipalRecord) =>
  derivedId("kluis-graph-password", p.objectId, p.credentialGeneration);

export const filterable = (p: PrincipalRecord): Filterable => ({
  appId: p.appId,
  displayName: p.displayName,
  servicePrincipalNames: [p.appId],
  identifierUris: [],
});

/** Kluis keeps no dates or names for a secret; its secrets do not expire. */
const passwordCredentials = (p: PrincipalRecord) => [
  {
    customKeyIdentifier: null,
    displayName: null,
    endDateTime: null,
    hint: null,
    keyId: passwordKeyIdOf(p),
    secretText: null,
    startDateTime: null,
  },
];

export function servicePrincipalView(p: PrincipalRecord, tenantId: string) {
  return {
    id: p.objectId,
    accountEnabled: true,
    appId: p.appId,
    appDisplayName: p.displayName,
    appOwnerOrganizationId: tenantId,
    createdDateTime: new Date(p.createdAt).toISOString(),
    displayName: p.displayName,
    servicePrincipalNames: [p.appId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMyOrg",
    tags: [],
    keyCredentials: [],
    passwordCredentials: passwordCredentials(p),
  };
}

export function applicationView(p: PrincipalRecord) {
  return {
    id: applicationIdOf(p),
    appId: p.appId,
    createdDateTime: new Date(p.createdAt).toISOString(),
    displayName: p.displayName,
    identifierUris: [],
    signInAudience: "AzureADMyOrg",
    tags: [],
    keyCredentials: [],
    passwordCredentials: passwordCredentials(p),
    requiredResourceAccess: [],
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: [],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
  };
}

/** addPassword's answer: the only time the secret's text is shown. */
export function newPasswordView(p: PrincipalRecord, secretText: string, displayName: unknown) {
  return {
    customKeyIdentifier: null,
    displayName: typeof displayName === "string" ? displayName : null,
    endDateTime: null,
    hint: secretText.slice(0, 3),
    keyId: passwordKeyIdOf(p),
    secretText,
    startDateTime: new Date().toISOString(),
  };
}

export const filterableUser = (u: UserRecord): Filterable => ({
  displayName: u.displayName,
  userPrincipalName: u.userPrincipalName,
  mail: null,
});

/** Graph's default properties of a user (what /users and /me answer without $select); Kluis keeps no mail or phone. */
export function userView(u: UserRecord) {
  return {
    businessPhones: [],
    displayName: u.displayName,
    givenName: null,
    jobTitle: null,
    mail: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: u.userPrincipalName,
    id: u.objectId,
  };
}
