import type { Command } from 'commander';
import { formatRows } from '../output-format';
import {
  UsageError,
  formatOption,
  outputOption,
  subjectId,
  emit,
  withAuditor,
} from './cli-support';

/** `auditor usage`. */
export function addUsageCommand(program: Command): void {
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
}
