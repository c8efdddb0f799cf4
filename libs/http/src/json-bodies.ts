import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface JsonBodyOptions {
  /** Largest body accepted; a larger one is answered 413 (problem+json). */
  readonly limitBytes: number;
  /** Paths whose handlers read the body themselves as a stream (JSON or NDJSON of any size). */
  readonly streamedPaths?: readonly string[];
}

/** Errors shaped like body-parser's, which the problem+json filter already knows. */
const bodyError = (
  type: 'entity.too.large' | 'entity.parse.failed',
  status: number,
  limit: number,
) => Object.assign(new Error(type), { type, status, statusCode: status, limit });

/**
 * JSON bodies up to a limit on a Fastify app, with the errors the problem+json filter maps (413,
 * 400 malformed JSON), except on `streamedPaths`, whose handlers read the raw request stream.
 */
export function useBoundedJsonBodies(fastify: FastifyInstance, options: JsonBodyOptions): void {
  const limit = options.limitBytes;
  const parseJson = fastify.getDefaultJsonParser('error', 'ignore');
  const streamed = (request: FastifyRequest) =>
    (options.streamedPaths ?? []).includes(request.url.split('?')[0]!);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    (
      request: FastifyRequest,
      payload: IncomingMessage,
      done: (error: Error | null, body?: unknown) => void,
    ) => {
      if (streamed(request)) return done(null, undefined);
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      const finish = (error: Error | null, body?: unknown) => {
        if (finished) return;
        finished = true;
        done(error, body);
      };
      const tooLarge = () => finish(bodyError('entity.too.large', 413, limit));
      if (Number(request.headers['content-length'] ?? 0) > limit) tooLarge();
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the rest is read and dropped, so the client still gets its 413.
        if (size > limit) tooLarge();
        else if (!finished) chunks.push(chunk);
      });
      payload.on('error', (error) => finish(error));
      payload.on('end', () =>
        parseJson(request, Buffer.concat(chunks).toString('utf8'), (error, body) =>
          finish(error ? bodyError('entity.parse.failed', 400, limit) : null, body),
        ),
      );
    },
  );
  if (options.streamedPaths?.length) {
    // NDJSON only makes sense for streamed paths; their handlers read the stream.
    fastify.addContentTypeParser(
      ['application/x-ndjson', 'application/jsonl'],
      (_request, _payload, done) => done(null, undefined),
    );
  }
}
