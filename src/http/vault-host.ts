// Which vault a request addresses: the first label of the host name, as in NAME.vault.azure.net.
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"];
const AZURE_VAULT_DOMAIN = "vault.azure.net";

export const DEFAULT_VAULT = "default";

/** Domains under which NAME.<domain> addresses vault NAME: Azure's, localhost, and the server's own host names. */
export const vaultDomains = (serverHostnames: readonly string[]) => [
  AZURE_VAULT_DOMAIN,
  "localhost",
  ...serverHostnames,
];

export interface VaultHost {
  vault: string;
  /** The domain the vault name sits under, or undefined for a bare server host (the default vault). */
  domain?: string;
}

/** Whether a host name addresses the server itself (loopback or a --hostname), not a vault under it. */
export const isServerHost = (hostname: string, serverHostnames: readonly string[] = []) =>
  LOOPBACK_HOSTS.includes(hostname.toLowerCase()) || serverHostnames.includes(hostname.toLowerCase());

/** The vault a host name designates, or undefined for hosts that address no vault (login.microsoftonline.com). */
export function parseVaultHost(hostname: string, serverHostnames: readonly string[] = []): VaultHost | undefined {
  const host = hostname.toLowerCase();
  if (isServerHost(host, serverHostnames)) return { vault: DEFAULT_VAULT };
  for (const domain of vaultDomains(serverHostnames)) {
    if (host.endsWith(`.${domain}`)) {
      const label = host.slice(0, -domain.length - 1);
      if (!label.includes(".")) return { vault: label, domain };
    }
  }
  return undefined;
}

/**
 * The `resource` of Key Vault's challenge. The SDKs require the vault host to end with "." + the resource's host,
 * so a vault under a domain of our own names that domain; everything else names Azure's.
 */
export function challengeResource(host: VaultHost): string {
  return `https://${host.domain ?? AZURE_VAULT_DOMAIN}`;
}
