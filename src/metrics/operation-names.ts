// Which operation a request is, named once per route when the route is registered, for metrics and the audit log:
// a data-plane route's Key Vault operation (the `operationName` of Azure's AuditEvent logs: SecretGet, KeySign, ...),
// a management route's ARM action, a sign-in's or a Microsoft Graph call's (below), otherwise the route's template
// ("GET /:tenant/discovery/v2.0/keys"). Never the raw
// URL: names of vaults and objects stay out, and the set of values is bounded by the routes the server declares.
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set by nameOperations for every route (see operationName). */
    operation?: string;
  }
}

/** What a request that matched no route (a 404 from the router) is counted as. */
export const UNMATCHED = "Unmatched";

/** The Key Vault operation of each data-plane route, by method and route template (crypto routes with and without a version). */
const DATA_PLANE: Record<string, string> = {};
const name = (operation: string, ...routes: string[]) => routes.forEach((route) => (DATA_PLANE[route] = operation));
for (const [kind, base, deleted] of [
  ["Secret", "/secrets", "/deletedsecrets"],
  ["Key", "/keys", "/deletedkeys"],
  ["Certificate", "/certificates", "/deletedcertificates"],
] as const) {
  name(`${kind}List`, `GET ${base}`);
  name(`${kind}ListVersions`, `GET ${base}/:name/versions`);
  name(`${kind}Get`, `GET ${base}/:name`, `GET ${base}/:name/:version`);
  name(`${kind}Update`, `PATCH ${base}/:name`, `PATCH ${base}/:name/:version`);
  name(`${kind}Delete`, `DELETE ${base}/:name`);
  name(`${kind}Backup`, `POST ${base}/:name/backup`);
  name(`${kind}Restore`, `POST ${base}/restore`);
  name(`${kind}ListDeleted`, `GET ${deleted}`);
  name(`${kind}GetDeleted`, `GET ${deleted}/:name`);
  name(`${kind}Recover`, `POST ${deleted}/:name/recover`);
  name(`${kind}Purge`, `DELETE ${deleted}/:name`);
}
name("SecretSet", "PUT /secrets/:name");
name("KeyCreate", "POST /keys/:name/create");
name("KeyImport", "PUT /keys/:name");
name("KeyRotate", "POST /keys/:name/rotate");
name("KeyRotationPolicyGet", "GET /keys/:name/rotationpolicy");
name("KeyRotationPolicySet", "PUT /keys/:name/rotationpolicy");
name("KeyRandomBytesGet", "POST /rng");
for (const [operation, path] of [
  ["KeyEncrypt", "encrypt"],
  ["KeyDecrypt", "decrypt"],
  ["KeyWrap", "wrapkey"],
  ["KeyUnwrap", "unwrapkey"],
  ["KeySign", "sign"],
  ["KeyVerify", "verify"],
])
  name(operation!, `POST /keys/:name/${path}`, `POST /keys/:name/:version/${path}`);
name("CertificateCreate", "POST /certificates/:name/create");
name("CertificateImport", "POST /certificates/:name/import");
name("CertificatePendingGet", "GET /certificates/:name/pending");
name("CertificatePendingUpdate", "PATCH /certificates/:name/pending");
name("CertificatePendingDelete", "DELETE /certificates/:name/pending");
name("CertificatePendingMerge", "POST /certificates/:name/pending/merge");
name("CertificatePolicyGet", "GET /certificates/:name/policy");
name("CertificatePolicyUpdate", "PATCH /certificates/:name/policy");
name("CertificateContactsGet", "GET /certificates/contacts");
name("CertificateContactsSet", "PUT /certificates/contacts");
name("CertificateContactsDelete", "DELETE /certificates/contacts");
name("CertificateIssuersList", "GET /certificates/issuers");
name("CertificateIssuerGet", "GET /certificates/issuers/:issuer");
name("CertificateIssuerSet", "PUT /certificates/issuers/:issuer");
name("CertificateIssuerUpdate", "PATCH /certificates/issuers/:issuer");
name("CertificateIssuerDelete", "DELETE /certificates/issuers/:issuer");

/**
 * Sign-ins (Entra's sign-in logs) and Microsoft Graph's calls, by method and route template: named as Key Vault names
 * its operations, resource then action, so that `kluis monitor audit list --operation UserCreate` finds them.
 */
export const SIGN_IN_OPERATIONS: Record<string, string> = {};
export const GRAPH_OPERATIONS: Record<string, string> = {};
for (const v2 of ["/v2.0", ""]) {
  SIGN_IN_OPERATIONS[`POST /:tenant/oauth2${v2}/token`] = "SignIn";
  SIGN_IN_OPERATIONS[`POST /:tenant/oauth2${v2}/devicecode`] = "DeviceCodeStart";
  SIGN_IN_OPERATIONS[`POST /:tenant/oauth2${v2}/authorize`] = "AuthorizeSignIn";
}
SIGN_IN_OPERATIONS["POST /devicelogin"] = "DeviceCodeSignIn";
GRAPH_OPERATIONS["GET /v1.0/me"] = "SignedInUserGet";
for (const [kind, set] of [
  ["User", "users"],
  ["ServicePrincipal", "servicePrincipals"],
  ["Application", "applications"],
] as const) {
  const [list, one] = [`/v1.0/${set}`, `/v1.0/${set}/:id`];
  Object.assign(GRAPH_OPERATIONS, {
    [`GET ${list}`]: `${kind}List`,
    [`POST ${list}`]: `${kind}Create`,
    [`GET ${one}`]: `${kind}Get`,
    [`PATCH ${one}`]: `${kind}Update`,
    [`DELETE ${one}`]: `${kind}Delete`,
    [`POST ${one}/addPassword`]: `${kind}AddPassword`,
    [`POST ${one}/removePassword`]: `${kind}RemovePassword`,
  });
}

function routeOperation(route: RouteOptions, method: string): string {
  const config = route.config ?? {};
  if (config.permission) {
    const operation = DATA_PLANE[`${method} ${route.url}`];
    if (!operation)
      throw new Error(
        `data-plane route ${method} ${route.url} has no Key Vault operation name (metrics/operation-names.ts)`,
      );
    return operation;
  }
  // The HEAD twins of the health probes' GET routes (server/health.ts) are the GET's operation.
  const named = `${method === "HEAD" ? "GET" : method} ${route.url}`;
  return (
    config.action ?? config.listing ?? SIGN_IN_OPERATIONS[named] ?? GRAPH_OPERATIONS[named] ?? `${method} ${route.url}`
  );
}

/** Names the operation of every route registered from here on; a data-plane route without a name stops the server's start. */
export function nameOperations(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const method = Array.isArray(route.method) ? route.method.join(",") : route.method;
    route.config = { ...route.config, operation: routeOperation(route, method) };
  });
}

/** The request's operation (see the top of this file); cheap: read from the route's options. */
export const operationName = (req: FastifyRequest): string => req.routeOptions.config.operation ?? UNMATCHED;
