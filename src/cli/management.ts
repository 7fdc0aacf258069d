// The ARM and service-principal calls the CLI makes, as the identity it acts as.
import { MANAGEMENT_AUDIENCE } from "../identity/tokens.js";
import { accessToken, callApi, claimsOf, type Connection } from "./client.js";
import { CliError } from "./errors.js";
import { listIn, objectIn, stringIn } from "./answers.js";

const ARM_API_VERSION = "2023-07-01";
const SCOPE = `${MANAGEMENT_AUDIENCE}/.default`;

/** ARM's Microsoft.KeyVault/deletedVaults resource. */
export interface DeletedVault {
  id: string;
  name: string;
  properties: {
    vaultId: string;
    location: string;
    deletionDate: string;
    scheduledPurgeDate: string;
    purgeProtectionEnabled: boolean;
  };
}

export class Management {
  private subscription?: string;
  constructor(readonly conn: Connection) {}

  call(method: string, path: string, body?: unknown): Promise<unknown> {
    const sep = path.includes("?") ? "&" : "?";
    return callApi(this.conn, SCOPE, method, `${this.conn.url}${path}${sep}api-version=${ARM_API_VERSION}`, body);
  }

  async subscriptionId(): Promise<string> {
    if (!this.subscription) {
      // As az says it: a principal that may manage nothing sees no subscription.
      const first = listIn(await this.call("GET", "/subscriptions"))[0];
      if (!first)
        throw new CliError(
          "No subscriptions found for the signed-in identity: management commands need the administrator ('kluis logout' to act as it on the server's machine).",
        );
      this.subscription = stringIn(first, "subscriptionId");
    }
    return this.subscription;
  }

  async vaultPath(name: string, resourceGroup: string): Promise<string> {
    return `/subscriptions/${await this.subscriptionId()}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${name}`;
  }

  /** The vault's resource group, found by listing (as `az keyvault show --name` does without --resource-group). */
  async findVault(
    name: string,
  ): Promise<{ id: string; properties: Record<string, unknown> } & Record<string, unknown>> {
    const list = listIn(
      await this.call("GET", `/subscriptions/${await this.subscriptionId()}/providers/Microsoft.KeyVault/vaults`),
    );
    const vault = list.find((v) => stringIn(v, "name").toLowerCase() === name.toLowerCase());
    if (!vault) throw new Error(`The Vault '${name}' not found within subscription.`);
    return { ...vault, id: stringIn(vault, "id"), properties: objectIn(vault.properties) };
  }

  async deletedVaults(): Promise<DeletedVault[]> {
    return (
      (await this.call(
        "GET",
        `/subscriptions/${await this.subscriptionId()}/providers/Microsoft.KeyVault/deletedVaults`,
      )) as { value: DeletedVault[] }
    ).value;
  }

  async findDeletedVault(name: string): Promise<DeletedVault> {
    const vault = (await this.deletedVaults()).find((v) => v.name.toLowerCase() === name.toLowerCase());
    if (!vault) throw new Error(`No deleted vault named '${name}' was found in this subscription.`);
    return vault;
  }

  /** The object id of who the CLI acts as (an application's service principal, or a user), as its token names it. */
  async signedInObjectId(): Promise<string> {
    const oid = claimsOf(await accessToken(this.conn, SCOPE)).oid;
    if (typeof oid !== "string") throw new CliError("The server's token names no object id.");
    return oid;
  }

  async servicePrincipal(appId: string): Promise<{ appId: string; id: string; displayName: string }> {
    const sp = await this.call("GET", `/kluis/servicePrincipals/${encodeURIComponent(appId)}`);
    return {
      ...objectIn(sp),
      appId: stringIn(sp, "appId"),
      id: stringIn(sp, "id"),
      displayName: stringIn(sp, "displayName"),
    };
  }
}
