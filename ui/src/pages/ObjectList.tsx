// One vault's certificates, secrets or keys: a page at a time (following the vault's nextLink), a name search the
// vault answers over all of them (Kluis's kluisSearch, typed text sent after a pause) with the exact count
// (kluisCount), status chips, and each kind's actions (reveal a secret's value, rotate a key, delete).
import { useEffect, useRef, useState } from "react";
import { itemName, listAll, nextPage, vaultApi, type Page, type VaultItem } from "../api";
import { ActionButton, Chip, ConfirmButton, Problem } from "../components";
import { href } from "../router";
import { formatDate, statusesOf } from "../status";
import type { Kind } from "./VaultsPage";

/** How long typing must pause before the search goes to the vault. */
const SEARCH_PAUSE_MS = 300;
/** What the vault accepts as kluisSearch: a name's characters (the empty text lists everything). */
const SEARCHABLE = /^[0-9a-zA-Z-]{0,127}$/;

/** `value`, once it has stayed the same for `ms`. */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

interface Listing extends Page<VaultItem> {
  kluisCount?: number;
}

function usePages(vault: string, kind: Kind, round: number, search: string) {
  const [items, setItems] = useState<VaultItem[]>([]);
  const [next, setNext] = useState<string | null | undefined>();
  const [count, setCount] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  // Answers to an earlier search or vault are dropped: only the latest list's pages are shown.
  const latest = useRef(0);
  const run = (load: Promise<Listing>, fresh: boolean) => {
    const list = fresh ? ++latest.current : latest.current;
    setLoading(true);
    load.then(
      (page) => {
        if (list !== latest.current) return;
        setItems((held) => (fresh ? page.value : [...held, ...page.value]));
        setNext(page.nextLink);
        if (fresh) setCount(page.kluisCount);
        setLoading(false);
      },
      (err: unknown) => {
        if (list !== latest.current) return;
        setError(err);
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    setError(undefined);
    const query = new URLSearchParams({ maxresults: "25", kluisCount: "true" });
    // Certificates still waiting for their issuer are listed too (as pending).
    if (kind === "certificates") query.set("includePending", "true");
    if (search) query.set("kluisSearch", search);
    run(vaultApi<Listing>(vault, `/${kind}?${query}`), true);
  }, [vault, kind, round, search]);
  const more = () => {
    if (next) run(nextPage<VaultItem>(vault, next), false);
  };
  return { items, count, more: next ? more : undefined, error, loading };
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
  const [filter, setFilter] = useState("");
  const typed = filter.trim();
  const valid = SEARCHABLE.test(typed);
  const settled = useSettled(valid ? typed : "", SEARCH_PAUSE_MS);
  const { items, count, more, error, loading } = usePages(vault, kind, round, settled);
  const total =
    count === undefined ? "" : ` of ${count.toLocaleString("en")}${settled ? ` matching “${settled}”` : ""}`;
  return (
    <div>
      <p className="toolbar">
        <label>
          Search by name{" "}
          <input
            type="search"
            value={filter}
            maxLength={127}
            aria-invalid={!valid}
            aria-describedby={valid ? undefined : "search-problem"}
            onChange={(e) => setFilter(e.target.value)}
          />
        </label>
        <span className="muted" aria-live="polite">
          {items.length}
          {total} shown{more ? " (more on the server)" : ""}
        </span>
      </p>
      {!valid && (
        <p id="search-problem" role="alert">
          Names hold only letters, digits and hyphens: a search for anything else finds nothing.
        </p>
      )}
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
            {items.map((item) => {
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
