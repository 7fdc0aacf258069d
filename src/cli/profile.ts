// The CLI's sign-in (`kluis login`), kept like az's AZURE_CONFIG_DIR: one owner-only file in KLUIS_CONFIG_DIR
// (default ~/.kluis). The CLI acts as this identity, never as whatever AZURE_CLIENT_ID a shell exports for a program.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "./errors.js";

/**
 * Who signed in, in az's words (`user.type` of `az account show`): a service principal with its secret, or a person
 * with the refresh token of their sign-in (never their password), from which each command gets its tokens.
 */
export type SignedIn =
  | { type: "servicePrincipal"; name: string; clientSecret: string }
  | { type: "user"; name: string; refreshToken: string };

const wellFormed = (u: SignedIn | undefined) =>
  typeof u?.name === "string" &&
  (u.type === "servicePrincipal"
    ? typeof u.clientSecret === "string"
    : u.type === "user" && typeof u.refreshToken === "string");

export interface Profile {
  /** The server signed in to: the credential is sent to it only. */
  server: string;
  tenantId: string;
  /** The subscription the identity may manage, if any (none: a tenant-level sign-in, enough for the data plane). */
  subscriptionId?: string;
  user: SignedIn;
}

export const configDir = (env: NodeJS.ProcessEnv = process.env) => env.KLUIS_CONFIG_DIR || join(homedir(), ".kluis");
const profileFile = (env: NodeJS.ProcessEnv) => join(configDir(env), "profile.json");

export function readProfile(env: NodeJS.ProcessEnv = process.env): Profile | undefined {
  const file = profileFile(env);
  if (!existsSync(file)) return undefined;
  try {
    const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
    if (typeof profile.server === "string" && wellFormed(profile.user)) return profile;
  } catch {
    /* unreadable: reported below */
  }
  throw new CliError(`The sign-in in ${file} cannot be read; run 'kluis logout' and 'kluis login' again.`);
}

/** Written whole then renamed, owner-only from its first byte (it holds a secret). */
export function writeProfile(profile: Profile, env: NodeJS.ProcessEnv = process.env): void {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = profileFile(env);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * Keeps the newest refresh token of a person's sign-in (each use of one gives a new one, whose lifetime starts
 * afresh), unless that sign-in was replaced or logged out of meanwhile.
 */
export function keepRefreshToken(
  server: string,
  name: string,
  refreshToken: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const profile = readProfile(env);
  if (profile?.server !== server || profile.user.type !== "user" || profile.user.name !== name) return;
  writeProfile({ ...profile, user: { ...profile.user, refreshToken } }, env);
}

/** Forgets the sign-in; false if there was none. */
export function removeProfile(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = profileFile(env);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}
