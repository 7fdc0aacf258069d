// Administrators: principals and users whose record says isAdmin. They hold Owner at the subscription implicitly, and
// alone manage what Azure leaves to the directory rather than to ARM roles (Kluis's own /kluis/servicePrincipals,
// Graph writes).
import type { Store } from "../store/store.js";

/** Looked up by object id, the identity every token carries, whatever kind of principal (application or user) it names. */
export async function isAdministrator(store: Store, objectId: string): Promise<boolean> {
  return (
    (await store.principals.getByObjectId(objectId))?.isAdmin ??
    (await store.users.getByObjectId(objectId))?.isAdmin ??
    false
  );
}
