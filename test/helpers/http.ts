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
  opts: { token?: string; body?: string | Buffer; headers?: Record<string, string | undefined>; agent?: Agent } = {},
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
        ...(opts.agent ? { agent: opts.agent } : { ca: readFileSync(kluis.caFile) }),
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
    req.end(opts.body);
  });
}

/** Client-credentials token from the server's token endpoint, as a form POST. */
export async function fetchToken(kluis: Kluis, sp: Pick<ServicePrincipal, "appId" | "password">, scope = "https://vault.azure.net/.default"): Promise<RawResponse> {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: sp.appId, client_secret: sp.password, scope });
  return rawRequest(kluis, "localhost", "POST", `/${kluis.info.tenantId}/oauth2/v2.0/token`, {
    body: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

export async function accessToken(kluis: Kluis, sp: Pick<ServicePrincipal, "appId" | "password">): Promise<string> {
  const res = await fetchToken(kluis, sp);
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}
