/**
 * The one error catalogue. Services throw DomainError with a code from here; only the HTTP
 * error middleware maps codes to status lines. Codes are documented in the README.
 */
export const errorCatalogue = {
  validation_failed: { status: 400, message: 'The request is not valid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unauthenticated: { status: 401, message: 'A valid API key is required.' },
  forbidden: { status: 403, message: 'This API key does not have the role for this action.' },
  not_found: { status: 404, message: 'The resource does not exist.' },
  route_not_found: { status: 404, message: 'No such route.' },
  touchpoint_not_found: { status: 404, message: 'The touchpoint does not exist.' },
  conflict: { status: 409, message: 'A resource with this key already exists.' },
  version_conflict: {
    status: 409,
    message: 'The resource changed since it was read; read it again and retry.',
  },
  invalid_transition: { status: 409, message: 'The experiment cannot make this lifecycle change.' },
  experiment_locked: { status: 409, message: 'A running experiment cannot change this field.' },
  precondition_failed: { status: 409, message: 'The experiment does not meet the conditions to start.' },
  overlap_conflict: { status: 409, message: 'Another running experiment on this touchpoint is exclusive.' },
  in_use: { status: 409, message: 'The resource is referenced by another one.' },
  identity_conflict: {
    status: 409,
    message: 'The id is linked to another customer, or cannot be linked this way.',
  },
  payload_too_large: { status: 413, message: 'The request body is larger than the limit.' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON.' },
  refresh_in_progress: { status: 409, message: 'A refresh of this experiment is already running.' },
  attribution_busy: {
    status: 409,
    message: 'Another instance holds the attribution lease; run the recompute there or try again.',
  },
  not_started: { status: 409, message: 'The experiment has not started; there is nothing to read out yet.' },
  refresh_failed: { status: 500, message: 'The refresh failed; the previous snapshot is kept.' },
  rate_limited: { status: 429, message: 'Too many requests; retry after the time in Retry-After.' },
  pdf_busy: { status: 503, message: 'Too many PDF exports are waiting; retry shortly.' },
  pdf_unavailable: { status: 503, message: 'PDF export is not available: the browser could not start.' },
  database_unavailable: { status: 503, message: 'The database is not reachable.' },
  exposure_log_unavailable: {
    status: 503,
    message: 'The exposure could not be made durable (local disk); retry shortly.',
  },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export interface FieldIssue {
  path: string;
  reason: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'DomainError';
  }
}

export function validationError(issues: FieldIssue[], message?: string): DomainError {
  return new DomainError('validation_failed', message ?? errorCatalogue.validation_failed.message, {
    fields: issues,
  });
}
