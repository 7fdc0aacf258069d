// The device code flow's pending sign-ins (az login --use-device-code): the client gets a device code to poll with
// and shows the person a user code, which they enter with their password on this server's sign-in page. Kept in
// this process's memory: a flow is short-lived, and its client must poll the node that started it.
import { randomBytes, randomInt } from "node:crypto";
import { addressGroup } from "./sign-in-throttle.js";

/** Entra's: a code is good for 15 minutes, and the client polls every 5 seconds. */
export const DEVICE_CODE_LIFETIME_SECONDS = 15 * 60;
export const DEVICE_CODE_POLL_INTERVAL_SECONDS = 5;
/** Flows pending at once on this node, and from one client address (IPv6 by its /64); past that, new ones are refused until some end. */
export const MAX_PENDING_DEVICE_CODES = 1000;
export const MAX_PENDING_DEVICE_CODES_PER_ADDRESS = 20;
/** User codes are 9 characters of an alphabet without look-alikes (0/O, 1/I/L): about 2^44 codes. */
const USER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const USER_CODE_LENGTH = 9;

export interface DeviceFlow {
  deviceCode: string;
  userCode: string;
  clientId: string;
  /** The address group of the client that started it. */
  address: string;
  /** What the client asked for (a v2 scope or a v1 resource): polling asks for nothing, and gets tokens for it. */
  requested: { scope?: string; resource?: string };
  expiresAt: number;
  /** Set by the sign-in page: who signed in. */
  approvedFor?: string;
}

export class DeviceCodes {
  private readonly byDeviceCode = new Map<string, DeviceFlow>();
  private readonly byUserCode = new Map<string, DeviceFlow>();

  /** A new pending flow, or undefined when too many are pending (on this node, or from this address). */
  start(
    clientId: string,
    requested: DeviceFlow["requested"],
    address: string,
    now = Date.now(),
  ): DeviceFlow | undefined {
    this.sweep(now);
    const group = addressGroup(address);
    if (this.byDeviceCode.size >= MAX_PENDING_DEVICE_CODES) return undefined;
    if (
      [...this.byDeviceCode.values()].filter((f) => f.address === group).length >= MAX_PENDING_DEVICE_CODES_PER_ADDRESS
    )
      return undefined;
    let userCode: string;
    do {
      userCode = Array.from(
        { length: USER_CODE_LENGTH },
        () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
      ).join("");
    } while (this.byUserCode.has(userCode));
    const flow: DeviceFlow = {
      deviceCode: randomBytes(32).toString("base64url"),
      userCode,
      clientId,
      address: group,
      requested,
      expiresAt: now + DEVICE_CODE_LIFETIME_SECONDS * 1000,
    };
    this.byDeviceCode.set(flow.deviceCode, flow);
    this.byUserCode.set(userCode, flow);
    return flow;
  }

  /** The pending flow a person's code names (typed in any case, with spaces or dashes), unless expired or already used. */
  pending(userCode: string, now = Date.now()): DeviceFlow | undefined {
    const flow = this.byUserCode.get(userCode.toUpperCase().replace(/[\s-]/g, ""));
    return flow && flow.expiresAt > now && flow.approvedFor === undefined ? flow : undefined;
  }

  approve(flow: DeviceFlow, objectId: string): void {
    flow.approvedFor = objectId;
    this.byUserCode.delete(flow.userCode); // its code cannot be entered again
  }

  /** What polling with a device code finds; an approved flow is handed out once and forgotten. */
  poll(deviceCode: string, clientId: string, now = Date.now()): "unknown" | "expired" | "pending" | DeviceFlow {
    const flow = this.byDeviceCode.get(deviceCode);
    if (!flow || flow.clientId !== clientId) return "unknown";
    if (flow.expiresAt <= now) {
      this.forget(flow);
      return "expired";
    }
    if (flow.approvedFor === undefined) return "pending";
    this.forget(flow);
    return flow;
  }

  private forget(flow: DeviceFlow): void {
    this.byDeviceCode.delete(flow.deviceCode);
    if (this.byUserCode.get(flow.userCode) === flow) this.byUserCode.delete(flow.userCode);
  }

  /** Drops expired flows (at most MAX_PENDING_DEVICE_CODES to look at). */
  private sweep(now: number): void {
    for (const flow of this.byDeviceCode.values()) if (flow.expiresAt <= now) this.forget(flow);
  }
}
