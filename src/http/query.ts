// Query parameters Kluis's own admin routes share.
import { badParameter } from "./errors.js";

/** `?top=N` (its text, see route.ts's queryText): an integer from 1 to `max`, `fallback` when absent; else 400 BadParameter. */
export function topOf(text: string | undefined, fallback: number, max: number): number {
  const top = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(top) || top < 1 || top > max) throw badParameter(`top must be an integer from 1 to ${max}.`);
  return top;
}
