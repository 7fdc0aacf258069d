// Every vault the user may read, with how many certificates, secrets and keys it holds and which expires first.
import { listAll, listVaults, itemName, vaultApi, type Vault, type VaultItem } from "../api";
import { Chip, Show, useLoad } from "../components";
import { href } from "../router";
import { formatDate, statusesOf } from "../status";

export const KINDS = ["certificates", "secrets", "keys"] as const;
export type Kind = (typeof KINDS)[number];

/** How many the vault holds of each kind: the exact numbers its lists answer with kluisCount (Kluis's extension). */
async function countsOf(vault: string): Promise<Record<Kind, number | undefined>> {
  const pages = await Promise.all(
    KINDS.map((kind) => vaultApi<{ kluisCount?: number }>(vault, `/${kind}?maxresults=1&kluisCount=true`)),
  );
  return Object.fromEntries(KINDS.map((kind, i) => [kind, pages[i]!.kluisCount])) as Record<Kind, number | undefined>;
}

/** The soonest expiry among the first 1,000 of each kind (a vault has no list by expiry), apart from the counts. */
async function soonestOf(vault: string): Promise<{ name: string; item: VaultItem } | undefined> {
  const lists = await Promise.all(KINDS.map((kind) => listAll<VaultItem>(vault, `/${kind}`)));
  let soonest: { name: string; item: VaultItem } | undefined;
  for (const item of lists.flatMap((l) => l.items)) {
    const exp = item.attributes.exp;
    if (exp !== undefined && (!soonest || exp < soonest.item.attributes.exp!)) soonest = { name: itemName(item), item };
  }
  return soonest;
}

function VaultRow({ vault }: { vault: Vault }) {
  const counts = useLoad(() => countsOf(vault.name), [vault.name]);
  const summary = useLoad(async () => ({ soonest: await soonestOf(vault.name) }), [vault.name]);
  const cells = summary.data;
  const refusal = counts.error ?? summary.error;
  return (
    <tr>
      <th scope="row">
        <a href={href("vaults", vault.name)}>{vault.name}</a>
      </th>
      <td className="wide-only">{vault.properties.enableRbacAuthorization ? "roles" : "access policies"}</td>
      {refusal !== undefined ? (
        <td colSpan={4} className="muted">
          {refusal instanceof Error ? refusal.message : "unavailable"}
        </td>
      ) : (
        <>
          {KINDS.map((kind) => (
            <td key={kind} className="number">
              {counts.data ? (
                <a href={href("vaults", vault.name, kind)}>{counts.data[kind]?.toLocaleString("en") ?? "?"}</a>
              ) : (
                "…"
              )}
            </td>
          ))}
          <td>
            {cells?.soonest ? (
              <>
                {cells.soonest.name} {formatDate(cells.soonest.item.attributes.exp)}{" "}
                {statusesOf(cells.soonest.item)
                  .filter((s) => s === "expired" || s === "expiring")
                  .map((s) => (
                    <Chip key={s} status={s} />
                  ))}
              </>
            ) : (
              cells && "—"
            )}
          </td>
        </>
      )}
    </tr>
  );
}

export function VaultsPage() {
  const vaults = useLoad(listVaults, []);
  return (
    <section>
      <h1>Vaults</h1>
      <Show loaded={vaults}>
        {(list) =>
          list.length === 0 ? (
            <p>No vaults are visible to you.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Vault</th>
                    <th scope="col" className="wide-only">
                      Access by
                    </th>
                    <th scope="col">Certificates</th>
                    <th scope="col">Secrets</th>
                    <th scope="col">Keys</th>
                    <th scope="col">Soonest expiry</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((v) => (
                    <VaultRow key={v.id} vault={v} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}
