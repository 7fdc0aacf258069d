// What the pages share: status chips, the refusal and error box, loading with useLoad, and small form parts.
import { useCallback, useEffect, useId, useState, type ReactNode } from "react";
import { ApiError, resolvePrincipal } from "./api";
import type { Status } from "./status";

export function Chip({ status }: { status: Status }) {
  return <span className={`chip chip-${status}`}>{status}</span>;
}

/** A refused call says so plainly, with the service's own message (which names the missing permission). */
export function Problem({ error }: { error: unknown }) {
  const refused = error instanceof ApiError && (error.status === 403 || error.status === 401);
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className={refused ? "problem refused" : "problem"} role="alert">
      <strong>{refused ? "Access denied" : "Something went wrong"}</strong>
      {refused && <p>You do not have permission to do this. Ask an administrator of this vault for access.</p>}
      <p className="detail">{message}</p>
    </div>
  );
}

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when its inputs change (and on reload), keeping what it answered or threw. */
export function useLoad<T>(load: () => Promise<T>, inputs: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const run = useCallback(load, inputs);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [run, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/** Shows the data when there, else the loading text or the problem. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error !== undefined) return <Problem error={loaded.error} />;
  if (loaded.data === undefined) return <p aria-live="polite">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

/** A button that runs an action, shows its progress, and shows its refusal beside it. */
export function ActionButton({
  label,
  busyLabel,
  doneLabel,
  action,
  className,
}: {
  label: string;
  busyLabel?: string;
  /** Said (to screen readers too) once the action succeeded. */
  doneLabel?: string;
  action: () => Promise<unknown>;
  className?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setDone(false);
          setError(undefined);
          action().then(
            () => {
              setBusy(false);
              setDone(true);
            },
            (err: unknown) => {
              setBusy(false);
              setError(err);
            },
          );
        }}
      >
        {busy ? (busyLabel ?? `${label}…`) : label}
      </button>
      {done && doneLabel && <span role="status">{doneLabel}</span>}
      {error !== undefined && <Problem error={error} />}
    </span>
  );
}

/** Deleting takes two clicks: the first asks, the second does it. */
export function ConfirmButton({ label, action }: { label: string; action: () => Promise<unknown> }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span className="confirm">
      <ActionButton label={`Confirm ${label.toLowerCase()}`} className="danger" action={action} />
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A form naming a user (by sign-in name) or an application (by id); `submit` gets its object id. */
export function PrincipalForm({
  title,
  submitLabel,
  hint,
  submit,
  children,
}: {
  title: string;
  submitLabel: string;
  hint?: string;
  submit: (objectId: string) => Promise<unknown>;
  children?: ReactNode;
}) {
  const id = useId();
  const [who, setWho] = useState("");
  const [error, setError] = useState<unknown>();
  return (
    <form
      className="card"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        resolvePrincipal(who)
          .then(submit)
          .then(() => setWho(""), setError);
      }}
    >
      <h2>{title}</h2>
      {children}
      <p className="field">
        <label htmlFor={id}>User sign-in name or application id</label>
        <input id={id} required value={who} onChange={(e) => setWho(e.target.value)} />
        {hint && <small>{hint}</small>}
      </p>
      <button type="submit" className="primary">
        {submitLabel}
      </button>
      {error !== undefined && <Problem error={error} />}
    </form>
  );
}
