// One vault's certificates, secrets or keys: a page at a time (following the vault's nextLink), a name filter over
// what is loaded, status chips, and each kind's actions (reveal a secret's value, rotate a key, delete).
import { useEffect, useState } from "react";
import { itemName, listAll, nextPage, vaultApi, type Page, type VaultItem } from "../api";
import { ActionButton, Chip, ConfirmButton, Problem } from "../components";
import { href } from "../router";
import { formatDate, statusesOf } from "../status";
import type { Kind } from "./VaultsPage";

function usePages(vault: string, kind: Kind, round: number) {
  const [items, setItems] = useState<VaultItem[]>([]);
  const [next, setNext] = useState<string | null | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const take = (page: Page<VaultItem>, fresh: boolean) => {
    setItems((held) => (fresh ? page.value : [...held, ...page.value]));
    setNext(page.nextLink);
    setLoading(false);
  };
  const fail = (err: unknown) => {
    setError(err);
    setLoading(false);
  };
  useEffect(() => {
    setLoading(true);
    setError(undefined);
    // Certificates still waiting for their issuer are listed too (as pending).
    const query = kind === "certificates" ? "maxresults=25&includePending=true" : "maxresults=25";
    vaultApi<Page<VaultItem>>(vault, `/${kind}?${query}`).then((page) => take(page, true), fail);
  }, [vault, kind, round]);
  const more = () => {
    if (!next) return;
    setLoading(true);
    nextPage<VaultItem>(vault, next).then((page) => take(page, false), fail);
  };
  return { items, more: next ? more : undefined, error, loading };
}

function SecretValue({ vault, name }: { vault: string; name: string }) {
  const [value, setValue] = useState<string>();
  if (value !== undefined)
    return (
      <span className="reveal">
        <code aria-label={`Value of ${name}`}>{value}</code>
        <button type="button" onClick={() => setValue(undefined)}>
          Hide
        </button>
      </span>
    );
  return (
    <ActionButton
      label="Reveal value"
      busyLabel="Revealing…"
      action={async () => setValue((await vaultApi<{ value: string }>(vault, `/secrets/${name}`)).value)}
    />
  );
}

export function ObjectList({
  vault,
  kind,
  round,
  changed,
}: {
  vault: string;
  kind: Kind;
  round: number;
  changed: () => void;
}) {
  const { items, more, error, loading } = usePages(vault, kind, round);
  const [filter, setFilter] = useState("");
  const shown = items.filter((item) => itemName(item).toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <div>
      <p className="toolbar">
        <label>
          Filter by name <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <span className="muted" aria-live="polite">
          {shown.length} of {items.length} loaded{more ? " (more on the server)" : ""}
        </span>
      </p>
      {error !== undefined && <Problem error={error} />}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{kind}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((item) => {
              const name = itemName(item);
              const pending = kind === "certificates" && !item.x5t;
              return (
                <tr key={name}>
                  <th scope="row">
                    {kind === "certificates" ? <a href={href("vaults", vault, "certificates", name)}>{name}</a> : name}
                  </th>
                  <td>
                    {statusesOf(item, { pending }).map((s) => (
                      <Chip key={s} status={s} />
                    ))}
                  </td>
                  <td>{formatDate(item.attributes.exp)}</td>
                  <td>{formatDate(item.attributes.updated)}</td>
                  <td className="actions">
                    {kind === "secrets" && <SecretValue vault={vault} name={name} />}
                    {kind === "keys" && (
                      <ActionButton
                        label="Rotate"
                        doneLabel="Rotated"
                        action={() => vaultApi(vault, `/keys/${name}/rotate`, { method: "POST" }).then(changed)}
                      />
                    )}
                    <ConfirmButton
                      label="Delete"
                      action={() => vaultApi(vault, `/${kind}/${name}`, { method: "DELETE" }).then(changed)}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {loading && <p aria-live="polite">Loading…</p>}
      {more && !loading && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
    </div>
  );
}

const DELETED: { kind: Kind; path: string }[] = [
  { kind: "certificates", path: "deletedcertificates" },
  { kind: "secrets", path: "deletedsecrets" },
  { kind: "keys", path: "deletedkeys" },
];

/** Soft-deleted certificates, secrets and keys, each with recover and purge. */
export function DeletedList({ vault, round, changed }: { vault: string; round: number; changed: () => void }) {
  const [rows, setRows] = useState<{ kind: Kind; path: string; item: VaultItem }[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setError(undefined);
    Promise.all(
      DELETED.map(async ({ kind, path }) => {
        const { items } = await listAll<VaultItem>(vault, `/${path}`);
        // A certificate's own key and secret go and come back with it: recovered and purged through it.
        return items.filter((item) => !item.managed).map((item) => ({ kind, path, item }));
      }),
    ).then((lists) => setRows(lists.flat()), setError);
  }, [vault, round]);
  if (error !== undefined) return <Problem error={error} />;
  if (!rows) return <p aria-live="polite">Loading…</p>;
  if (rows.length === 0) return <p>Nothing deleted is waiting to be purged.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Deleted</th>
            <th scope="col">Purged on</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ kind, path, item }) => {
            const name = itemName(item);
            return (
              <tr key={`${kind}/${name}`}>
                <th scope="row">
                  {name} <Chip status="deleted" />
                </th>
                <td>{kind.slice(0, -1)}</td>
                <td>{formatDate(item.deletedDate)}</td>
                <td>{formatDate(item.scheduledPurgeDate)}</td>
                <td className="actions">
                  <ActionButton
                    label="Recover"
                    busyLabel="Recovering…"
                    action={() => vaultApi(vault, `/${path}/${name}/recover`, { method: "POST" }).then(changed)}
                  />
                  <ConfirmButton
                    label="Purge"
                    action={() => vaultApi(vault, `/${path}/${name}`, { method: "DELETE" }).then(changed)}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
