// A vault's access policies: who may do what with its keys, secrets and certificates. Each entry is edited with
// checkboxes and saved with ARM's accessPolicies/replace; entries are added and removed with add and remove.
import { useState } from "react";
import { arm, findVault, principalName, type AccessPolicy } from "../api";
import { PERMISSIONS as SERVER_PERMISSIONS } from "../../../src/http/permissions";
import { ActionButton, ConfirmButton, PrincipalForm, Show, useLoad } from "../components";

/** The server's own list of permission names (less `all`, which the boxes spell out), for the three collections. */
const AREAS = ["certificates", "secrets", "keys"] as const;
type Area = (typeof AREAS)[number];
const PERMISSIONS = Object.fromEntries(
  AREAS.map((area) => [area, SERVER_PERMISSIONS[area].filter((p) => p !== "all")]),
) as Record<Area, string[]>;

const has = (list: string[] | undefined, p: string) =>
  (list ?? []).some((x) => x.toLowerCase() === p.toLowerCase() || x.toLowerCase() === "all");

function PolicyEditor({
  vaultId,
  policy,
  name,
  saved,
}: {
  vaultId: string;
  policy: AccessPolicy;
  name: string;
  saved: () => void;
}) {
  const [permissions, setPermissions] = useState(policy.permissions);
  const toggle = (area: Area, p: string, on: boolean) =>
    setPermissions((held) => {
      const kept = (held[area] ?? []).filter((x) => x.toLowerCase() !== p.toLowerCase() && x.toLowerCase() !== "all");
      const expanded = has(held[area], "all") ? PERMISSIONS[area].filter((x) => x !== p) : kept;
      return { ...held, [area]: on ? [...expanded, p] : expanded };
    });
  const update = (kind: "replace" | "remove", perms = permissions) =>
    arm(`${vaultId}/accessPolicies/${kind}`, {
      method: "PUT",
      body: {
        properties: { accessPolicies: [{ tenantId: policy.tenantId, objectId: policy.objectId, permissions: perms }] },
      },
    }).then(saved);
  return (
    <fieldset className="card policy">
      <legend>{name}</legend>
      {AREAS.map((area) => (
        <fieldset key={area} className="permissions">
          <legend>{area[0]!.toUpperCase() + area.slice(1)}</legend>
          {PERMISSIONS[area].map((p) => (
            <label key={p} className="check">
              <input
                type="checkbox"
                checked={has(permissions[area], p)}
                onChange={(e) => toggle(area, p, e.target.checked)}
              />
              {p}
            </label>
          ))}
        </fieldset>
      ))}
      <p className="actions">
        <ActionButton
          label={`Save permissions of ${name}`}
          busyLabel="Saving…"
          doneLabel="Saved"
          className="primary"
          action={() => update("replace")}
        />
        <ConfirmButton label="Remove entry" action={() => update("remove", policy.permissions)} />
      </p>
    </fieldset>
  );
}

function AddEntry({ vaultId, tenantId, added }: { vaultId: string; tenantId: string; added: () => void }) {
  return (
    <PrincipalForm
      title="Add an access policy"
      submitLabel="Add"
      hint="Starts with secret get and list; edit the entry after adding it."
      submit={(objectId) =>
        arm(`${vaultId}/accessPolicies/add`, {
          method: "PUT",
          body: { properties: { accessPolicies: [{ tenantId, objectId, permissions: { secrets: ["get", "list"] } }] } },
        }).then(added)
      }
    />
  );
}

export function AccessPolicies({ vault }: { vault: string }) {
  const loaded = useLoad(async () => {
    const v = await findVault(vault);
    // ARM's GET carries the access policies the vault list may leave out.
    const full = await arm<typeof v>(v.id);
    const names = await Promise.all((full.properties.accessPolicies ?? []).map((p) => principalName(p.objectId)));
    return { vault: full, names };
  }, [vault]);
  return (
    <Show loaded={loaded}>
      {({ vault: v, names }) => (
        <div>
          {v.properties.enableRbacAuthorization && (
            <p className="note">This vault uses role assignments: its access policies are kept but not consulted.</p>
          )}
          {(v.properties.accessPolicies ?? []).map((p, i) => (
            <PolicyEditor key={p.objectId} vaultId={v.id} policy={p} name={names[i]!} saved={loaded.reload} />
          ))}
          <AddEntry vaultId={v.id} tenantId={v.properties.tenantId} added={loaded.reload} />
        </div>
      )}
    </Show>
  );
}
