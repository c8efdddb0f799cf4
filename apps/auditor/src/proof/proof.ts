import type { ConsentEvent } from '@consent-ledger/consent-domain';
import { foldEvents } from '@consent-ledger/consent-domain';
import { hashConsentEvent, sha256Hex } from '@consent-ledger/kafka';
import { AuditRepository } from '@consent-ledger/persistence';
import type {
  RegisteredNotice,
  SinkDelivery,
  StoredEvent,
  UsageRow,
} from '@consent-ledger/persistence';
import type { AuditContext } from '../audit-context';
import { replayRows } from '../replay/replay';
import type { ReplayRow } from '../replay/replay';

export interface ProofEvent {
  readonly event: ConsentEvent;
  readonly position: StoredEvent['position'];
  readonly hash: string;
  /** This event's link matches the hash of the subject's event before it. */
  readonly linkIntact: boolean;
  readonly notice:
    (RegisteredNotice & { readonly textMatches: boolean }) | { readonly registered: false } | null;
}

export interface ConsentProof {
  readonly subjectId: string;
  readonly generatedAt: string;
  readonly policyVersion: string;
  readonly chainIntact: boolean;
  readonly current: readonly ReplayRow[];
  readonly events: readonly ProofEvent[];
  readonly deliveries: readonly SinkDelivery[];
  readonly usage: readonly UsageRow[];
}

const noticeKey = (notice: { noticeId: string; version: string }) =>
  `${notice.noticeId}\u0000${notice.version}`;

/** Everything that shows what a person agreed to, when, under which notice, and who was told. */
export async function proveConsent(
  context: AuditContext,
  subjectId: string,
): Promise<ConsentProof> {
  const audit = new AuditRepository();
  const manager = context.dataSource.manager;
  const stored = await audit.eventsOfSubject(manager, subjectId);
  const references = [
    ...new Map(
      stored.flatMap((event) =>
        event.notice ? [[noticeKey(event.notice), event.notice] as const] : [],
      ),
    ).values(),
  ];
  const [notices, deliveries, usage] = await Promise.all([
    audit.notices(manager, references),
    audit.deliveriesOf(manager, subjectId),
    audit.usage(manager, { subjectId, limit: 10_000 }),
  ]);
  const { events, chainIntact } = proofEvents(
    stored,
    new Map(notices.map((n) => [noticeKey(n), n])),
  );
  const now = new Date();
  return {
    subjectId,
    generatedAt: now.toISOString(),
    policyVersion: context.consentPolicy.policy.version,
    chainIntact,
    current: replayRows(context.consentPolicy, new Map([[subjectId, foldEvents(stored)]]), now),
    events,
    deliveries,
    usage,
  };
}

/** Each stored event with its hash, whether its link holds, and the notice text it refers to. */
function proofEvents(
  stored: readonly StoredEvent[],
  noticeBy: ReadonlyMap<string, RegisteredNotice>,
): { events: ProofEvent[]; chainIntact: boolean } {
  let previousHash: string | null = null;
  let chainIntact = true;
  const events = stored.map((event): ProofEvent => {
    const hash = hashConsentEvent(event);
    const linkIntact = event.previousEventHash === previousHash;
    chainIntact &&= linkIntact;
    previousHash = hash;
    const registered = event.notice ? noticeBy.get(noticeKey(event.notice)) : undefined;
    const { position, ...plain } = event;
    return {
      event: plain as ConsentEvent,
      position,
      hash,
      linkIntact,
      notice: !event.notice
        ? null
        : registered
          ? { ...registered, textMatches: sha256Hex(registered.text) === event.notice.textSha256 }
          : { registered: false as const },
    };
  });
  return { events, chainIntact };
}
