// Role assignments that apply to a vault (made on it, above it, or on its objects), with adding and removing.
import { useState } from "react";
import { arm, AUTHORIZATION_VERSION, findVault, principalName } from "../api";
import { ConfirmButton, PrincipalForm, Show, useLoad } from "../components";

interface RoleDefinition {
  id: string;
  properties: { roleName: string; type?: string };
}
interface RoleAssignment {
  id: string;
  name: string;
  properties: { roleDefinitionId: string; principalId: string; scope: string };
}

const AUTH = "providers/Microsoft.Authorization";
const authorization = <T,>(path: string, init?: { method?: string; body?: unknown }) =>
  arm<T>(path, init, AUTHORIZATION_VERSION);

function AddAssignment({ vaultId, roles, added }: { vaultId: string; roles: RoleDefinition[]; added: () => void }) {
  const [role, setRole] = useState(
    roles.find((r) => r.properties.roleName === "Key Vault Secrets User")?.id ?? roles[0]?.id ?? "",
  );
  return (
    <PrincipalForm
      title="Assign a role on this vault"
      submitLabel="Assign"
      submit={(principalId) =>
        authorization(`${vaultId}/${AUTH}/roleAssignments/${crypto.randomUUID()}`, {
          method: "PUT",
          body: { properties: { roleDefinitionId: role, principalId } },
        }).then(added)
      }
    >
      <p className="field">
        <label htmlFor="assign-role">Role</label>
        <select id="assign-role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r.id} value={r.id}>
              {r.properties.roleName}
            </option>
          ))}
        </select>
      </p>
    </PrincipalForm>
  );
}

export function RoleAssignments({ vault }: { vault: string }) {
  const loaded = useLoad(async () => {
    const v = await findVault(vault);
    const [assignments, roles] = await Promise.all([
      authorization<{ value: RoleAssignment[] }>(`${v.id}/${AUTH}/roleAssignments`),
      authorization<{ value: RoleDefinition[] }>(`${v.id}/${AUTH}/roleDefinitions`),
    ]);
    const names = await Promise.all(assignments.value.map((a) => principalName(a.properties.principalId)));
    return { v, assignments: assignments.value, roles: roles.value, names };
  }, [vault]);
  return (
    <Show loaded={loaded}>
      {({ v, assignments, roles, names }) => {
        const roleName = (id: string) =>
          roles.find((r) => r.id.toLowerCase() === id.toLowerCase())?.properties.roleName ?? id.split("/").pop();
        return (
          <div>
            {!v.properties.enableRbacAuthorization && (
              <p className="note">This vault uses access policies: its data-plane calls do not consult these roles.</p>
            )}
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Principal</th>
                    <th scope="col">Role</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {assignments.map((a, i) => (
                    <tr key={a.id}>
                      <th scope="row">{names[i]}</th>
                      <td>{roleName(a.properties.roleDefinitionId)}</td>
                      <td className="mono small">{a.properties.scope}</td>
                      <td>
                        <ConfirmButton
                          label="Remove"
                          action={() => authorization(a.id, { method: "DELETE" }).then(loaded.reload)}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {assignments.length === 0 && <p>No role assignments apply to this vault.</p>}
            <AddAssignment vaultId={v.id} roles={roles} added={loaded.reload} />
          </div>
        );
      }}
    </Show>
  );
}
