// The three object types of the data plane and how each names itself: its store kind, collection paths, labels and
// the texts of its errors, written once here for certificates, keys and secrets alike.
import { forbidden, notFound, type KeyVaultError } from "../http/errors.js";
import type { NameRecord } from "../store/repositories/objects.js";

/** The store kinds that are Key Vault objects (issuers and contacts are vault settings, not objects). */
export type ObjectType = "certificate" | "key" | "secret";

export interface ObjectCollection {
  type: ObjectType;
  /** The word that starts Key Vault's sentences about the object ("Key abc is currently in a deleted ..."). */
  label: "Certificate" | "Key" | "Secret";
  /** The URL path segments of live and deleted objects. */
  collection: "certificates" | "keys" | "secrets";
  deletedCollection: "deletedcertificates" | "deletedkeys" | "deletedsecrets";
  /** The error code of a 404. */
  notFoundCode: "CertificateNotFound" | "KeyNotFound" | "SecretNotFound";
  /** The inner code of the 403 for a change to a certificate's key or secret, where Key Vault sends one. */
  managedInnerCode?: string;
}

export const CERTIFICATES: ObjectCollection = {
  type: "certificate",
  label: "Certificate",
  collection: "certificates",
  deletedCollection: "deletedcertificates",
  notFoundCode: "CertificateNotFound",
};

export const KEYS: ObjectCollection = {
  type: "key",
  label: "Key",
  collection: "keys",
  deletedCollection: "deletedkeys",
  notFoundCode: "KeyNotFound",
};

export const SECRETS: ObjectCollection = {
  type: "secret",
  label: "Secret",
  collection: "secrets",
  deletedCollection: "deletedsecrets",
  notFoundCode: "SecretNotFound",
  managedInnerCode: "SecretManagedByKeyVault",
};

export const COLLECTIONS: Record<ObjectType, ObjectCollection> = {
  certificate: CERTIFICATES,
  key: KEYS,
  secret: SECRETS,
};

/** A certificate owns a key and a secret of the same name; they are deleted, recovered and purged together. */
export const CERTIFICATE_WITH_LINKED: ObjectType[] = ["certificate", "key", "secret"];

/** Key Vault's 404 for a live object (`name` may be "name/version"). */
export const objectNotFound = (c: ObjectCollection, name: string): KeyVaultError =>
  notFound(
    c.notFoundCode,
    `A ${c.type} with (name/id) ${name} was not found in this key vault. If you recently deleted this ${c.type} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );

export const deletedObjectNotFound = (c: ObjectCollection, name: string): KeyVaultError =>
  notFound(c.notFoundCode, `Deleted ${c.label} not found: ${name}`);

/** What the name of a certificate's key or secret records: its lifetime follows the certificate's. */
export interface ManagedState {
  managed?: boolean;
}

export const isManaged = (record: NameRecord<ManagedState> | undefined): boolean => record?.state.managed === true;

/** A certificate's key or secret changes only through the certificates API: Key Vault answers 403. */
export function assertNotManaged(
  c: ObjectCollection,
  record: NameRecord<ManagedState> | undefined,
  operation: string,
): void {
  if (isManaged(record)) {
    throw forbidden(
      `Operation "${operation}" is not allowed as this object's lifetime is managed by Key Vault.`,
      c.managedInnerCode,
    );
  }
}
