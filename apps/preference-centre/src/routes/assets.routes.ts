import { appFile } from '../app-files';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CentreTexts } from '../texts/centre-texts';

const PUBLIC_DIR = appFile('public');

/** The centre's own files, by name: nothing else of the folder is served. */
const ASSETS: Record<string, string> = {
  'centre.css': 'text/css; charset=utf-8',
  'centre.js': 'text/javascript; charset=utf-8',
  'embed.js': 'text/javascript; charset=utf-8',
  'logo.svg': 'image/svg+xml',
};

/**
 * `/assets/{file}`: the stylesheet, the script and the logo, and `/assets/theme.css`, the
 * operator's accent colour from the texts file (a stylesheet, so no page needs inline styles).
 */
export function registerAssetRoutes(fastify: FastifyInstance, texts: CentreTexts): void {
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(join(PUBLIC_DIR, name)) },
    ]),
  );
  const theme = `:root { --accent: ${texts.brand.accentColour}; }\n`;
  fastify.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const headers = { 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' };
    if (request.params.file === 'theme.css')
      return reply.headers({ ...headers, 'content-type': 'text/css; charset=utf-8' }).send(theme);
    const file = files.get(request.params.file);
    if (!file) return reply.status(404).headers(headers).type('text/plain').send('not found');
    return reply.headers({ ...headers, 'content-type': file.type }).send(file.body);
  });
}
