import type { Command } from 'commander';
import { formatRows } from '../output-format';
import {
  UsageError,
  formatOption,
  outputOption,
  progressOption,
  topicOption,
  zoneOption,
  asOf,
  progressReporter,
  emit,
  withAuditor,
} from './cli-support';

/** `auditor export`. */
export function addExportCommand(program: Command): void {
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
}
