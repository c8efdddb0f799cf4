import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Errors shaped like body-parser's, which the problem+json filter already knows. */
const bodyError = (
  type: 'entity.too.large' | 'entity.parse.failed',
  status: number,
  limit: number,
) => Object.assign(new Error(type), { type, status, statusCode: status, limit });

export interface JsonBodyOptions {
  /** Largest body accepted; past it the client gets 413 problem+json. */
  readonly maxBytes: number;
  /** Requests whose handler reads the body as a stream itself (left unparsed). */
  readonly streamed?: (request: FastifyRequest) => boolean;
}

/**
 * JSON bodies (`application/json` and `application/*+json`) for a Fastify-based app: at most
 * `maxBytes` (413 past it, after reading and dropping the rest so the client gets its answer),
 * 400 when malformed, both as the problem+json the filter writes for body-parser's errors.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, options: JsonBodyOptions): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'ignore');
  fastify.removeContentTypeParser('application/json');
  // Fastify reads text/plain as a string by default; no route here takes one, and a JSON body
  // sent as text (a client that forgot the header) gets 415 saying so, not a validation error.
  fastify.removeContentTypeParser('text/plain');
  const parse = (
    request: FastifyRequest,
    payload: IncomingMessage,
    done: (error: Error | null, body?: unknown) => void,
  ): void => {
    if (options.streamed?.(request)) return done(null, undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (error: Error | null, body?: unknown) => {
      if (finished) return;
      finished = true;
      done(error, body);
    };
    const tooLarge = () => finish(bodyError('entity.too.large', 413, options.maxBytes));
    if (Number(request.headers['content-length'] ?? 0) > options.maxBytes) tooLarge();
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) tooLarge();
      else if (!finished) chunks.push(chunk);
    });
    payload.on('error', (error) => finish(error));
    payload.on('end', () =>
      parseJson(request, Buffer.concat(chunks).toString('utf8'), (error, body) =>
        finish(error ? bodyError('entity.parse.failed', 400, options.maxBytes) : null, body),
      ),
    );
  };
  fastify.addContentTypeParser('application/json', parse);
  fastify.addContentTypeParser(/^application\/[a-z0-9.+-]+\+json$/, parse);
}
