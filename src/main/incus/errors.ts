/** The daemon answered with an error: its HTTP-like status and its own message, verbatim. */
export class IncusError extends Error {
  override readonly name = 'IncusError';
  constructor(
    readonly status: number,
    message: string,
    readonly request: string,
  ) {
    super(message);
  }
}

/** The daemon could not be reached at all (no socket, refused, no permission). */
export class IncusUnreachableError extends Error {
  override readonly name = 'IncusUnreachableError';
  constructor(
    readonly endpoint: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The user interrupted (Ctrl-C) while a request or an operation was pending. The message says
 * what became of it: abandoned, cancelled in Incus, or still running there.
 */
export class IncusInterruptedError extends Error {
  override readonly name = 'IncusInterruptedError';
  constructor(
    message: string,
    readonly operationId?: string,
  ) {
    super(message);
  }
}

/** The daemon answered something this app does not understand. */
export class IncusProtocolError extends Error {
  override readonly name = 'IncusProtocolError';
}

/** A background operation ended without success (failed, cancelled, or vanished before we read it). */
export class IncusOperationError extends Error {
  override readonly name = 'IncusOperationError';
  constructor(
    readonly operationId: string,
    readonly outcome: 'failed' | 'cancelled' | 'lost',
    message: string,
  ) {
    super(message);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof IncusError && error.status === 404;
}
