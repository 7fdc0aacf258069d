// Key Vault's Event Grid events (Microsoft.KeyVault.*): their types, the Event Grid schema they are delivered in,
// and the CloudEvents 1.0 form a subscription may ask for instead.
import { randomUUID } from "node:crypto";

export const OBJECT_TYPES = ["Certificate", "Key", "Secret"] as const;
export type EventObjectType = (typeof OBJECT_TYPES)[number];
export const OBJECT_EVENTS = ["NewVersionCreated", "NearExpiry", "Expired"] as const;
export type ObjectEvent = (typeof OBJECT_EVENTS)[number];

export const ACCESS_POLICY_CHANGED = "Microsoft.KeyVault.VaultAccessPolicyChanged";
/** Every event type a vault publishes, as Event Grid names them. */
export const EVENT_TYPES: readonly string[] = [
  ...OBJECT_TYPES.flatMap((o) => OBJECT_EVENTS.map((e) => `Microsoft.KeyVault.${o}${e}`)),
  ACCESS_POLICY_CHANGED,
];

export const EVENT_GRID_SCHEMA = "EventGridSchema";
export const CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0";

/** An event subscription as stored (events/subscriptions.ts reads ARM's body into it). */
export interface SubscriptionProperties {
  /** The vault's resource id. */
  topic: string;
  endpointUrl: string;
  eventDeliverySchema: string;
  filter: {
    includedEventTypes: string[] | null;
    subjectBeginsWith: string;
    subjectEndsWith: string;
    isSubjectCaseSensitive: boolean;
  };
  retryPolicy: { maxDeliveryAttempts: number; eventTimeToLiveInMinutes: number };
  labels: string[];
}

/** The `data` of every Key Vault event. */
export interface VaultEventData {
  Id: string;
  VaultName: string;
  ObjectType: EventObjectType | "Vault";
  ObjectName: string;
  Version: string | null;
  NBF: number | null;
  EXP: number | null;
}

/** An event before it is addressed to a subscription: the topic (the vault's resource id) is the subscription's. */
export interface VaultEvent {
  id: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: VaultEventData;
}

const vaultUrl = (vault: string) => `https://${vault}.vault.azure.net`;
const collectionOf = (o: EventObjectType) => `${o.toLowerCase()}s`;

/** A new version, or a version near expiry or expired: `subject` is the object's name. */
export function objectEvent(
  vault: string,
  objectType: EventObjectType,
  event: ObjectEvent,
  v: { name: string; version: string; nbf?: number; exp?: number },
  now: number,
): VaultEvent {
  return {
    id: randomUUID(),
    subject: v.name,
    eventType: `Microsoft.KeyVault.${objectType}${event}`,
    eventTime: new Date(now).toISOString(),
    data: {
      Id: `${vaultUrl(vault)}/${collectionOf(objectType)}/${v.name}/${v.version}`,
      VaultName: vault,
      ObjectType: objectType,
      ObjectName: v.name,
      Version: v.version,
      NBF: v.nbf ?? null,
      EXP: v.exp ?? null,
    },
  };
}

/** The vault's access policies changed, or it moved to or from RBAC: `subject` is the vault's name. */
export function accessPolicyChanged(vault: string, now: number): VaultEvent {
  return {
    id: randomUUID(),
    subject: vault,
    eventType: ACCESS_POLICY_CHANGED,
    eventTime: new Date(now).toISOString(),
    data: {
      Id: vaultUrl(vault),
      VaultName: vault,
      ObjectType: "Vault",
      ObjectName: vault,
      Version: null,
      NBF: null,
      EXP: null,
    },
  };
}

/** The body a webhook receives, in the subscription's schema: an array of one event, or one CloudEvent. */
export function wireEvent(event: VaultEvent, topic: string, schema: string): unknown {
  if (schema === CLOUD_EVENT_SCHEMA)
    return {
      specversion: "1.0",
      id: event.id,
      source: topic,
      type: event.eventType,
      subject: event.subject,
      time: event.eventTime,
      datacontenttype: "application/json",
      data: event.data,
    };
  return [{ ...event, topic, dataVersion: "1", metadataVersion: "1" }];
}

/** Event Grid's validation event (the handshake before a webhook subscription is Succeeded). */
export function validationEvent(topic: string, validationCode: string, now: number): unknown {
  return [
    {
      id: randomUUID(),
      topic,
      subject: "",
      data: { validationCode },
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: new Date(now).toISOString(),
      metadataVersion: "1",
      dataVersion: "2",
    },
  ];
}
