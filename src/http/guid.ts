// Entra's and ARM's ids (application and object ids, role definitions and assignments) are GUIDs, and Azure refuses
// any other text where one is expected.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID.test(value);

/** The spellings .NET reads as a GUID besides the hyphenated one: 32 digits, or the hyphenated one in {} or (). */
const OTHER_SPELLINGS = /^(?:([0-9a-f]{32})|\{([-0-9a-f]{36})\}|\(([-0-9a-f]{36})\))$/i;

/**
 * A GUID as Azure reads one where it parses the text (a role assignment's principal id), in the directory's spelling
 * (hyphenated, lower case); undefined when the text is no GUID.
 */
export function parseGuid(value: string): string | undefined {
  if (isGuid(value)) return value.toLowerCase();
  const [, digits, braced, parenthesized] = OTHER_SPELLINGS.exec(value) ?? [];
  const hyphenated = digits
    ? `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`
    : (braced ?? parenthesized);
  return hyphenated && isGuid(hyphenated) ? hyphenated.toLowerCase() : undefined;
}
