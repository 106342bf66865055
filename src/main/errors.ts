import type { z } from 'zod';
import type { ErrorCode, ErrorInfo } from '../shared/errors';
import { IncusError, IncusOperationError, IncusProtocolError, IncusUnreachableError } from './incus/errors';

/** An error meant for the user: a specific code and a message that says what to do next. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Any thrown value as data the faces of the app can show. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof AppError) {
    return error.details ? { code: error.code, message: error.message, details: error.details } : { code: error.code, message: error.message };
  }
  if (error instanceof IncusUnreachableError) {
    const code = error.code === 'connection-lost' || error.code === 'host-unreachable' ? error.code : 'incus-unreachable';
    return { code, message: error.message };
  }
  if (error instanceof IncusOperationError) return { code: 'operation-failed', message: error.message };
  if (error instanceof IncusError) return { code: error.status === 404 ? 'not-found' : 'incus', message: error.message };
  if (error instanceof IncusProtocolError) return { code: 'incus', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/** `input` checked against `schema`; an AppError 'invalid-input' naming the first problem and where it is when it does not fit. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new AppError('invalid-input', `invalid ${what}: ${where}${issue?.message ?? 'invalid'}`);
}

/** Incus has no project by this name (it answered 404 "Project not found", or listed none of it). */
export function projectMissing(project: string): AppError {
  return new AppError('not-found', `the Incus project '${project}' does not exist on this host: create it (incus project create ${project}), or name a project that exists in the host's "project" in hosts.json`);
}
