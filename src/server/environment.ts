// The `export` lines a client shell needs to reach this server with the official SDKs.
import type { ServerInfo } from "./data-dir.js";

const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;

/**
 * With the CONNECT proxy, everything (vault hosts and login.microsoftonline.com) goes through HTTPS_PROXY, so the
 * SDKs' defaults work with the server's tenant. Without it, the SDKs reach the token endpoint directly on this
 * server's port, using tenant `adfs` (which skips MSAL's instance discovery on login.microsoftonline.com).
 */
export function clientEnvironment(info: ServerInfo): string {
  const vars: [string, string][] = [
    ["REQUESTS_CA_BUNDLE", info.caFile],
    ["NODE_EXTRA_CA_CERTS", info.caFile],
    ["KLUIS_URL", info.url],
  ];
  if (info.proxyPort) {
    vars.push(["HTTPS_PROXY", `http://127.0.0.1:${info.proxyPort}`], ["AZURE_TENANT_ID", info.tenantId]);
  } else {
    vars.push(["AZURE_AUTHORITY_HOST", info.url], ["AZURE_TENANT_ID", "adfs"]);
  }
  return vars.map(([k, v]) => `export ${k}=${quote(v)}`).join("\n");
}
