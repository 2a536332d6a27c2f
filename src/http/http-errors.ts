// Every error answer is `{code, message, fix}` from the one catalogue: DarkroomErrors as they
// are, fastify's own errors (validation, body too large, bad content type) mapped to codes.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { catalogue } from '../errors/catalogue.js';
import { DarkroomError, asDarkroomError } from '../errors/darkroom-error.js';

export function errorBody(e: DarkroomError): { code: string; message: string; fix: string } {
  return { code: e.code, message: e.message, fix: e.fix };
}

/** The DarkroomError for anything a route or fastify threw. */
export function toDarkroomError(err: unknown, maxUploadBytes: number): DarkroomError {
  if (err instanceof DarkroomError) return err;
  const fe = err as Partial<FastifyError> & {
    validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  };
  if (Array.isArray(fe.validation)) {
    const v = fe.validation[0];
    const where = `${fe.validationContext ?? 'body'}${v?.instancePath ?? ''}`;
    let detail = v?.message ?? fe.message ?? 'invalid';
    const extra = v?.params?.['additionalProperty'];
    if (typeof extra === 'string') detail = `unknown field "${extra}"`;
    const allowed = v?.params?.['allowedValues'];
    if (Array.isArray(allowed)) detail += ` (${allowed.join(', ')})`;
    return new DarkroomError('E_REQUEST_INVALID', { where, detail }, { cause: err });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new DarkroomError('E_UPLOAD_TOO_LARGE', { limit: maxUploadBytes }, { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DarkroomError(
        'E_REQUEST_INVALID',
        {
          where: 'content-type',
          detail: `unsupported content type "${String(fe.message).split(': ').pop() ?? ''}"`,
        },
        { cause: err },
      );
    default:
      break;
  }
  const status = fe.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DarkroomError(
      'E_REQUEST_INVALID',
      { where: 'request', detail: fe.message ?? 'bad request' },
      { cause: err },
    );
  }
  return asDarkroomError(err);
}

export function sendError(reply: FastifyReply, e: DarkroomError): FastifyReply {
  return reply.code(catalogue[e.code].status).type('application/json; charset=utf-8').send(errorBody(e));
}

export function errorHandler(maxUploadBytes: number) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const e = toDarkroomError(err, maxUploadBytes);
    if (e.kind === 'fault') req.log.error({ code: e.code, err: e.message }, 'request failed');
    else req.log.info({ code: e.code }, e.message);
    if (e.code === 'E_RATE_LIMITED') void reply.header('retry-after', String(e.fields['retryAfterS'] ?? 60));
    return sendError(reply, e);
  };
}
