// Key Vault's rule for the name of a certificate, key or secret in a request URI.
import { badParameter } from "./errors.js";

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;

/** Whether `text` has the characters and length of a certificate's, key's or secret's name. */
export const isObjectName = (text: string): boolean => NAME_PATTERN.test(text);

export function checkObjectName(name: string, label: string): string {
  if (!isObjectName(name)) {
    throw badParameter(
      `The request URI contains an invalid ${label} name '${name}'. Names must match ^[0-9a-zA-Z-]{1,127}$.`,
    );
  }
  return name;
}
