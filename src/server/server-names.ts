// The host names Kluis answers to. One list serves both the CONNECT proxy (which sends these names to Kluis) and
// the server certificate (which names them), so every name the proxy routes is one the certificate covers.
import { isIP } from "node:net";

/** Azure's names: vaults, the token endpoint, ARM, and Graph (the Azure CLI asks Graph who is signed in). */
const AZURE_NAMES = ["*.vault.azure.net", "login.microsoftonline.com", "management.azure.com", "graph.microsoft.com"];
const LOCAL_NAMES = ["localhost", "127.0.0.1", "::1", "*.localhost"];

/** Names the server certificate must cover: the fixed ones plus each --hostname and its subdomains. */
export function serverNames(hostnames: readonly string[]): string[] {
  return [...new Set([...LOCAL_NAMES, ...AZURE_NAMES, ...hostnames.flatMap((h) => (isIP(h) ? [h] : [h, `*.${h}`]))])];
}

/** Whether `host` is `name`, or one label under it when `name` is a wildcard (as a TLS client matches it). */
export function matchesName(host: string, name: string): boolean {
  const h = host.toLowerCase();
  if (!name.startsWith("*.")) return h === name.toLowerCase();
  const suffix = name.slice(1).toLowerCase();
  return h.endsWith(suffix) && h.length > suffix.length && !h.slice(0, -suffix.length).includes(".");
}
