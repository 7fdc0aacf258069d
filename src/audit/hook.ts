// The one place calls are audited: an onResponse hook that reads what the route declared (operation-names.ts), who
// the pipeline authenticated (or a sign-in named: identity/sign-in-record.ts), and how the call ended, after the
// answer has left. Refused calls (401, 403, 404, 429) are recorded as well as served ones; what the request or the
// answer carried (values, keys, secrets, passwords, codes, tokens) never is.
import { STATUS_CODES } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { KeyVaultError } from "../http/errors.js";
import { parseVaultHost } from "../http/vault-host.js";
import { requestScope } from "../authorization/management.js";
import type { ServerContext } from "../identity/context.js";
import type { SignInRecord } from "../identity/sign-in-record.js";
import { cachedVault } from "../vaults/cache.js";
import type { Vault } from "../vaults/model.js";
import { vaultResourceId } from "../http/arm.js";
import type { AuditCategory, AuditEvent, AuditLog } from "./log.js";
import { operationOf, type AuditedPlane } from "./operation-names.js";
import { queryOf, routeParam } from "../http/route.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The error the request ended with, kept for its audit entry. */
    auditError?: unknown;
  }
}

/** Refusals whose messages the server writes itself, naming nothing the caller sent but ids: kept whole. */
const DESCRIBED = new Set([401, 403, 404, 409, 429, 503]);
const CLAIMS = {
  objectId: "http://schemas.microsoft.com/identity/claims/objectidentifier",
  upn: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
};

export function auditHooks(
  app: FastifyInstance,
  ctx: ServerContext,
  log: AuditLog,
  onFailure: (err: unknown) => void,
): void {
  app.addHook("onError", async (req, _reply, err) => {
    req.auditError = err;
  });
  // A callback hook, not an async one: it runs on every audited call, and an async hook costs a promise and a
  // microtask turn (the entry waits for nothing but a refused call's vault lookup).
  app.addHook("onResponse", (req, reply, done) => {
    const operation = operationOf(req);
    if (operation) {
      try {
        const resource = resourceOf(ctx, req, operation.plane);
        if (resource instanceof Promise)
          resource.then((found) => recordCall(req, reply, operation, found)).catch(onFailure);
        else recordCall(req, reply, operation, resource);
      } catch (err) {
        onFailure(err);
      }
    }
    done();
  });

  /** The call's AuditEvent, in the log's queue. */
  function recordCall(
    req: FastifyRequest,
    reply: FastifyReply,
    operation: { name: string; plane: AuditedPlane },
    { vault, resourceId }: Resource,
  ): void {
    const status = reply.statusCode;
    const caller = req.management?.caller ?? req.caller ?? req.graphCaller ?? req.signInAttempt?.signedIn ?? undefined;
    const time = Math.trunc(Date.now() - reply.elapsedTime);
    const event: AuditEvent = {
      time: new Date(time).toISOString(),
      resourceId,
      operationName: operation.name,
      operationVersion: apiVersion(req),
      category: categoryOf(operation.plane, req.signInAttempt),
      resultType: status < 400 ? "Success" : "Failure",
      resultSignature: STATUS_CODES[status] ?? String(status),
      resultDescription: req.entraErrorDescription?.slice(0, 1000) ?? describe(req.auditError, status),
      durationMs: Math.round(reply.elapsedTime),
      callerIpAddress: req.ip,
      correlationId: correlationId(req),
      identity: caller
        ? {
            claim: {
              appid: caller.appId,
              [CLAIMS.objectId]: caller.objectId,
              ...(caller.userPrincipalName ? { [CLAIMS.upn]: caller.userPrincipalName } : {}),
            },
          }
        : null,
      properties: {
        id: operation.plane === "graph" ? `https://graph.microsoft.com${pathOf(req.url)}` : objectId(req),
        clientInfo: headerText(req.headers["user-agent"], 256),
        httpStatusCode: status,
      },
    };
    if (req.signInAttempt) Object.assign(event.properties, signInProperties(req, req.signInAttempt, status));
    log.record({ event, time, vault, caller: caller?.objectId ?? null });
  }
}

/** Entra writes sign-ins of applications, of people and of refresh tokens to three logs, Graph's calls to a fourth. */
function categoryOf(plane: AuditedPlane, signIn: SignInRecord | undefined): AuditCategory {
  if (plane === "graph") return "MicrosoftGraphActivityLogs";
  if (plane !== "sign-in") return "AuditEvent";
  if (signIn?.grantType === "client_credentials") return "ServicePrincipalSignInLogs";
  return signIn?.grantType === "refresh_token" ? "NonInteractiveUserSignInLogs" : "SignInLogs";
}

/**
 * What a sign-in named (its client id, its user's name), its grant, and the AADSTS code it was refused with (0 when
 * served, null when refused before any: a page's expired form, say).
 */
function signInProperties(
  req: FastifyRequest,
  signIn: SignInRecord,
  status: number,
): Partial<AuditEvent["properties"]> {
  const { entraError } = req;
  const code = entraError === undefined ? undefined : Number(entraError.slice(entraError.lastIndexOf("/") + 1));
  return {
    grantType: signIn.grantType,
    appId: signIn.signedIn?.appId ?? signIn.clientId ?? null,
    userPrincipalName: signIn.signedIn?.userPrincipalName ?? signIn.userPrincipalName ?? null,
    errorCode: code ?? (status < 400 ? 0 : null),
  };
}

/**
 * The vault's ARM id on the data plane (the host's vault name when it names none), the ARM path on the management
 * plane, the tenant (as Entra's logs name it) for sign-ins and Graph, the URL's path when no route matched.
 */
function resourceOf(ctx: ServerContext, req: FastifyRequest, plane: AuditedPlane): Resource | Promise<Resource> {
  if (plane === "sign-in" || plane === "graph")
    return { vault: null, resourceId: `/tenants/${ctx.tokens.tenantId}/providers/Microsoft.aadiam` };
  if (plane === "unmatched") return { vault: null, resourceId: `https://${req.host}${pathOf(req.url)}` };
  if (plane !== "data") {
    const path = requestScope(req);
    const vault = /\/providers\/Microsoft\.KeyVault\/(?:vaults|locations\/[^/]+\/deletedVaults)\/([^/]+)/i.exec(
      path,
    )?.[1];
    return { vault: vault ? vault.toLowerCase() : null, resourceId: path };
  }
  // An authorized call has its vault at hand: no promise to wait for on the common path.
  return req.scope?.vault ? vaultResource(ctx, req.scope.vault) : hostVaultResource(ctx, req);
}

interface Resource {
  vault: string | null;
  resourceId: string;
}

const vaultResource = (ctx: ServerContext, vault: Vault): Resource => ({
  vault: vault.name.toLowerCase(),
  resourceId: vaultResourceId(ctx.subscriptionId, vault),
});

/** A data-plane call refused before its vault was looked up: the vault its host names, if there is one. */
async function hostVaultResource(ctx: ServerContext, req: FastifyRequest): Promise<Resource> {
  const name = parseVaultHost(req.hostname, ctx.hostnames)?.vault;
  const vault = name ? await cachedVault(ctx.store, name) : undefined;
  if (vault) return vaultResource(ctx, vault);
  return { vault: name?.toLowerCase() ?? null, resourceId: `https://${req.hostname}` };
}

/** The object a data-plane call names, as Key Vault's id: https://VAULT/secrets/NAME[/VERSION]. */
function objectId(req: FastifyRequest): string | null {
  const need = req.routeOptions.config.permission;
  const [name, version, issuer] = [routeParam(req, "name"), routeParam(req, "version"), routeParam(req, "issuer")];
  if (!need || (name === undefined && issuer === undefined)) return null;
  const base = `https://${req.host}`;
  if (issuer !== undefined) return `${base}/certificates/issuers/${issuer}`;
  return `${base}/${need.collection}/${name}${version === undefined ? "" : `/${version}`}`;
}

function describe(err: unknown, status: number): string | null {
  if (status < 400) return null;
  if (err instanceof KeyVaultError) return DESCRIBED.has(err.status) ? err.message.slice(0, 1000) : err.code;
  return STATUS_CODES[status] ?? null;
}

function apiVersion(req: FastifyRequest): string | null {
  const v = queryOf(req)["api-version"];
  return typeof v === "string" ? v.slice(0, 32) : null;
}

/** The client's x-ms-client-request-id when it is a plain id, else the server's own request id. */
function correlationId(req: FastifyRequest): string {
  const given = req.headers["x-ms-client-request-id"];
  return typeof given === "string" && /^[\w-]{1,64}$/.test(given) ? given : String(req.id);
}

/** A URL's path (its query may carry anything a client put there), bounded. */
const pathOf = (url: string) => url.split("?")[0]!.slice(0, MAX_PATH);
const MAX_PATH = 512;

function headerText(value: string | string[] | undefined, max: number): string | null {
  return typeof value === "string" ? value.slice(0, max) : null;
}
