// Comparisons whose time does not tell how much of a guess was right. timingSafeEqual throws on inputs of different
// byte lengths: texts of equal length in characters may differ in bytes (a character outside ASCII), so texts are
// compared as bytes.
import { timingSafeEqual } from "node:crypto";

export const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

export const sameText = (a: string, b: string): boolean => sameBytes(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
