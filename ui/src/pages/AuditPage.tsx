// Kluis's audit log (administrators only: anyone else sees the refusal), newest first, filtered by vault and operation.
import { useState } from "react";
import { kluis } from "../api";
import { Show, useLoad } from "../components";

interface AuditEntry {
  nodeId: string;
  seq: number;
  time: string;
  resourceId: string;
  operationName: string;
  resultType: string;
  resultSignature: string;
  callerIpAddress: string;
  identity: { claim: Record<string, string> } | null;
  properties: { id?: string; httpStatusCode: number };
}

const UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

export function AuditPage() {
  const [vault, setVault] = useState("");
  const [operation, setOperation] = useState("");
  const [query, setQuery] = useState("");
  const loaded = useLoad(() => kluis<{ value: AuditEntry[] }>(`/kluis/audit?top=200${query}`), [query]);
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="toolbar"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const q = new URLSearchParams();
          if (vault.trim()) q.set("vault", vault.trim());
          if (operation.trim()) q.set("operation", operation.trim());
          setQuery(q.size ? `&${q}` : "");
        }}
      >
        <label>
          Vault <input value={vault} onChange={(e) => setVault(e.target.value)} />
        </label>
        <label>
          Operation <input value={operation} placeholder="SecretGet" onChange={(e) => setOperation(e.target.value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Show loaded={loaded}>
        {({ value }) => (
          <div className="table-wrap">
            <table>
              <caption>The latest {value.length} entries</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Result</th>
                  <th scope="col">Caller</th>
                  <th scope="col">Object</th>
                </tr>
              </thead>
              <tbody>
                {value.map((e) => (
                  <tr key={`${e.nodeId}-${e.seq}`}>
                    <td className="small">{e.time.replace("T", " ").slice(0, 19)}</td>
                    <th scope="row">{e.operationName}</th>
                    <td className={e.resultType === "Success" ? "" : "failure"}>
                      {e.properties.httpStatusCode} {e.resultSignature}
                    </td>
                    <td>{e.identity?.claim[UPN] ?? e.identity?.claim.appid ?? "—"}</td>
                    <td className="mono small">{e.properties.id ?? e.resourceId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </section>
  );
}
