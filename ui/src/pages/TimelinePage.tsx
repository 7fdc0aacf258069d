// When certificates, secrets and keys expire, across every vault the user may read: a hand-drawn SVG timeline of
// the coming year (what has expired sits at its left edge), and the same as a table for screen readers and search.
import { itemName, listAll, listVaults, type VaultItem } from "../api";
import { Chip, Show, useLoad } from "../components";
import { href } from "../router";
import { daysUntil, formatDate, statusesOf } from "../status";
import { KINDS, type Kind } from "./VaultsPage";

interface Expiry {
  vault: string;
  kind: Kind;
  name: string;
  item: VaultItem;
}

const DAYS = 365;
const WIDTH = 960;
const ROW = 22;
const LEFT = 10;

async function expiries(): Promise<{ rows: Expiry[]; unreadable: string[] }> {
  const vaults = await listVaults();
  const unreadable: string[] = [];
  const perVault = await Promise.all(
    vaults.map(async (v) => {
      const lists = await Promise.all(
        KINDS.map((kind) =>
          listAll<VaultItem>(v.name, `/${kind}`).then(
            ({ items }) => items.map((item) => ({ vault: v.name, kind, name: itemName(item), item })),
            () => {
              unreadable.push(`${v.name} ${kind}`);
              return [];
            },
          ),
        ),
      );
      return lists.flat();
    }),
  );
  // A certificate's own key and secret expire with it: the certificate stands for them.
  const rows = perVault.flat().filter((r) => r.item.attributes.exp !== undefined && !r.item.managed);
  rows.sort((a, b) => a.item.attributes.exp! - b.item.attributes.exp!);
  return { rows, unreadable };
}

function Chart({ rows }: { rows: Expiry[] }) {
  const now = Date.now();
  const x = (exp: number) =>
    LEFT + (Math.min(Math.max(daysUntil(exp, now), 0), DAYS) / DAYS) * (WIDTH - 2 * LEFT - 200);
  const shown = rows.slice(0, 60);
  const height = 40 + shown.length * ROW;
  const months = Array.from({ length: 13 }, (_, i) => i);
  return (
    <svg className="timeline" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="timeline-title">
      <title id="timeline-title">Expiry dates over the coming year</title>
      {months.map((m) => {
        const at = LEFT + (m / 12) * (WIDTH - 2 * LEFT - 200);
        const d = new Date(now);
        d.setUTCMonth(d.getUTCMonth() + m);
        return (
          <g key={m}>
            <line x1={at} x2={at} y1={20} y2={height} className="grid" />
            <text x={at + 2} y={14} className="axis">
              {d.toISOString().slice(0, 7)}
            </text>
          </g>
        );
      })}
      {shown.map((r, i) => {
        const y = 34 + i * ROW;
        const status = statusesOf(r.item).find((s) => s === "expired" || s === "expiring") ?? "enabled";
        const cx = x(r.item.attributes.exp!);
        return (
          <g key={`${r.vault}/${r.kind}/${r.name}`}>
            <line x1={LEFT} x2={cx} y1={y} y2={y} className="bar" />
            <circle cx={cx} cy={y} r={6} className={`dot dot-${status}`}>
              <title>{`${r.vault} / ${r.name}: ${formatDate(r.item.attributes.exp)}`}</title>
            </circle>
            <text x={cx + 10} y={y + 4} className="label">
              {`${r.name} (${r.vault}) ${formatDate(r.item.attributes.exp)}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function TimelinePage() {
  const loaded = useLoad(expiries, []);
  return (
    <section>
      <h1>Expiry timeline</h1>
      <Show loaded={loaded}>
        {({ rows, unreadable }) => (
          <>
            {unreadable.length > 0 && (
              <p className="note">Not shown (no permission to list): {unreadable.join(", ")}.</p>
            )}
            {rows.length === 0 ? (
              <p>Nothing you can see has an expiry date.</p>
            ) : (
              <>
                <div className="chart-wrap">
                  <Chart rows={rows} />
                </div>
                <div className="table-wrap">
                  <table>
                    <caption>Everything that expires, soonest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Vault</th>
                        <th scope="col">Kind</th>
                        <th scope="col">Expires</th>
                        <th scope="col">Status</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((r) => (
                        <tr key={`${r.vault}/${r.kind}/${r.name}`}>
                          <th scope="row">
                            {r.kind === "certificates" ? (
                              <a href={href("vaults", r.vault, "certificates", r.name)}>{r.name}</a>
                            ) : (
                              r.name
                            )}
                          </th>
                          <td>{r.vault}</td>
                          <td>{r.kind.slice(0, -1)}</td>
                          <td>
                            {formatDate(r.item.attributes.exp)} ({daysUntil(r.item.attributes.exp!)} days)
                          </td>
                          <td>
                            {statusesOf(r.item).map((s) => (
                              <Chip key={s} status={s} />
                            ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </Show>
    </section>
  );
}
