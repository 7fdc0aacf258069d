// Every vault the user may read, with how many certificates, secrets and keys it holds and which expires first.
import { listAll, listVaults, itemName, type Vault, type VaultItem } from "../api";
import { Chip, Show, useLoad } from "../components";
import { href } from "../router";
import { formatDate, statusesOf } from "../status";

export const KINDS = ["certificates", "secrets", "keys"] as const;
export type Kind = (typeof KINDS)[number];

interface Summary {
  counts: Record<Kind, string>;
  soonest?: { name: string; item: VaultItem };
}

/** Counts from the vault's lists (up to 1,000 of each kind, "1000+" past that); the soonest expiry of them all. */
async function summarize(vault: string): Promise<Summary> {
  const lists = await Promise.all(KINDS.map((kind) => listAll<VaultItem>(vault, `/${kind}`)));
  const counts = Object.fromEntries(
    KINDS.map((kind, i) => [kind, `${lists[i]!.items.length}${lists[i]!.more ? "+" : ""}`]),
  ) as Record<Kind, string>;
  let soonest: Summary["soonest"];
  for (const item of lists.flatMap((l) => l.items)) {
    const exp = item.attributes.exp;
    if (exp !== undefined && (!soonest || exp < soonest.item.attributes.exp!)) soonest = { name: itemName(item), item };
  }
  return { counts, soonest };
}

function VaultRow({ vault }: { vault: Vault }) {
  const summary = useLoad(() => summarize(vault.name), [vault.name]);
  const cells = summary.data;
  return (
    <tr>
      <th scope="row">
        <a href={href("vaults", vault.name)}>{vault.name}</a>
      </th>
      <td className="wide-only">{vault.properties.enableRbacAuthorization ? "roles" : "access policies"}</td>
      {summary.error !== undefined ? (
        <td colSpan={4} className="muted">
          {summary.error instanceof Error ? summary.error.message : "unavailable"}
        </td>
      ) : (
        <>
          {KINDS.map((kind) => (
            <td key={kind} className="number">
              {cells ? <a href={href("vaults", vault.name, kind)}>{cells.counts[kind]}</a> : "…"}
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
