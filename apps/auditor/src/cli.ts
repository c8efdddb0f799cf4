import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  InvalidAsOfError,
  resolveAsOf,
  type DateMeaning,
  subjectIdPattern,
  UnknownPurposeError,
} from '@consent-ledger/consent-domain';
import type { DataSource } from 'typeorm';
import type { Auditor, CheckpointChoice } from './auditor';
import type { LogReadProgress } from './event-log.reader';
import { FoldWorkers } from './fold-workers';
import {
  logReaderKinds,
  LogReaderUnavailableError,
  timeAxes,
  UnknownTopicError,
} from './replay-options';
import { formatRows, outputFormats, type OutputFormat } from './output-format';
import { renderProofHtml } from './proof-report';

/** Exit codes: 0 clean, 1 verify found something, 2 bad input, 3 could not run. */
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;
const EXIT_FAILURE = 3;

class UsageError extends Error {}

const formatOption = (fallback: OutputFormat) =>
  new Option('-f, --format <format>', 'output format').choices(outputFormats).default(fallback);
const outputOption = new Option('-o, --output <file>', 'write to a file instead of stdout');
const progressOption = new Option('--no-progress', 'no progress bar on stderr');
const topicOption = new Option(
  '--topic <topic>',
  'read another topic of consent events (a copy or archive of the log)',
);
const logReaderOption = new Option(
  '--log-reader <reader>',
  "how to read the log: direct-fetch (Fetch requests to the partitions' leaders; plaintext or TLS) or kafkajs-consumer (any cluster, slower). Default: direct-fetch unless SASL is configured",
).choices(logReaderKinds);
const checkpointOption = new Option(
  '--checkpoint <checkpoint>',
  'measure the log against a signed checkpoint of the chain heads: latest (on the checkpoints topic; the default for the live log), none (the default for --topic), or a file written by `auditor checkpoint`',
);

/** A checkpoint file as `auditor checkpoint` writes it, or latest / none. */
function checkpointChoice(value: string | undefined): CheckpointChoice | undefined {
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

const zoneOption = new Option(
  '--time-zone <zone>',
  'IANA time zone for local times without an offset (e.g. Europe/Berlin)',
);

const collect = (value: string, previous: string[] = []) => [...previous, value];
const subjectId = (value: string) => {
  if (!subjectIdPattern.test(value))
    throw new InvalidArgumentError(`'${value}' is not a subject id (letters, digits, . _ : @ -)`);
  return value;
};
const subjectIds = (value: string, previous: string[] = []) => [...previous, subjectId(value)];

function asOf(
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
function progressReporter(
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

function emit(text: string, output: string | undefined): void {
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
async function withAuditor<T>(work: (auditor: Auditor) => Promise<T>): Promise<T> {
  const [
    { loadConfig, loadConsentPolicy },
    { AvroSerde, createKafkaClient },
    { createDataSource },
    { Auditor },
  ] = await Promise.all([
    import('@consent-ledger/config'),
    import('@consent-ledger/kafka'),
    import('@consent-ledger/persistence'),
    import('./auditor'),
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

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function auditorProgram(): Command {
  const program = new Command('auditor')
    .description(
      'Consent Ledger auditor: replay the consent log to any moment, verify it, prove consent, export events.\n' +
        'Reads the same settings as the apps (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, …).',
    )
    .showHelpAfterError()
    .exitOverride();

  program
    .command('replay')
    .description(
      'Reconstruct every subject’s consent as of a moment by folding the log from its beginning',
    )
    .requiredOption('--as-of <time>', 'ISO-8601 time; a local time needs --time-zone')
    .addOption(zoneOption)
    .option('--subject <id>', 'only this subject (repeatable)', subjectIds)
    .option('--purpose <purpose>', 'only this purpose (repeatable)', collect)
    .addOption(topicOption)
    .option(
      '--readers <n>',
      'threads reading the log (default: one per core for logs of 100,000 records or more)',
      (value) => {
        const readers = Number.parseInt(value, 10);
        if (!(readers >= 1 && readers <= 64)) throw new InvalidArgumentError('1 to 64');
        return readers;
      },
    )
    .addOption(
      new Option(
        '--time-axis <axis>',
        'recorded: what the system had recorded by then (the state its views held); occurred: what people had done by then, as the log knows it now',
      )
        .choices(timeAxes)
        .default('recorded'),
    )
    .addOption(logReaderOption)
    .option('--stats <file>', 'also write the read statistics as JSON to this file')
    .addOption(formatOption('table'))
    .addOption(outputOption)
    .addOption(progressOption)
    .action(async (options) => {
      const at = asOf(options.asOf, options.timeZone);
      // The workers a large log is folded with start now, while this thread connects.
      const workers = FoldWorkers.start((options.readers ?? availableParallelism()) - 1);
      await withAuditor(async (auditor) => {
        if (options.purpose) auditor.assertPurposes(options.purpose);
        const progress = progressReporter(options.progress, 'replay');
        const result = await auditor.replay({
          asOf: at,
          ...(options.subject ? { subjectIds: options.subject } : {}),
          ...(options.topic ? { topic: options.topic } : {}),
          ...(options.readers ? { readers: options.readers } : {}),
          ...(options.logReader ? { logReader: options.logReader } : {}),
          timeAxis: options.timeAxis,
          workers,
          onProgress: progress.update,
        });
        workers.close(); // those the log's size did not call for
        progress.stop();
        const stats = {
          topic: result.topic,
          asOf: result.asOf,
          records: result.recordsRead,
          eventsApplied: result.eventsApplied,
          subjects: result.subjects,
          unreadable: result.unreadable.length,
          readers: result.readers,
          logReader: result.logReader,
          fetchMs: result.fetchMs,
          totalMs: result.totalMs,
          recordsPerSecond: Math.round(result.recordsRead / Math.max(0.001, result.fetchMs / 1000)),
        };
        if (options.stats) writeFileSync(options.stats, `${JSON.stringify(stats, null, 2)}\n`);
        emit(
          formatRows(auditor.rows(result.states, at, options.purpose), options.format),
          options.output,
        );
        process.stderr.write(
          `replayed ${result.recordsRead} records of ${result.topic}: ${result.eventsApplied} events ${options.timeAxis === 'occurred' ? 'acted on' : 'recorded'} by ${result.asOf}, ${result.subjects} subjects, ${result.unreadable.length} unreadable, in ${seconds(result.totalMs)} (${stats.recordsPerSecond} records/s once fetching, ${result.readers} reader${result.readers > 1 ? 's' : ''}, ${result.logReader})\n`,
        );
        for (const record of result.unreadable)
          process.stderr.write(
            `  unreadable: partition ${record.partition} offset ${record.offset}: ${record.reason}\n`,
          );
      }).finally(() => workers.close());
    });

  program
    .command('verify')
    .description(
      'Check every subject’s hash chain and compare the log with the read model (exit 1 on any finding)',
    )
    .option('--as-of <time>', 'compare the state at this moment (from the stored history)')
    .addOption(zoneOption)
    .addOption(topicOption)
    .addOption(logReaderOption)
    .addOption(checkpointOption)
    .addOption(formatOption('table'))
    .addOption(outputOption)
    .addOption(progressOption)
    .action(async (options) => {
      const at = options.asOf ? asOf(options.asOf, options.timeZone) : undefined;
      const checkpoint = checkpointChoice(options.checkpoint);
      const report = await withAuditor(async (auditor) => {
        const progress = progressReporter(options.progress, 'verify');
        const result = await auditor.verify({
          ...(at ? { asOf: at } : {}),
          ...(options.topic ? { topic: options.topic } : {}),
          ...(options.logReader ? { logReader: options.logReader } : {}),
          ...(checkpoint ? { checkpoint } : {}),
          onProgress: progress.update,
        });
        progress.stop();
        return result;
      });
      if (options.format === 'json') emit(`${JSON.stringify(report, null, 2)}\n`, options.output);
      else emit(formatRows(report.findings, options.format), options.output);
      process.stderr.write(
        `${report.consistent ? 'consistent' : `${report.findings.length} finding(s)`}: ${report.eventsChecked} events of ${report.topic} checked, ${report.readModelEvents} stored events and ${report.subjectsCompared} subjects compared${report.asOf ? ` as of ${report.asOf}` : ''}${report.checkpoint ? `, against checkpoint ${report.checkpoint.checkpointId} of ${report.checkpoint.createdAt} (${report.checkpoint.subjectCount} heads)` : ''}\n`,
      );
      if (!report.consistent) process.exitCode = EXIT_FINDINGS;
    });

  program
    .command('checkpoint')
    .description(
      'Export the latest signed checkpoint of the chain heads with its leaves (JSON), to keep outside the system; `verify --checkpoint <file>` measures any copy of the log against it',
    )
    .addOption(outputOption)
    .action(async (options) => {
      const exported = await withAuditor((auditor) => auditor.latestCheckpoint());
      if (!exported) {
        process.stderr.write(
          'no checkpoint has been taken yet (the API takes one every CHAIN_CHECKPOINT_INTERVAL_MS)\n',
        );
        process.exitCode = EXIT_FAILURE;
        return;
      }
      emit(`${JSON.stringify(exported)}\n`, options.output);
      process.stderr.write(
        `checkpoint ${exported.checkpoint.checkpointId} of ${exported.checkpoint.createdAt}: ${exported.checkpoint.subjectCount} heads, root ${exported.checkpoint.merkleRoot}, key ${exported.checkpoint.keyId}\n`,
      );
    });

  program
    .command('proof')
    .description(
      'Everything that shows what a person agreed to: events, notices shown, evidence, what each system was told',
    )
    .requiredOption('--subject <id>', 'the subject', subjectId)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['json', 'html'])
        .default('json'),
    )
    .addOption(outputOption)
    .action(async (options) => {
      const proof = await withAuditor((auditor) => auditor.proof(options.subject));
      if (proof.events.length === 0)
        process.stderr.write(`no consent events are recorded for ${options.subject}\n`);
      emit(
        options.format === 'html' ? renderProofHtml(proof) : `${JSON.stringify(proof, null, 2)}\n`,
        options.output,
      );
      if (!proof.chainIntact) {
        process.stderr.write('the subject’s hash chain is BROKEN: see the events marked so\n');
        process.exitCode = EXIT_FINDINGS;
      }
    });

  program
    .command('export')
    .description('All events recorded in [--from, --to), in the order they were recorded')
    .requiredOption(
      '--from <time>',
      'ISO-8601 time or date (inclusive; a date is its first instant)',
    )
    .requiredOption('--to <time>', 'ISO-8601 time or date (exclusive; a date is its first instant)')
    .addOption(zoneOption)
    .addOption(topicOption)
    .addOption(formatOption('ndjson'))
    .addOption(outputOption)
    .addOption(progressOption)
    .action(async (options) => {
      // Dates alone make whole days: --from 2026-01-01 --to 2026-02-01 is January.
      const from = asOf(options.from, options.timeZone, '--from', 'start-of-day');
      const to = asOf(options.to, options.timeZone, '--to', 'start-of-day');
      if (to <= from) throw new UsageError('--to must be after --from');
      await withAuditor(async (auditor) => {
        const progress = progressReporter(options.progress, 'export');
        const { events, unreadable } = await auditor.export({
          from,
          to,
          ...(options.topic ? { topic: options.topic } : {}),
          onProgress: progress.update,
        });
        progress.stop();
        emit(formatRows(events, options.format), options.output);
        process.stderr.write(
          `exported ${events.length} events recorded in [${from.toISOString()}, ${to.toISOString()}); ${unreadable.length} unreadable records\n`,
        );
      });
    });

  program
    .command('usage')
    .description('Which campaigns and training runs used a person’s data, and under which consent')
    .option('--subject <id>', 'uses of this subject’s data', subjectId)
    .option('--campaign <id>', 'subjects this campaign asked about')
    .option('--job <id>', 'subjects this job asked about or trained on')
    .option('--limit <n>', 'most rows', (value) => Number.parseInt(value, 10), 10_000)
    .addOption(formatOption('table'))
    .addOption(outputOption)
    .action(async (options) => {
      if (!options.subject && !options.campaign && !options.job)
        throw new UsageError('give --subject, --campaign or --job');
      const rows = await withAuditor((auditor) =>
        auditor.usage({
          ...(options.subject ? { subjectId: options.subject } : {}),
          ...(options.campaign ? { campaignId: options.campaign } : {}),
          ...(options.job ? { jobId: options.job } : {}),
          limit: options.limit,
        }),
      );
      emit(formatRows(rows, options.format), options.output);
    });

  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await auditorProgram().parseAsync([...argv]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return;
    if (code?.startsWith('commander.')) {
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (
      error instanceof UsageError ||
      error instanceof UnknownPurposeError ||
      error instanceof UnknownTopicError ||
      error instanceof LogReaderUnavailableError
    ) {
      process.stderr.write(`auditor: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(
      `auditor failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  }
}

if (require.main === module) void main(process.argv);
