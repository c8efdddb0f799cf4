import { readFileSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option } from 'commander';
import { InvalidAsOfError, resolveAsOf, subjectIdPattern } from '@consent-ledger/consent-domain';
import type { DateMeaning } from '@consent-ledger/consent-domain';
import type { DataSource } from 'typeorm';
import type { Auditor, CheckpointChoice } from '../auditor';
import type { LogReadProgress } from '../event-log.reader';
import { logReaderKinds } from '../replay-options';
import { outputFormats } from '../output-format';
import type { OutputFormat } from '../output-format';

/** Exit codes: 0 clean, 1 verify found something, 2 bad input, 3 could not run. */
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 3;

export class UsageError extends Error {}

export const formatOption = (fallback: OutputFormat) =>
  new Option('-f, --format <format>', 'output format').choices(outputFormats).default(fallback);
export const outputOption = new Option('-o, --output <file>', 'write to a file instead of stdout');
export const progressOption = new Option('--no-progress', 'no progress bar on stderr');
export const topicOption = new Option(
  '--topic <topic>',
  'read another topic of consent events (a copy or archive of the log)',
);
export const logReaderOption = new Option(
  '--log-reader <reader>',
  "how to read the log: direct-fetch (Fetch requests to the partitions' leaders; plaintext or TLS) or kafkajs-consumer (any cluster, slower). Default: direct-fetch unless SASL is configured",
).choices(logReaderKinds);
export const checkpointOption = new Option(
  '--checkpoint <checkpoint>',
  'measure the log against a signed checkpoint of the chain heads: latest (on the checkpoints topic; the default for the live log), none (the default for --topic), or a file written by `auditor checkpoint`',
);

/** A checkpoint file as `auditor checkpoint` writes it, or latest / none. */
export function checkpointChoice(value: string | undefined): CheckpointChoice | undefined {
  if (value === undefined || value === 'latest' || value === 'none') return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new UsageError(`--checkpoint: cannot read ${value}: ${(error as Error).message}`);
  }
  try {
    const exported = JSON.parse(text) as CheckpointChoice;
    if (typeof exported === 'object' && exported.checkpoint && Array.isArray(exported.leaves))
      return exported;
  } catch {
    // Reported below.
  }
  throw new UsageError(
    `--checkpoint: ${value} is not a checkpoint written by \`auditor checkpoint\``,
  );
}

export const zoneOption = new Option(
  '--time-zone <zone>',
  'IANA time zone for local times without an offset (e.g. Europe/Berlin)',
);

export const collect = (value: string, previous: string[] = []) => [...previous, value];
export const subjectId = (value: string) => {
  if (!subjectIdPattern.test(value))
    throw new InvalidArgumentError(`'${value}' is not a subject id (letters, digits, . _ : @ -)`);
  return value;
};
export const subjectIds = (value: string, previous: string[] = []) => [
  ...previous,
  subjectId(value),
];

export function asOf(
  text: string,
  zone: string | undefined,
  what = '--as-of',
  dateMeans: DateMeaning = 'end-of-day',
): Date {
  try {
    const resolved = resolveAsOf(text, zone, dateMeans);
    process.stderr.write(`${what}: ${resolved.explanation}\n`);
    return resolved.instant;
  } catch (error) {
    if (error instanceof InvalidAsOfError) throw new UsageError(`${what}: ${error.message}`);
    throw error;
  }
}

/** A bar on a terminal; on a pipe or in CI, a line at each tenth so logs show progress. */
export function progressReporter(
  enabled: boolean,
  label: string,
): {
  update: (progress: LogReadProgress) => void;
  stop: () => void;
} {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} records | {eta_formatted} left`,
      stream: process.stderr,
      etaBuffer: 50,
    });
    let started = false;
    return {
      update: ({ read, total }) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(read);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update: ({ read, total }) => {
      const tenth = total === 0 ? 10 : Math.floor((read / total) * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`${label}: ${read}/${total} records (${tenth * 10}%)\n`);
    },
    stop: () => undefined,
  };
}

export function emit(text: string, output: string | undefined): void {
  if (output) {
    writeFileSync(output, text);
    process.stderr.write(`written to ${output}\n`);
  } else process.stdout.write(text);
}

/** Builds the auditor from the environment (same settings as every app) and runs `work`. */
/**
 * Runs `work` with an Auditor connected to the configured cluster, registry and database. The
 * libraries behind it (TypeORM above all: most of a second) load here, not when the CLI starts,
 * so that `--help` is quick and a replay's worker threads start while they load.
 */
export async function withAuditor<T>(work: (auditor: Auditor) => Promise<T>): Promise<T> {
  const [
    { loadConfig, loadConsentPolicy },
    { AvroSerde, createKafkaClient },
    { createDataSource },
    { Auditor },
  ] = await Promise.all([
    import('@consent-ledger/config'),
    import('@consent-ledger/kafka'),
    import('@consent-ledger/persistence'),
    import('../auditor'),
  ]);
  const config = loadConfig();
  const kafka = createKafkaClient(config.kafka, 'auditor');
  const dataSource: DataSource = createDataSource({ ...config.database, poolSize: 4 });
  await dataSource.initialize();
  try {
    const auditor = new Auditor({
      config,
      consentPolicy: loadConsentPolicy(config.consentPolicy),
      kafka,
      serde: AvroSerde.connect(config.schemaRegistry),
      dataSource,
    });
    return await work(auditor);
  } finally {
    await dataSource.destroy();
  }
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
