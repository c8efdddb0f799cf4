import type { Command } from 'commander';
import { formatRows } from '../output-format';
import {
  EXIT_FINDINGS,
  formatOption,
  outputOption,
  progressOption,
  topicOption,
  logReaderOption,
  checkpointOption,
  checkpointChoice,
  zoneOption,
  asOf,
  progressReporter,
  emit,
  withAuditor,
} from './cli-support';

/** `auditor verify`. */
export function addVerifyCommand(program: Command): void {
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
}
