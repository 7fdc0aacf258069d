// The forms that add to a vault: a certificate from a policy, a secret, a key.
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { vaultApi } from "../api";
import { Problem } from "../components";

/** A form that runs `submit` once at a time and shows its refusal; `done` hears of success. */
function Form({
  title,
  submitLabel,
  submit,
  children,
}: {
  title: string;
  submitLabel: string;
  submit: () => Promise<string>;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [message, setMessage] = useState<string>();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    submit().then(
      (text) => {
        setBusy(false);
        setMessage(text);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <form onSubmit={onSubmit} aria-label={title} className="card">
      <h2>{title}</h2>
      {children}
      <p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Working…" : submitLabel}
        </button>
      </p>
      {message && <p role="status">{message}</p>}
      {error !== undefined && <Problem error={error} />}
    </form>
  );
}

function Field({ label, children, hint }: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId();
  return (
    <p className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small>{hint}</small>}
    </p>
  );
}

/** An object name, as Key Vault allows it. */
function NameField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <Field label="Name" hint="Letters, digits and dashes.">
      {(id) => (
        <input
          id={id}
          required
          pattern="[0-9a-zA-Z-]{1,127}"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

const KEY_TYPES = ["RSA-2048", "RSA-3072", "RSA-4096", "EC-P-256", "EC-P-384"];

/** RSA-2048 or EC-P-256 as Key Vault's kty and key_size or crv. */
function keyProperties(keyType: string) {
  const [kty, size] = keyType.split(/-(.*)/) as [string, string];
  return kty === "EC" ? { kty, crv: size } : { kty, key_size: Number(size) };
}

function KeyTypeField({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {KEY_TYPES.map((t) => (
            <option key={t} value={t}>
              {t.replace("-", " ")}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a certificate's creation to finish (self-signed ones finish at once; others may take a while). */
async function awaitIssuance(vault: string, name: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const op = await vaultApi<{ status: string; status_details?: string; error?: { message: string } }>(
      vault,
      `/certificates/${name}/pending`,
    );
    if (op.status === "completed") return `Certificate ${name} was created.`;
    if (op.status !== "inProgress") throw new Error(op.error?.message ?? op.status_details ?? `Creation ${op.status}.`);
    await sleep(1000);
  }
  return `Certificate ${name} is still pending; it shows as pending until its issuer answers.`;
}

export function CreateCertificateForm({ vault, created }: { vault: string; created: () => void }) {
  const [name, setName] = useState("");
  const [subject, setSubject] = useState("CN=");
  const [sans, setSans] = useState("");
  const [months, setMonths] = useState("12");
  const [keyType, setKeyType] = useState("RSA-2048");
  const [contentType, setContentType] = useState("application/x-pkcs12");
  const [issuer, setIssuer] = useState("Self");
  const submit = async () => {
    const dnsNames = sans.split(/[\s,]+/).filter(Boolean);
    await vaultApi(vault, `/certificates/${encodeURIComponent(name)}/create`, {
      method: "POST",
      body: {
        policy: {
          key_props: { exportable: true, reuse_key: false, ...keyProperties(keyType) },
          secret_props: { contentType },
          x509_props: {
            subject,
            validity_months: Number(months),
            ...(dnsNames.length ? { sans: { dns_names: dnsNames } } : {}),
          },
          issuer: { name: issuer },
        },
      },
    });
    // An Unknown issuer's certificate waits for a CA's answer to be merged: nothing to wait for here.
    const message =
      issuer.toLowerCase() === "unknown"
        ? `Certificate ${name} is pending: merge the certificate its CA signs to complete it.`
        : await awaitIssuance(vault, name);
    created();
    return message;
  };
  return (
    <Form title="Create a certificate" submitLabel="Create certificate" submit={submit}>
      <NameField value={name} onChange={setName} />
      <Field label="Subject" hint="For example CN=www.example.com">
        {(id) => <input id={id} required value={subject} onChange={(e) => setSubject(e.target.value)} />}
      </Field>
      <Field label="DNS names (SANs)" hint="Separated by commas or spaces.">
        {(id) => <input id={id} value={sans} onChange={(e) => setSans(e.target.value)} />}
      </Field>
      <Field label="Validity (months)">
        {(id) => (
          <input
            id={id}
            type="number"
            min={1}
            max={1200}
            required
            value={months}
            onChange={(e) => setMonths(e.target.value)}
          />
        )}
      </Field>
      <KeyTypeField label="Key" value={keyType} onChange={setKeyType} />
      <Field label="Format">
        {(id) => (
          <select id={id} value={contentType} onChange={(e) => setContentType(e.target.value)}>
            <option value="application/x-pkcs12">PKCS#12 (PFX)</option>
            <option value="application/x-pem-file">PEM</option>
          </select>
        )}
      </Field>
      <Field
        label="Issuer"
        hint="Self for self-signed, Unknown to merge a CA's certificate later, or an issuer's name."
      >
        {(id) => <input id={id} required value={issuer} onChange={(e) => setIssuer(e.target.value)} />}
      </Field>
    </Form>
  );
}

export function SetSecretForm({ vault, created }: { vault: string; created: () => void }) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [contentType, setContentType] = useState("");
  const submit = async () => {
    await vaultApi(vault, `/secrets/${encodeURIComponent(name)}`, {
      method: "PUT",
      body: { value, ...(contentType ? { contentType } : {}) },
    });
    setValue("");
    created();
    return `Secret ${name} was set.`;
  };
  return (
    <Form title="Set a secret" submitLabel="Set secret" submit={submit}>
      <NameField value={name} onChange={setName} />
      <Field label="Value" hint="Sent once; not shown again until you choose Reveal value.">
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete="off"
            required
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        )}
      </Field>
      <Field label="Content type (optional)">
        {(id) => <input id={id} value={contentType} onChange={(e) => setContentType(e.target.value)} />}
      </Field>
    </Form>
  );
}

export function CreateKeyForm({ vault, created }: { vault: string; created: () => void }) {
  const [name, setName] = useState("");
  const [keyType, setKeyType] = useState("RSA-2048");
  const submit = async () => {
    await vaultApi(vault, `/keys/${encodeURIComponent(name)}/create`, { method: "POST", body: keyProperties(keyType) });
    created();
    return `Key ${name} was created.`;
  };
  return (
    <Form title="Create a key" submitLabel="Create key" submit={submit}>
      <NameField value={name} onChange={setName} />
      <KeyTypeField label="Type" value={keyType} onChange={setKeyType} />
    </Form>
  );
}
