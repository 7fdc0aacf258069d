// The CLI's own error: what went wrong in words, and the server's HTTP status when an answer was the cause.
export class CliError extends Error {
  /** The HTTP status of the server's answer, when the error is one. */
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
