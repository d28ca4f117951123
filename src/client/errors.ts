/**
 * Everything the AgentRuntime client throws. `code` is stable: callers branch on it, and
 * it is the contract's error code for answers from the server.
 */
export class AgentRuntimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server answered with a non-2xx status and the contract's error envelope (or none). */
export class ApiError extends AgentRuntimeError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(code, message);
  }

  /** 429 and 5xx may pass; everything else will answer the same again. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** No answer: the server is down, refused, or dropped the connection. */
export class ConnectionError extends AgentRuntimeError {
  constructor(message: string, cause: unknown) {
    super("connection_failed", message, { cause });
  }
}

/** No answer within the deadline. */
export class TimeoutError extends AgentRuntimeError {
  constructor(message: string) {
    super("timeout", message);
  }
}

/** A 2xx answer that does not match the contract: a server of another version, or a proxy. */
export class InvalidResponseError extends AgentRuntimeError {
  constructor(
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
  ) {
    super("invalid_response", message);
  }
}
