// Key Vault's rule for the name of a certificate, key or secret in a request URI.
import { badParameter } from "./errors.js";

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;

export function checkObjectName(name: string, label: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw badParameter(
      `The request URI contains an invalid ${label} name '${name}'. Names must match ^[0-9a-zA-Z-]{1,127}$.`,
    );
  }
  return name;
}
