import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Errors shaped like body-parser's, which the problem+json filter already knows. */
export const bodyError = (
  type: 'entity.too.large' | 'entity.parse.failed',
  status: number,
  limit: number,
) => Object.assign(new Error(type), { type, status, statusCode: status, limit });

/**
 * Reads a request body of at most `maxBytes` as UTF-8 text; past it, `done` gets the 413 error.
 * A body whose Content-Length is over the limit is refused before this is reached (see
 * registerEarlyRefusals); one sent without a length (chunked) is read to its end even when it
 * will be refused, so that the client gets its answer rather than a reset connection. Shared by the Fastify parser below and {@link PlainJsonRoutes}.
 */
export function readBodyText(
  body: Readable,
  headers: IncomingHttpHeaders,
  maxBytes: number,
  done: (error: Error | null, text?: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = Number(headers['content-length'] ?? 0) > maxBytes;
  let finished = false;
  const finish = (error: Error | null, text?: string) => {
    if (finished) return;
    finished = true;
    done(error, text);
  };
  body.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  });
  body.on('error', (error) => finish(error));
  body.on('end', () =>
    tooLarge
      ? finish(bodyError('entity.too.large', 413, maxBytes))
      : finish(null, Buffer.concat(chunks, size).toString('utf8')),
  );
}

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
    readBodyText(payload, request.headers, options.maxBytes, (error, text) => {
      if (error) return done(error);
      parseJson(request, text!, (parseError, body) =>
        done(parseError ? bodyError('entity.parse.failed', 400, options.maxBytes) : null, body),
      );
    });
  };
  fastify.addContentTypeParser('application/json', parse);
  fastify.addContentTypeParser(/^application\/[a-z0-9.+-]+\+json$/, parse);
}
