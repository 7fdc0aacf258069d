// One certificate: what it says (subject, SANs, issuer, thumbprint, validity), its issuer chain, its policy, its
// versions, and downloads as PEM, CER (DER) and PFX or PEM with the private key. The chain and the key are only in
// the certificate's secret, so both need secrets get.
import { useState } from "react";
import { ApiError, listAll, vaultApi, type VaultItem } from "../api";
import { ActionButton, Chip, Problem, Show, useLoad } from "../components";
import { href } from "../router";
import { formatDate, statusesOf } from "../status";
import { base64ToBytes, certificateFacts, pem, pemCertificates, thumbprint } from "../x509";

interface CertificateBundle extends VaultItem {
  /** Absent while the first version is pending. */
  cer?: string;
  sid: string;
  policy?: {
    key_props?: { kty?: string; key_size?: number; crv?: string; exportable?: boolean; reuse_key?: boolean };
    secret_props?: { contentType?: string };
    x509_props?: {
      subject?: string;
      sans?: { dns_names?: string[]; emails?: string[]; upns?: string[] };
      validity_months?: number;
    };
    issuer?: { name?: string };
    lifetime_actions?: {
      trigger: { days_before_expiry?: number; lifetime_percentage?: number };
      action: { action_type: string };
    }[];
  };
}

function save(bytes: BlobPart, type: string, file: string) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = file;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const hex = (b64: string) => [...base64ToBytes(b64)].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");

/**
 * Every certificate of the chain, leaf first, as the certificate's secret holds it (asked for as PEM: the vault
 * converts a PFX). Key Vault has no other way to the chain; a self-signed certificate's chain is itself. The secret
 * holds the private key too, so it is read only on an explicit click (and audited as a SecretGet), as a secret's value.
 */
function IssuerChain({ vault, name, issuer }: { vault: string; name: string; issuer: string }) {
  const [shown, setShown] = useState(false);
  if (!shown)
    return (
      <>
        <p>
          Issued by {issuer}. The whole chain is kept in the certificate&apos;s secret, with its private key: showing it
          reads that secret (recorded in the audit log; it needs the secrets get permission).
        </p>
        <p className="actions">
          <button type="button" onClick={() => setShown(true)}>
            Show the issuer chain
          </button>
        </p>
      </>
    );
  return <ChainLinks vault={vault} name={name} issuer={issuer} />;
}

function ChainLinks({ vault, name, issuer }: { vault: string; name: string; issuer: string }) {
  const chain = useLoad(async () => {
    const secret = await vaultApi<{ value: string }>(
      vault,
      `/secrets/${name}?outContentType=${encodeURIComponent("application/x-pem-file")}`,
    );
    const links = pemCertificates(secret.value);
    return Promise.all(links.map(async (der) => ({ ...certificateFacts(der), thumbprint: await thumbprint(der) })));
  }, [vault, name]);
  if (chain.error instanceof ApiError && chain.error.forbidden)
    return (
      <p>
        Issued by {issuer}. The rest of the chain is not shown: it is kept in the certificate&apos;s secret, and reading
        it needs the secrets get permission on this vault ({chain.error.message}).
      </p>
    );
  if (chain.error !== undefined) return <Problem error={chain.error} />;
  if (!chain.data) return <p aria-live="polite">Loading the chain…</p>;
  return (
    <ol className="chain" aria-label="Issuer chain">
      {chain.data.map((link, i) => (
        <li key={`${i}-${link.thumbprint}`}>
          <dl className="facts">
            <dt>Subject</dt>
            <dd>
              {link.subject} {i === 0 && <span className="muted">(this certificate)</span>}
            </dd>
            <dt>Issuer</dt>
            <dd>
              {link.issuer} {link.issuer === link.subject && <span className="muted">(self-signed)</span>}
            </dd>
            <dt>Thumbprint (SHA-1)</dt>
            <dd className="mono">{link.thumbprint}</dd>
            <dt>Valid</dt>
            <dd>
              {link.notBefore} to {link.notAfter}
            </dd>
          </dl>
        </li>
      ))}
    </ol>
  );
}

export function CertificatePage({ vault, name }: { vault: string; name: string }) {
  const loaded = useLoad(async () => {
    const [bundle, versions] = await Promise.all([
      vaultApi<CertificateBundle>(vault, `/certificates/${name}`),
      listAll<VaultItem>(vault, `/certificates/${name}/versions`),
    ]);
    return { bundle, versions: versions.items };
  }, [vault, name]);
  return (
    <section>
      <p>
        <a href={href("vaults", vault, "certificates")}>← Certificates of {vault}</a>
      </p>
      <h1>
        Certificate <span className="mono">{name}</span>
      </h1>
      <Show loaded={loaded}>
        {({ bundle, versions }) => {
          if (!bundle.cer)
            return (
              <p>
                <Chip status="pending" /> This certificate has no issued version yet: it waits for its issuer (for an
                Unknown issuer, for the CA-signed certificate to be merged).
              </p>
            );
          const der = base64ToBytes(bundle.cer);
          const facts = certificateFacts(der);
          const policy = bundle.policy ?? {};
          const sans = policy.x509_props?.sans;
          const downloadWithKey = async () => {
            const secret = await vaultApi<{ value: string; contentType?: string }>(vault, `/secrets/${name}`);
            if (secret.contentType === "application/x-pkcs12")
              save(base64ToBytes(secret.value), "application/x-pkcs12", `${name}.pfx`);
            else save(secret.value, "application/x-pem-file", `${name}-with-key.pem`);
          };
          return (
            <>
              <p>
                {statusesOf(bundle).map((s) => (
                  <Chip key={s} status={s} />
                ))}
              </p>
              <dl className="facts">
                <dt>Subject</dt>
                <dd>{facts.subject}</dd>
                <dt>Alternative names</dt>
                <dd>
                  {[...(sans?.dns_names ?? []), ...(sans?.emails ?? []), ...(sans?.upns ?? [])].join(", ") || "—"}
                </dd>
                <dt>Issuer</dt>
                <dd>
                  {facts.issuer} {facts.issuer === facts.subject && <span className="muted">(self-signed)</span>}
                </dd>
                <dt>Thumbprint (SHA-1)</dt>
                <dd className="mono">{bundle.x5t ? hex(bundle.x5t) : "—"}</dd>
                <dt>Serial number</dt>
                <dd className="mono">{facts.serialNumber}</dd>
                <dt>Valid</dt>
                <dd>
                  {facts.notBefore} to {facts.notAfter}
                </dd>
              </dl>
              <h2>Issuer chain</h2>
              <IssuerChain key={`${vault}/${name}`} vault={vault} name={name} issuer={facts.issuer} />
              <h2>Download</h2>
              <p className="actions">
                <button type="button" onClick={() => save(pem(der), "application/x-pem-file", `${name}.pem`)}>
                  Certificate (PEM)
                </button>
                <button type="button" onClick={() => save(der, "application/pkix-cert", `${name}.cer`)}>
                  Certificate (CER)
                </button>
                <ActionButton
                  label={
                    policy.secret_props?.contentType === "application/x-pem-file"
                      ? "With private key (PEM)"
                      : "With private key (PFX)"
                  }
                  action={downloadWithKey}
                />
              </p>
              <h2>Policy</h2>
              <dl className="facts">
                <dt>Issuer</dt>
                <dd>{policy.issuer?.name ?? "—"}</dd>
                <dt>Subject</dt>
                <dd>{policy.x509_props?.subject ?? "—"}</dd>
                <dt>Validity</dt>
                <dd>{policy.x509_props?.validity_months ?? "—"} months</dd>
                <dt>Key</dt>
                <dd>
                  {policy.key_props?.kty} {policy.key_props?.key_size ?? policy.key_props?.crv}
                  {policy.key_props?.exportable ? ", exportable" : ""}
                  {policy.key_props?.reuse_key ? ", reused on renewal" : ""}
                </dd>
                <dt>Format</dt>
                <dd>{policy.secret_props?.contentType ?? "—"}</dd>
                <dt>Lifetime actions</dt>
                <dd>
                  {(policy.lifetime_actions ?? [])
                    .map(
                      (a) =>
                        `${a.action.action_type} ${a.trigger.days_before_expiry !== undefined ? `${a.trigger.days_before_expiry} days before expiry` : `at ${a.trigger.lifetime_percentage}% of its life`}`,
                    )
                    .join("; ") || "—"}
                </dd>
              </dl>
              <h2>Versions</h2>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Status</th>
                      <th scope="col">Created</th>
                      <th scope="col">Expires</th>
                    </tr>
                  </thead>
                  <tbody>
                    {versions
                      .sort((a, b) => (b.attributes.created ?? 0) - (a.attributes.created ?? 0))
                      .map((v) => (
                        <tr key={v.id}>
                          <th scope="row" className="mono small">
                            {v.id?.split("/").pop()}
                          </th>
                          <td>
                            {statusesOf(v).map((s) => (
                              <Chip key={s} status={s} />
                            ))}
                          </td>
                          <td>{formatDate(v.attributes.created)}</td>
                          <td>{formatDate(v.attributes.exp)}</td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </Show>
    </section>
  );
}
