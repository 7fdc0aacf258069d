// Certificate policies: Key Vault's defaults filled in, and anything that cannot work refused with a 400 naming the field.
import type { X509Module } from "../crypto/x509.js";
import { isCurveName, isEc, isRsa, type CurveName, type KeyType } from "../crypto/keys.js";
import { isJsonObject, isWholeNumber } from "../http/body.js";
import { badParameter } from "../http/errors.js";
import { checkPolicyList, checkRsaSize, checkSubject } from "../objects/limits.js";

export const KEY_USAGES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];
const isKeyUsage = (u: string): u is KeyUsage => KEY_USAGES.some((k) => k === u);

export const CONTENT_TYPES = ["application/x-pkcs12", "application/x-pem-file"] as const;
export const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

export interface LifetimeAction {
  trigger: { lifetime_percentage?: number; days_before_expiry?: number };
  action: { action_type: "AutoRenew" | "EmailContacts" };
}

/** When (Unix seconds) a lifetime action's trigger is reached for a version valid from `nbf` to `exp`. */
export function lifetimeTriggerAt(trigger: LifetimeAction["trigger"], nbf: number, exp: number): number {
  return trigger.lifetime_percentage !== undefined
    ? nbf + ((exp - nbf) * trigger.lifetime_percentage) / 100
    : exp - trigger.days_before_expiry! * 24 * 60 * 60;
}

/** A complete policy, in the REST field names, without its id and timestamps. */
export interface PolicyRecord {
  key_props: { exportable: boolean; kty: KeyType; key_size?: number; crv?: CurveName; reuse_key: boolean };
  secret_props: { contentType: (typeof CONTENT_TYPES)[number] };
  x509_props: {
    subject: string;
    sans?: { emails?: string[]; dns_names?: string[]; upns?: string[] };
    ekus: string[];
    key_usage: KeyUsage[];
    validity_months: number;
  };
  lifetime_actions: LifetimeAction[];
  issuer: { name: string; cty?: string; cert_transparency?: boolean };
  attributes: { enabled: boolean };
}

type Json = Record<string, unknown>;
const obj = (v: unknown, field: string): Json => {
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v)) throw badParameter(`${field} must be an object.`);
  return v;
};
const stringList = (v: unknown, field: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === "string"))
    throw badParameter(`${field} must be an array of strings.`);
  return checkPolicyList(v, field);
};

/** Reads a policy from a request, over `base` (an existing policy) or Key Vault's defaults (loadX509 gives `x509`). */
export function readPolicy(x509: X509Module, input: unknown, base?: PolicyRecord): PolicyRecord {
  const p = obj(input, "policy");
  const kp = obj(p.key_props, "policy.key_props");
  const sp = obj(p.secret_props, "policy.secret_props");
  const xp = obj(p.x509_props, "policy.x509_props");
  const ip = obj(p.issuer, "policy.issuer");
  const ap = obj(p.attributes, "policy.attributes");

  const crvIn = kp.crv ?? kp.curve;
  const kty = kp.kty ?? base?.key_props.kty ?? (crvIn ? "EC" : "RSA");
  if (!isRsa(kty) && !isEc(kty))
    throw badParameter(
      `policy.key_props.kty '${String(kty)}' is not supported for certificates; use RSA, RSA-HSM, EC or EC-HSM.`,
    );
  const key_props: PolicyRecord["key_props"] = {
    exportable: bool(kp.exportable, base?.key_props.exportable ?? true, "policy.key_props.exportable"),
    kty,
    reuse_key: bool(kp.reuse_key, base?.key_props.reuse_key ?? false, "policy.key_props.reuse_key"),
  };
  if (isRsa(kty)) {
    const size = kp.key_size ?? (base && isRsa(base.key_props.kty) ? base.key_props.key_size : undefined) ?? 2048;
    key_props.key_size = checkRsaSize(size, "policy.key_props.key_size");
  } else {
    const crv = crvIn ?? (base && isEc(base.key_props.kty) ? base.key_props.crv : undefined) ?? "P-256";
    if (!isCurveName(crv))
      throw badParameter(`policy.key_props.crv '${String(crv)}' is not supported; use P-256, P-256K, P-384 or P-521.`);
    key_props.crv = crv;
  }

  const contentType = sp.contentType ?? base?.secret_props.contentType ?? "application/x-pkcs12";
  if (!CONTENT_TYPES.some((t) => t === contentType)) {
    throw badParameter(
      `policy.secret_props.contentType '${String(contentType)}' is not supported; use application/x-pkcs12 or application/x-pem-file.`,
    );
  }

  const subject = xp.subject ?? base?.x509_props.subject ?? "";
  const sansIn = obj(xp.sans, "policy.x509_props.sans");
  const sans = {
    emails: stringList(sansIn.emails, "policy.x509_props.sans.emails"),
    dns_names: stringList(sansIn.dns_names, "policy.x509_props.sans.dns_names"),
    upns: stringList(sansIn.upns, "policy.x509_props.sans.upns"),
  };
  const anySan = Object.values(sans).some((list) => list && list.length > 0);
  if (typeof subject !== "string") throw badParameter("policy.x509_props.subject must be a string.");
  if (subject === "" && !anySan)
    throw badParameter("policy.x509_props.subject is required when no subject alternative names are given.");
  if (subject !== "") checkSubjectName(x509, checkSubject(subject, "policy.x509_props.subject"));
  const keyUsage: string[] =
    stringList(xp.key_usage, "policy.x509_props.key_usage") ??
    base?.x509_props.key_usage ??
    (isRsa(kty) ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"]);
  if (!keyUsage.every(isKeyUsage)) {
    const badUsage = keyUsage.find((u) => !isKeyUsage(u));
    throw badParameter(`policy.x509_props.key_usage '${badUsage}' is not a key usage; use ${KEY_USAGES.join(", ")}.`);
  }
  const ekus = stringList(xp.ekus, "policy.x509_props.ekus") ?? base?.x509_props.ekus ?? [SERVER_AUTH, CLIENT_AUTH];
  const badEku = ekus.find((e) => !/^\d+(\.\d+)+$/.test(e));
  if (badEku) throw badParameter(`policy.x509_props.ekus '${badEku}' is not an object identifier.`);
  const validity = xp.validity_months ?? base?.x509_props.validity_months ?? 12;
  if (!isWholeNumber(validity) || validity < 1 || validity > 1200) {
    throw badParameter("policy.x509_props.validity_months must be a whole number of months, at least 1.");
  }

  const issuerName = ip.name ?? base?.issuer.name ?? "Unknown";
  if (typeof issuerName !== "string" || issuerName === "")
    throw badParameter("policy.issuer.name must be a non-empty string.");
  const issuer: PolicyRecord["issuer"] = { name: issuerName };
  if (typeof ip.cty === "string") issuer.cty = ip.cty;
  if (typeof ip.cert_transparency === "boolean") issuer.cert_transparency = ip.cert_transparency;

  return {
    key_props,
    secret_props: { contentType: contentType === "application/x-pem-file" ? contentType : "application/x-pkcs12" },
    x509_props: {
      subject,
      ...(anySan ? { sans: Object.fromEntries(Object.entries(sans).filter(([, v]) => v && v.length)) } : {}),
      ekus,
      key_usage: keyUsage,
      validity_months: validity,
    },
    lifetime_actions: readLifetimeActions(p.lifetime_actions, base?.lifetime_actions, issuerName, validity),
    issuer,
    attributes: { enabled: bool(ap.enabled, base?.attributes.enabled ?? true, "policy.attributes.enabled") },
  };
}

function bool(v: unknown, fallback: boolean, field: string): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw badParameter(`${field} must be a boolean.`);
  return v;
}

/** Attribute types in a subject are case-insensitive ("cn=MyCert" is what the JS SDK's default policy sends). */
export function canonicalSubject(subject: string): string {
  return subject.replace(/(^|[,+;]\s*)([a-zA-Z][a-zA-Z0-9]*)(\s*=)/g, (_m, sep: string, type: string, eq: string) => {
    const upper = type.toUpperCase();
    return sep + (upper === "EMAIL" ? "E" : upper === "SERIALNUMBER" ? "serialNumber" : upper) + eq;
  });
}

function checkSubjectName(x509: X509Module, subject: string): void {
  try {
    const name = new x509.Name(canonicalSubject(subject));
    if (name.toJSON().length === 0) throw new Error("empty");
  } catch {
    throw badParameter(`policy.x509_props.subject '${subject}' is not a valid X.500 distinguished name.`);
  }
}

function readLifetimeActions(
  v: unknown,
  base: LifetimeAction[] | undefined,
  issuer: string,
  validityMonths: number,
): LifetimeAction[] {
  if (v === undefined || v === null) {
    if (base) return base;
    const action = issuer.toLowerCase() === "unknown" ? "EmailContacts" : "AutoRenew";
    return [{ trigger: { lifetime_percentage: 80 }, action: { action_type: action } }];
  }
  if (!Array.isArray(v)) throw badParameter("policy.lifetime_actions must be an array.");
  return v.map((item, i) => {
    const field = `policy.lifetime_actions[${i}]`;
    const entry = obj(item, field);
    const trigger = obj(entry.trigger, `${field}.trigger`);
    const actionType = obj(entry.action, `${field}.action`).action_type;
    if (actionType !== "AutoRenew" && actionType !== "EmailContacts") {
      throw badParameter(`${field}.action.action_type must be AutoRenew or EmailContacts.`);
    }
    const pct = trigger.lifetime_percentage;
    const days = trigger.days_before_expiry;
    if ((pct === undefined) === (days === undefined)) {
      throw badParameter(`${field}.trigger needs exactly one of lifetime_percentage and days_before_expiry.`);
    }
    const action: LifetimeAction["action"] = { action_type: actionType };
    if (pct !== undefined) {
      if (!isWholeNumber(pct) || pct < 1 || pct > 99)
        throw badParameter(`${field}.trigger.lifetime_percentage must be between 1 and 99.`);
      return { trigger: { lifetime_percentage: pct }, action };
    }
    if (!isWholeNumber(days) || days < 1 || days > validityMonths * 27)
      throw badParameter(`${field}.trigger.days_before_expiry must be between 1 and ${validityMonths * 27}.`);
    return { trigger: { days_before_expiry: days }, action };
  });
}

/** X.509 key usages map to the key operations of the certificate's key (about-certificates). */
export function keyOpsFor(policy: PolicyRecord): string[] {
  const ops = new Set<string>();
  for (const usage of policy.x509_props.key_usage) {
    if (["digitalSignature", "nonRepudiation", "keyCertSign", "cRLSign"].includes(usage)) ops.add("sign").add("verify");
    if (usage === "keyEncipherment") ops.add("wrapKey").add("unwrapKey");
    if (usage === "dataEncipherment") ops.add("encrypt").add("decrypt");
    if (usage === "keyAgreement") ops.add("deriveKey");
  }
  return [...ops];
}
