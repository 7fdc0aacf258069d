// How the CLI reaches a server: its URL and CA from --server/KLUIS_URL or the data directory, a token from the
// server's own token endpoint (the `kluis login` identity, else the administrator credential), and JSON over HTTPS.
import { lookup } from "node:dns";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import type { Command } from "commander";
import { dataDir, defaultDataDir, runningServer, type AdminCredential, type ServerInfo } from "../server/data-dir.js";
import { isJsonObject } from "../http/body.js";
import { CliError } from "./errors.js";
import { keepRefreshToken, readProfile, type Profile } from "./profile.js";

/** An application's client credentials, or a person's sign-in (the refresh token `kluis login` got for them). */
export type Credential =
  { clientId: string; clientSecret: string } | { userPrincipalName: string; refreshToken: string };

export interface Connection {
  url: string;
  ca?: string;
  tenantId: string;
  credential: Credential;
}

/** az's public client id: a person signs in to Kluis through it, as `az login` does to Entra. */
export const CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** What a person's token requests ask for besides the resource: a refresh token, and the id_token naming them. */
export const USER_SCOPES = "offline_access openid profile";

export interface ConnectionOptions {
  server?: string;
  dataDir?: string;
}

/** Adds the options every command that talks to a server takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option(
      "--server <url>",
      "server URL (env KLUIS_URL; default: the one signed in to with kluis login, else the running server of --data-dir)",
    )
    .option(
      "--data-dir <dir>",
      "data directory holding the server's CA and administrator credential (env KLUIS_DATA_DIR)",
    );
}

/** The server a command talks to and the CA it trusts, before any credential. */
export function serverOf(
  opts: ConnectionOptions,
  env = process.env,
): Omit<Connection, "credential" | "tenantId"> & { info?: ServerInfo; admin?: AdminCredential; profile?: Profile } {
  const dir = dataDir(opts.dataDir ?? defaultDataDir(env));
  const info = runningServer(dir);
  const profile = readProfile(env);
  // The server signed in to comes before the data directory's: a login names its server, as az's names its cloud.
  const url = (opts.server ?? env.KLUIS_URL ?? profile?.server ?? info?.url)?.replace(/\/$/, "");
  if (!url)
    throw new CliError(
      `No server found: pass --server, set KLUIS_URL, or start one with 'kluis server start --data-dir ${dir.root}'.`,
    );
  const caFile = env.KLUIS_CA_FILE ?? (existsSync(dir.caCert) ? dir.caCert : undefined);
  const admin = existsSync(dir.adminCredential)
    ? (JSON.parse(readFileSync(dir.adminCredential, "utf8")) as AdminCredential)
    : undefined;
  return { url, ca: caFile && readFileSync(caFile, "utf8"), info, admin, profile };
}

/**
 * The server and who the CLI acts as: the identity of `kluis login` (sent to the server signed in to only), else the
 * administrator credential of the data directory. AZURE_CLIENT_ID/SECRET are a program's settings, not the CLI's.
 */
export function connect(opts: ConnectionOptions, env = process.env): Connection {
  const { url, ca, info, admin, profile } = serverOf(opts, env);
  if (profile) {
    if (profile.server !== url) {
      throw new CliError(
        `Signed in to ${profile.server}, not ${url}: run 'kluis login' for it, or 'kluis logout' to act as the administrator of the server's data directory.`,
      );
    }
    const credential: Credential =
      profile.user.type === "user"
        ? { userPrincipalName: profile.user.name, refreshToken: profile.user.refreshToken }
        : { clientId: profile.user.name, clientSecret: profile.user.clientSecret };
    return { url, ca, tenantId: profile.tenantId, credential };
  }
  if (!admin)
    throw new CliError(
      "Please run 'kluis login' to setup account (or run on the server's data directory, whose administrator the CLI then acts as).",
    );
  return {
    url,
    ca,
    tenantId: info?.tenantId ?? admin.tenant,
    credential: { clientId: admin.appId, clientSecret: admin.password },
  };
}

interface HttpResult {
  status: number;
  body: unknown;
}

/** Resolves NAME.localhost as localhost (RFC 6761, as browsers and curl do), so vault URLs work without a hosts entry. */
const localhostLookup: typeof lookup = ((hostname: string, options: object, callback: never) =>
  lookup(hostname.endsWith(".localhost") ? "localhost" : hostname, options, callback)) as typeof lookup;

export function httpRequest(
  conn: Pick<Connection, "ca">,
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: opts.headers, lookup: localhostLookup, ...(conn.ca ? { ca: conn.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", (err) => reject(new CliError(`Cannot reach ${new URL(url).origin}: ${err.message}`)));
    req.end(opts.body);
  });
}

/** The token endpoint's answer, or (for an error) Entra's error and description. */
export interface TokenAnswer {
  status: number;
  access_token?: string;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

/** One request to the server's token (or device code) endpoint, in the connection's tenant. */
export async function tokenEndpoint(
  conn: Pick<Connection, "url" | "ca" | "tenantId">,
  path: "token" | "devicecode",
  fields: Record<string, string>,
): Promise<TokenAnswer & Record<string, unknown>> {
  const res = await httpRequest(conn, "POST", `${conn.url}/${conn.tenantId}/oauth2/v2.0/${path}`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  const body = isJsonObject(res.body) ? res.body : {};
  return { ...body, status: res.status };
}

/** Entra's error description on one line (its own may go on with a trace id). */
export const tokenError = (answer: TokenAnswer) =>
  answer.error_description?.split(/\r?\n/)[0] ?? `token request failed (${answer.status})`;

/** The claims of a token the server issued (read for what it says about the caller; the server checks it). */
export function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const tokenCache = new Map<string, string>();

/** Seeds the cache with a token just got (a sign-in's first access token), so the command does not ask again. */
export const rememberToken = (scope: string, token: string) => tokenCache.set(scope, token);

export async function accessToken(conn: Connection, scope: string): Promise<string> {
  const cached = tokenCache.get(scope);
  if (cached) return cached;
  const c = conn.credential;
  const answer =
    "refreshToken" in c
      ? await tokenEndpoint(conn, "token", {
          grant_type: "refresh_token",
          client_id: CLI_CLIENT_ID,
          refresh_token: c.refreshToken,
          scope: `${scope} ${USER_SCOPES}`,
        })
      : await tokenEndpoint(conn, "token", {
          grant_type: "client_credentials",
          client_id: c.clientId,
          client_secret: c.clientSecret,
          scope,
        });
  if ("refreshToken" in c && answer.error === "invalid_grant") {
    // The user was deleted or disabled, its password reset, or its sign-in too old: only a new sign-in helps.
    throw new CliError(
      `The sign-in of ${c.userPrincipalName} is no longer valid (${tokenError(answer)}): run 'kluis login' again.`,
    );
  }
  if (answer.status !== 200 || typeof answer.access_token !== "string") throw new CliError(tokenError(answer));
  if ("refreshToken" in c && typeof answer.refresh_token === "string") {
    c.refreshToken = answer.refresh_token;
    keepRefreshToken(conn.url, c.userPrincipalName, c.refreshToken);
  }
  tokenCache.set(scope, answer.access_token);
  return answer.access_token;
}

/** Calls the server with a bearer token and returns the JSON body, or throws the server's error message. */
export async function callApi(
  conn: Connection,
  scope: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<unknown> {
  const token = await accessToken(conn, scope);
  const res = await httpRequest(conn, method, url, {
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400) {
    const error = isJsonObject(res.body) ? res.body.error : undefined;
    const message = isJsonObject(error) && typeof error.message === "string" ? error.message : undefined;
    throw new CliError(message ?? `request failed with status ${res.status}`, res.status);
  }
  return res.body;
}
