/**
 * The one error type of the HTTP edge. Rendered as `application/problem+json` (RFC 9457) by
 * the app's error handler; `errors` names each offending field.
 *
 * @example throw new HttpError(404, 'webhook not found');
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** One offending field: a JSON pointer into the request (`/body/3/gatewayId`) and what is wrong. */
export interface FieldError {
  field: string;
  message: string;
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

export const badRequest = (field: string, message: string) =>
  new HttpError(400, `${field}: ${message}`, [{ field, message }]);
