/**
 * Stand-ins for the downstream vendors on the local stack, so that `npm start` shows
 * propagation end to end: an email platform (Braze-shaped) on :3950 and a CRM (HubSpot-shaped)
 * on :3951. They log each update as one JSON line and answer /health. Not for production.
 */
import { createServer } from 'node:http';

function vendor(name: string, port: number, success: number): void {
  let updates = 0;
  createServer((request, response) => {
    if (request.url === '/health') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', updates }));
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      updates += 1;
      process.stdout.write(
        `${JSON.stringify({ time: new Date().toISOString(), vendor: name, method: request.method, path: request.url, idempotencyKey: request.headers['idempotency-key'], body: body ? JSON.parse(body) : null })}\n`,
      );
      response
        .writeHead(success, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'success' }));
    });
  }).listen(port, '127.0.0.1');
}

vendor('email-platform', 3950, 201);
vendor('crm', 3951, 200);
process.stdout.write(
  'fake vendors: email platform on http://127.0.0.1:3950, CRM on http://127.0.0.1:3951\n',
);
