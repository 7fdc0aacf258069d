// One vault: tabs for its certificates, secrets, keys, deleted objects, access policies and role assignments.
import { useState } from "react";
import { href } from "../router";
import { AccessPolicies } from "./AccessPolicies";
import { CreateCertificateForm, CreateKeyForm, SetSecretForm } from "./CreateForms";
import { DeletedList, ObjectList } from "./ObjectList";
import { RoleAssignments } from "./RoleAssignments";
import { KINDS, type Kind } from "./VaultsPage";

const TABS: [string, string][] = [
  ["certificates", "Certificates"],
  ["secrets", "Secrets"],
  ["keys", "Keys"],
  ["deleted", "Deleted"],
  ["access", "Access policies"],
  ["roles", "Role assignments"],
];

const FORMS = { certificates: CreateCertificateForm, secrets: SetSecretForm, keys: CreateKeyForm };

export function VaultPage({ vault, tab }: { vault: string; tab: string }) {
  // Bumped after a change, so the lists load again.
  const [round, setRound] = useState(0);
  const changed = () => setRound((r) => r + 1);
  const kind = (KINDS as readonly string[]).includes(tab) ? (tab as Kind) : undefined;
  const CreateForm = kind && FORMS[kind];
  return (
    <section>
      <h1>
        Vault <span className="mono">{vault}</span>
      </h1>
      <nav aria-label="Vault" className="tabs">
        {TABS.map(([id, label]) => (
          <a key={id} href={href("vaults", vault, id)} aria-current={tab === id ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {kind && CreateForm && (
        <div className="split">
          <ObjectList vault={vault} kind={kind} round={round} changed={changed} />
          <CreateForm vault={vault} created={changed} />
        </div>
      )}
      {tab === "deleted" && <DeletedList vault={vault} round={round} changed={changed} />}
      {tab === "access" && <AccessPolicies vault={vault} />}
      {tab === "roles" && <RoleAssignments vault={vault} />}
    </section>
  );
}
