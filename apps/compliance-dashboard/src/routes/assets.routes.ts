import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { appFile } from '../app-files';

/** The dashboard's own files, by name: nothing else of the folder is served. */
const ASSETS: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
};

export function registerAssetRoutes(fastify: FastifyInstance): void {
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(join(appFile('public'), name)) },
    ]),
  );
  fastify.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const file = files.get(request.params.file);
    const headers = { 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' };
    if (!file) return reply.status(404).headers(headers).type('text/plain').send('not found');
    return reply.headers({ ...headers, 'content-type': file.type }).send(file.body);
  });
}
