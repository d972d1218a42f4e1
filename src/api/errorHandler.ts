import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type FieldError, HttpError } from './httpError.js';

const PROBLEM = 'application/problem+json';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Ajv's errors as field pointers: `/body/url`, `/body/3/gatewayId`, `/querystring/status`. */
export function fieldErrors(context: string, errors: AjvError[]): FieldError[] {
  return errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      let field = `/${context}${e.instancePath}`;
      let message = e.message ?? e.keyword;
      if (e.keyword === 'required') field += `/${e.params.missingProperty}`;
      if (e.keyword === 'additionalProperties') {
        field += `/${e.params.additionalProperty}`;
        message = 'is not a known field';
      }
      if (e.keyword === 'enum') message += `: ${(e.params.allowedValues as unknown[]).join(', ')}`;
      return { field, message };
    });
}

/**
 * Every error leaves as problem+json. HttpErrors and schema failures say what is wrong; anything
 * else is logged and answered as a 500 that tells nothing of the internals.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  let title = 'internal error';
  let errors: FieldError[] | undefined;
  if (error instanceof HttpError) {
    status = error.status;
    title = error.message;
    errors = error.errors;
    if (error.headers) reply.headers(error.headers);
  } else if (error.validation) {
    status = 400;
    errors = fieldErrors(error.validationContext ?? 'body', error.validation as AjvError[]);
    title = `invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`;
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode;
    title = error.message;
  } else {
    request.log.error({ err: error }, 'unhandled error');
  }
  reply.code(status).type(PROBLEM).send({ type: 'about:blank', title, status, ...(errors ? { errors } : {}) });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  reply
    .code(404)
    .type(PROBLEM)
    .send({ type: 'about:blank', title: `no route ${request.method} ${request.url.split('?')[0]}`, status: 404 });
}

/**
 * Fastify's own refusals before routing (a path with malformed percent-encoding such as
 * `%ED%A0%80`, an encoded lone surrogate) leave as problem+json like every other error.
 */
export function badUrlHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code !== 'FST_ERR_BAD_URL') return errorHandler(error, request, reply);
  const errors: FieldError[] = [{ field: '/params', message: 'the path is not valid percent-encoded UTF-8' }];
  reply.code(400).type(PROBLEM).send({ type: 'about:blank', title: 'invalid request: /params the path is not valid percent-encoded UTF-8', status: 400, errors });
}
