// Raw HTTPS requests to a vault of a test server, for what the SDKs never send (no token, bad JSON, bad names).
import { Agent, request } from "node:https";
import { readFileSync } from "node:fs";
import type { Kluis, ServicePrincipal } from "./kluis.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** Keep-alive connections to a test server, trusting its CA, for tests that send many requests. */
export function keepAliveAgent(kluis: Kluis, maxSockets = 16): Agent {
  return new Agent({ keepAlive: true, maxSockets, ca: readFileSync(kluis.caFile) });
}

/**
 * Sends a request to `https://{host}{path}` (host e.g. "myvault.localhost"), connecting to the server on loopback:
 * on a connection of its own, or of `agent`. A header set to undefined is left out.
 */
export function rawRequest(
  kluis: Kluis,
  host: string,
  method: string,
  path: string,
  opts: {
    token?: string;
    body?: string | Buffer;
    headers?: Record<string, string | undefined>;
    timeoutMs?: number;
  } & Connection = {},
): Promise<RawResponse> {
  const headers: Record<string, string | undefined> = {
    host: `${host}:${kluis.info.port}`,
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
    ...opts.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === undefined) delete headers[k];
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: kluis.info.port,
        servername: host,
        method,
        path,
        ca: readFileSync(kluis.caFile),
        agent: opts.agent,
        localAddress: opts.localAddress,
        headers: headers as Record<string, string>,
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on("error", reject);
    // A server that hangs fails the request instead of the test runner's whole timeout.
    if (opts.timeoutMs !== undefined)
      req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.end(opts.body);
  });
}

/** How a request reaches the server: which agent's connections, from which loopback address (e.g. 127.0.0.2). */
export interface Connection {
  agent?: Agent;
  localAddress?: string;
}

/** Client-credentials token from the server's token endpoint, as a form POST. */
export async function fetchToken(
  kluis: Kluis,
  sp: Pick<ServicePrincipal, "appId" | "password">,
  scope = "https://vault.azure.net/.default",
  connection: Connection = {},
): Promise<RawResponse> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: sp.appId,
    client_secret: sp.password,
    scope,
  });
  return rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
    body: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    ...connection,
  });
}

export async function accessToken(kluis: Kluis, sp: Pick<ServicePrincipal, "appId" | "password">): Promise<string> {
  const res = await fetchToken(kluis, sp);
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/**
 * What a person does in a browser for a device code sign-in: opens the page at `url` (as printed), and posts the code
 * with their user name and password, the page's CSRF token and cookie. Returns the page's answer.
 */
export async function enterDeviceCode(
  kluis: Kluis,
  url: URL,
  code: string,
  username: string,
  password: string,
): Promise<RawResponse> {
  const page = await rawRequest(kluis, url.hostname, "GET", url.pathname);
  const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body as string)![1]!;
  return rawRequest(kluis, url.hostname, "POST", url.pathname, {
    body: new URLSearchParams({ csrf, otc: code, username, password }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: url.origin },
  });
}

/**
 * What a person does in a browser on the authorization endpoint: opens the page at `path` (an authorize URL's path and
 * query) on `localhost`, and posts their user name and password with the page's CSRF token and cookie. Returns the
 * answer: a redirect (or form_post page) to the client, or the page again with a message.
 */
export async function signInOnAuthorizePage(
  kluis: Kluis,
  path: string,
  username: string,
  password: string,
): Promise<RawResponse> {
  const page = await rawRequest(kluis, "localhost", "GET", path);
  if (page.status !== 200) throw new Error(`the sign-in page answered ${page.status}: ${String(page.body)}`);
  const cookie = String(page.headers["set-cookie"]).split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body as string)![1]!;
  const action = /<form method="post" action="([^"]+)"/.exec(page.body as string)![1]!.replaceAll("&#38;", "&");
  return rawRequest(kluis, "localhost", "POST", action, {
    body: new URLSearchParams({ csrf, username, password }).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie,
      origin: `https://localhost:${kluis.info.port}`,
    },
  });
}
