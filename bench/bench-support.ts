import { Agent, request as httpRequest } from 'node:http';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { externalIds, startFakeVendor, waitFor } from '@consent-ledger/testing';
import type { FakeVendor } from '@consent-ledger/testing';

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/** Runs one of Kafka's own tools from the broker's jars; resolves with its output. */
export function runKafkaTool(
  kafkaLibs: string,
  mainClass: string,
  args: readonly string[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'java',
      ['-Xmx512m', '-cp', `${kafkaLibs}/*`, mainClass, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${mainClass} failed: ${error.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

/** Prints rows as an aligned table. */
export function printTable(rows: ReadonlyArray<Record<string, string | number>>): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column]).length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ');
  process.stdout.write(`${line(columns)}\n${line(widths.map((width) => '-'.repeat(width)))}\n`);
  for (const row of rows)
    process.stdout.write(`${line(columns.map((column) => String(row[column])))}\n`);
}

export function writeResults(name: string, results: unknown): string {
  const file = `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** Runs `work` with at most `concurrency` calls in flight. */
export async function withConcurrency<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POSTs a JSON body over a kept-open connection and resolves with the status once the answer is
 * read. node:http rather than fetch: at a thousand requests a second the load generator shares
 * the machine it measures, and node:http costs a fraction of fetch's CPU per request.
 */
export function postJson(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('error', reject);
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** A withdrawal of marketing e-mail for `subjectId` (its own idempotency key), as the benches offer. */
export function withdrawal(subjectId: string) {
  return {
    subjectId,
    purpose: 'marketing.email',
    action: 'WITHDRAW',
    jurisdiction: 'DE',
    channel: 'EMAIL_LINK',
    method: 'UNSUBSCRIBE_LINK',
    occurredAt: new Date(Date.now() - 1000).toISOString(),
    idempotencyKey: subjectId,
  };
}

/** The address a benchmark puts into the vault for a subject (ids are lower case already). */
export const benchEmail = (subjectId: string): string => `${subjectId}@bench.example.com`;
const subjectOfBenchEmail = (email: string): string => email.slice(0, email.lastIndexOf('@'));

/**
 * The fake email platform the benches deliver to, with when it first applied an update for each
 * subject (performance.now()), whether it is told external ids or email addresses.
 */
export async function startTimedEmailPlatform(): Promise<{
  readonly vendor: FakeVendor;
  readonly applied: Map<string, number>;
}> {
  const applied = new Map<string, number>();
  const vendor = await startFakeVendor(201);
  vendor.script((request) => {
    const now = performance.now();
    const emails = (request.body.email as string[] | undefined) ?? [];
    for (const subjectId of [...externalIds(request), ...emails.map(subjectOfBenchEmail)])
      if (!applied.has(subjectId)) applied.set(subjectId, now);
    return undefined;
  });
  return { vendor, applied };
}

/**
 * Waits until every subject of `accepted` was applied, or nothing new was applied for 30 s (what
 * is missing then counts as lost).
 */
export async function waitForDrain(
  accepted: readonly string[],
  applied: ReadonlyMap<string, number>,
  { timeoutMs, description }: { readonly timeoutMs: number; readonly description: string },
): Promise<void> {
  let lastCount = -1;
  let lastProgress = performance.now();
  await waitFor(
    () => {
      const arrived = accepted.filter((subjectId) => applied.has(subjectId)).length;
      if (arrived !== lastCount) [lastCount, lastProgress] = [arrived, performance.now()];
      return arrived === accepted.length || performance.now() - lastProgress > 30_000;
    },
    { timeoutMs, intervalMs: 200, description },
  );
}
