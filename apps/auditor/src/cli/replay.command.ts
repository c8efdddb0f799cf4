import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { FoldWorkers } from '../fold-workers';
import { formatRows } from '../output-format';
import { timeAxes } from '../replay-options';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  formatOption,
  outputOption,
  progressOption,
  topicOption,
  logReaderOption,
  zoneOption,
  collect,
  subjectIds,
  asOf,
  progressReporter,
  emit,
  withAuditor,
  seconds,
} from './cli-support';

/** `auditor replay`. */
export function addReplayCommand(program: Command): void {
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
}
