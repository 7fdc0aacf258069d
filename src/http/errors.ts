// Key Vault's error shape: {"error":{"code","message","innererror"?}} with the matching HTTP status.
export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }

  toBody() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}),
      },
    };
  }
}

/** A caught value's message: an Error's own, anything else thrown in its string form. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A caught value's `code` (node's system errors, SQLite's, jose's), if it has one. */
export const errorCode = (err: unknown): unknown =>
  typeof err === "object" && err !== null && "code" in err ? err.code : undefined;

export const badParameter = (message: string) => new KeyVaultError(400, "BadParameter", message);

export const notFound = (code: string, message: string) => new KeyVaultError(404, code, message);

export const forbidden = (message: string, innerCode?: string) =>
  new KeyVaultError(403, "Forbidden", message, innerCode);

export const conflict = (message: string, innerCode?: string) => new KeyVaultError(409, "Conflict", message, innerCode);

export const unauthorized = (message: string) => new KeyVaultError(401, "Unauthorized", message);

/** An error the client should retry after `retryAfter` seconds, sent as the Retry-After header (see error-handler.ts). */
export class RetryLaterError extends KeyVaultError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly retryAfter: number,
  ) {
    super(status, code, message);
  }
}

/** Key Vault's 429 when a service limit is reached, worded as Azure words it. */
export const throttled = (reason: string, retryAfter: number) =>
  new RetryLaterError(
    429,
    "Throttled",
    `Request was not processed because too many requests were received. Reason: ${reason}`,
    retryAfter,
  );
