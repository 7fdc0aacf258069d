// Query parameters Kluis's own admin routes share.
import { badParameter } from "./errors.js";

/** `?top=N`: an integer from 1 to `max`, `fallback` when absent; anything else is 400 BadParameter. */
export function topOf(query: { top?: string }, fallback: number, max: number): number {
  const top = query.top === undefined ? fallback : Number(query.top);
  if (!Number.isInteger(top) || top < 1 || top > max) throw badParameter(`top must be an integer from 1 to ${max}.`);
  return top;
}
