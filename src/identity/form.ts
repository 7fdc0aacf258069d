// Form-encoded input of the identity endpoints (the token request's body, the discovery queries), decoded strictly:
// a malformed percent-encoding is the client's error, answered with Entra's 400, never decoded into something else.

/** A parameter whose name or value does not decode; the message never repeats the value (it may be a secret). */
export class MalformedEncodingError extends Error {
  readonly statusCode = 400;
}

/** `%XX` sequences of UTF-8 bytes decoded, or a MalformedEncodingError naming `what`. */
export function decodePercent(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new MalformedEncodingError(`${what} holds a malformed percent-encoding.`);
  }
}

/** application/x-www-form-urlencoded decoding of one name or value: `+` is a space. */
const decodeFormComponent = (text: string, what: string) => decodePercent(text.replaceAll("+", " "), what);

/** The parameters of a form body or query string; the last of a repeated name wins, as URLSearchParams would give. */
export function parseForm(text: string, where: string): Record<string, string> {
  const form = new Map<string, string>();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq), `A parameter name in the ${where}`);
    form.set(
      name,
      decodeFormComponent(eq < 0 ? "" : pair.slice(eq + 1), `The ${where} parameter '${name.slice(0, 100)}'`),
    );
  }
  // fromEntries makes own properties, so a parameter named __proto__ is just a parameter.
  return Object.fromEntries(form);
}
