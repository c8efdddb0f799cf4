import { UnknownPurposeError } from '@consent-ledger/consent-domain';
import type { ConsentEvent, SubjectConsentState } from '@consent-ledger/consent-domain';
import type { ExportedCheckpoint } from '@consent-ledger/kafka';
import { AuditRepository, VerifyRunStore } from '@consent-ledger/persistence';
import type { UsageQuery, UsageRow } from '@consent-ledger/persistence';
import { createAuditContext } from './audit-context';
import type { AuditContext, AuditorDependencies } from './audit-context';
import { exportEvents } from './export/export-events';
import type { ExportOptions } from './export/export-events';
import { dpvDocument, iso27560Record } from './export/consent-record-formats';
import { accessReportFrom } from './access-report/access-report';
import type { AccessReport } from './access-report/access-report';
import { proveConsent } from './proof/proof';
import type { ConsentProof } from './proof/proof';
import { replayLog, replayRows } from './replay/replay';
import type { ReplayOptions, ReplayResult, ReplayRow } from './replay/replay';
import { latestCheckpoint, verifyLog } from './verify/verify';
import type { VerifyOptions, VerifyReport } from './verify/verify';

export type { AuditorDependencies } from './audit-context';
export type { ExportedEvent } from './export/export-events';
export type { ConsentProof, ProofEvent } from './proof/proof';
export type { AccessReport } from './access-report/access-report';
export type { ReplayOptions, ReplayResult, ReplayRow } from './replay/replay';
export type {
  CheckpointChoice,
  VerifyFinding,
  VerifyFindingKind,
  VerifyReport,
} from './verify/verify';

/**
 * The auditor's work, shared by the CLI and the HTTP API: replay the log to a moment with the
 * projector's own fold (replay/), verify the log against itself and the read model (verify/),
 * prove what one person agreed to (proof/), export events for a regulator (export/), and say who
 * used a person's data (the usage log). Reads only.
 */
export class Auditor {
  private readonly context: AuditContext;

  constructor(deps: AuditorDependencies) {
    this.context = createAuditContext(deps);
  }

  replay(options: ReplayOptions): Promise<ReplayResult> {
    return replayLog(this.context, options);
  }

  /** Rows for each subject (sorted) and purpose (the taxonomy's, or those asked for). */
  rows(
    states: ReadonlyMap<string, SubjectConsentState>,
    at: Date,
    purposes?: readonly string[],
  ): ReplayRow[] {
    return replayRows(this.context.consentPolicy, states, at, purposes);
  }

  /** Purposes in the taxonomy: the rows a replay gives each subject by default. */
  purposeCount(): number {
    return this.context.consentPolicy.taxonomy.purposes.size;
  }

  /** Throws the domain's UnknownPurposeError for a purpose the taxonomy does not define. */
  assertPurposes(purposes: readonly string[]): void {
    for (const purpose of purposes) {
      if (!this.context.consentPolicy.taxonomy.purposes.has(purpose))
        throw new UnknownPurposeError(purpose);
    }
  }

  /** Verifies the log; each run is kept (verify_run) for the compliance dashboard's findings. */
  async verify(options: VerifyOptions): Promise<VerifyReport> {
    const report = await verifyLog(this.context, options);
    await new VerifyRunStore(this.context.dataSource.manager).record({
      topic: report.topic,
      asOf: report.asOf === null ? null : new Date(report.asOf),
      consistent: report.consistent,
      eventsChecked: report.eventsChecked,
      subjectsCompared: report.subjectsCompared,
      findings: report.findings,
    });
    return report;
  }

  latestCheckpoint(): Promise<ExportedCheckpoint | undefined> {
    return latestCheckpoint(this.context);
  }

  proof(subjectId: string): Promise<ConsentProof> {
    return proveConsent(this.context, subjectId);
  }

  /** What a person may ask to see of their own record (GDPR Art. 15). */
  async accessReport(subjectId: string): Promise<AccessReport> {
    return accessReportFrom(await this.proof(subjectId), this.context.consentPolicy);
  }

  export(options: ExportOptions) {
    return exportEvents(this.context, options);
  }

  /** An event as an ISO/IEC TS 27560 consent record. */
  asIso27560(event: ConsentEvent) {
    return iso27560Record(event, this.context.consentPolicy.taxonomy);
  }

  /** Events as one W3C DPV (JSON-LD) document. */
  asDpv(events: readonly ConsentEvent[]) {
    return dpvDocument(events, this.context.consentPolicy.taxonomy);
  }

  /** Every event of the subject, from the read model's history, in the order they were logged. */
  async eventsOf(subjectId: string): Promise<ConsentEvent[]> {
    return new AuditRepository().eventsOfSubject(this.context.dataSource.manager, subjectId);
  }

  /** Which campaigns and training runs used a person's data (or who a campaign or job used). */
  usage(query: UsageQuery): Promise<UsageRow[]> {
    return new AuditRepository().usage(this.context.dataSource.manager, query);
  }
}
