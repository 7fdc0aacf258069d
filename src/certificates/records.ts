// Reading certificate names and versions from the store.
import type { StoredAttributes } from "../objects/attributes.js";
import { CERTIFICATES, objectNotFound } from "../objects/collection.js";
import type { ObjectScope } from "../objects/scope.js";
import { deletedName, liveName } from "../objects/soft-delete.js";
import type { Store } from "../store/store.js";
import type { Vault } from "../vaults/model.js";
import type { CertificateName, CertificateState, CertificateVersion, CertificateVersionData } from "./model.js";

export const liveCertificateName = (scope: ObjectScope, name: string): Promise<CertificateName> =>
  liveName<CertificateState>(scope.store, scope.vault.name, CERTIFICATES, name);
export const deletedCertificateName = (scope: ObjectScope, name: string): Promise<CertificateName> =>
  deletedName<CertificateState>(scope.store, scope.vault.name, CERTIFICATES, name);

/** The named version, or the newest one when `version` is empty; undefined when there is none. */
export const certificateVersion = (
  store: Store,
  vault: Vault,
  name: string,
  version?: string,
): Promise<CertificateVersion | undefined> =>
  store.objects.getVersion<StoredAttributes, CertificateVersionData>(
    vault.name,
    CERTIFICATES.type,
    name,
    version || undefined,
  );

export const newestCertificateVersion = (store: Store, vault: Vault, name: string) =>
  certificateVersion(store, vault, name);

export const certificateNotFound = (name: string, version?: string) =>
  objectNotFound(CERTIFICATES, version ? `${name}/${version}` : name);
