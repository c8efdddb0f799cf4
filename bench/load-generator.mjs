// The decisions benchmark's load generator, in a process of its own so that its pauses are not
// the benchmark's own (a TypeScript process holds the compiler in its heap). Plain JavaScript.
// Usage: node bench/load-generator.mjs <spec.json>; prints autocannon's result as JSON.
// spec: { url, headers, connections, rate, seconds, bodies: [string, …] } (bodies are cycled).
import { readFileSync } from 'node:fs';
import process from 'node:process';
import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let next = 0;
autocannon(
  {
    url: spec.url,
    method: 'POST',
    headers: spec.headers,
    connections: spec.connections,
    overallRate: spec.rate,
    duration: spec.seconds,
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: spec.bodies[next++ % spec.bodies.length] }),
      },
    ],
  },
  (error, result) => {
    if (error) {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    }
    process.stdout.write(JSON.stringify(result));
  },
);
