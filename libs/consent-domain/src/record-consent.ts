import type { ConsentEvent } from './consent-event';
import { validateProposedEvent } from './consent-event.validation';
import type { EventProblem, EventWriterLimits, ProposedEvent } from './consent-event.validation';
import type { ConsentPolicy } from './consent-policy';
import type { PurposeTaxonomy } from './purpose-taxonomy';
import type { OpaqueIdRules } from './identifiers';

/** One event a caller asks to record, with the fingerprint of its request body. */
export interface RecordingRequest {
  readonly proposed: ProposedEvent;
  /** Equal for equal request bodies: a reused key with another fingerprint is a conflict. */
  readonly fingerprint: string;
}

/** A subject's idempotency key used before: the event it recorded, and its request's fingerprint. */
export interface KnownKey {
  readonly eventId: string;
  readonly fingerprint: string;
}

/** What recording needs to know of the ledger: each subject's chain head and the keys used. */
export interface RecordingState {
  /** The hash of each subject's last event; null for a subject without events. */
  readonly heads: ReadonlyMap<string, string | null>;
  /** Keys already used, by {@link idempotencyKeyOf}. */
  readonly known: ReadonlyMap<string, KnownKey>;
  /** Subjects whose ERASE is recorded: nothing of theirs is recorded again. */
  readonly erased: ReadonlySet<string>;
}

/** A caller's command: the events of one request, when, and by whom (its `recordedBy`). */
export interface RecordConsent {
  readonly requests: readonly RecordingRequest[];
  readonly now: Date;
  readonly recordedBy: string;
}

/**
 * How a new event is written on the log, given by the caller: the bytes' codec may normalise a
 * value, and the chain link must be the hash of what the bytes hold, so the decider chains the
 * event `seal` returns. `Sealed` carries whatever the writer keeps (the bytes).
 */
export interface RecordingTools<Sealed extends { readonly event: ConsentEvent }> {
  readonly newEventId: () => string;
  /** The event as written (and its bytes); throws when the schema cannot hold it. */
  readonly seal: (event: ConsentEvent, request: RecordingRequest) => Sealed;
  readonly hash: (event: ConsentEvent) => string;
}

/** What the command recorded for one of its events. */
export interface RecordingAnswer {
  readonly eventId: string;
  readonly subjectId: string;
  readonly idempotencyKey: string;
  /** The key was used before for the same event: its event is answered, nothing new written. */
  readonly duplicate: boolean;
}

export type RecordingViolation =
  | {
      readonly code: 'CONSENT.IDEMPOTENCY_KEY_REUSED';
      readonly subjectId: string;
      readonly idempotencyKey: string;
    }
  | {
      readonly code: 'SUBJECT.ERASED';
      readonly subjectId: string;
      readonly idempotencyKey: string;
    }
  | {
      readonly code: 'CONSENT.NOT_SERIALISABLE';
      readonly subjectId: string;
      readonly idempotencyKey: string;
      readonly reason: string;
    };

export type RecordingDecision<Sealed> =
  | {
      readonly kind: 'recorded';
      /** The events to append, in order, each chained to the one before it of its subject. */
      readonly events: readonly Sealed[];
      readonly answers: readonly RecordingAnswer[];
      /** What these events change: their subjects' new heads and their keys, nothing else. */
      readonly changes: RecordingState;
      /** The state after these events (heads moved, keys known), built when asked for. */
      readonly state: RecordingState;
    }
  | { readonly kind: 'refused'; readonly violation: RecordingViolation };

/** The key under which a subject's idempotency key is known. */
export function idempotencyKeyOf(subjectId: string, idempotencyKey: string): string {
  return `${subjectId}\u0000${idempotencyKey}`;
}

/** The rules a command's events must meet before anything is looked up: each event's, and no key twice. */
export function validateRecording(
  proposed: readonly ProposedEvent[],
  context: {
    readonly taxonomy: PurposeTaxonomy;
    readonly policy: ConsentPolicy;
    readonly now: Date;
    readonly writer?: EventWriterLimits;
    readonly identifiers?: OpaqueIdRules;
  },
): Array<EventProblem & { readonly index: number }> {
  const problems: Array<EventProblem & { readonly index: number }> = [];
  const keys = new Set<string>();
  proposed.forEach((event, index) => {
    for (const problem of validateProposedEvent(event, context))
      problems.push({ ...problem, index });
    const key = idempotencyKeyOf(event.subjectId, event.idempotencyKey);
    if (keys.has(key))
      problems.push({
        index,
        field: 'idempotencyKey',
        code: 'CONSENT.DUPLICATE_KEY_IN_BATCH',
        message: 'the same subject and idempotency key appear twice in this batch',
      });
    keys.add(key);
  });
  return problems;
}

/**
 * Records a command's events against the ledger's state, all or nothing: a key used before for
 * the same body answers its event again (a duplicate, nothing new); a key used for another body
 * refuses the command; every new event gets an id, the time, its author and the link to its
 * subject's previous event (within the command too).
 */
export function decideRecording<Sealed extends { readonly event: ConsentEvent }>(
  command: RecordConsent,
  state: RecordingState,
  tools: RecordingTools<Sealed>,
): RecordingDecision<Sealed> {
  // This command's own changes, looked up before the state: the state is never copied, so a group
  // of many requests stays linear in its events.
  const heads = new Map<string, string>();
  const known = new Map<string, KnownKey>();
  const erased = new Set<string>();
  const events: Sealed[] = [];
  const answers: RecordingAnswer[] = [];
  for (const request of command.requests) {
    const { proposed, fingerprint } = request;
    const { subjectId, idempotencyKey } = proposed;
    const key = idempotencyKeyOf(subjectId, idempotencyKey);
    const previous = known.get(key) ?? state.known.get(key);
    if (previous) {
      if (previous.fingerprint !== fingerprint)
        return refused({ code: 'CONSENT.IDEMPOTENCY_KEY_REUSED', subjectId, idempotencyKey });
      answers.push({ eventId: previous.eventId, subjectId, idempotencyKey, duplicate: true });
      continue;
    }
    if (erased.has(subjectId) || state.erased.has(subjectId))
      return refused({ code: 'SUBJECT.ERASED', subjectId, idempotencyKey });
    const head = heads.get(subjectId) ?? state.heads.get(subjectId) ?? null;
    const sealed = sealNew(request, head, command, tools);
    if ('code' in sealed) return refused(sealed);
    heads.set(subjectId, tools.hash(sealed.event));
    known.set(key, { eventId: sealed.event.eventId, fingerprint });
    if (sealed.event.action === 'ERASE') erased.add(subjectId);
    events.push(sealed);
    answers.push({ eventId: sealed.event.eventId, subjectId, idempotencyKey, duplicate: false });
  }
  return recorded(events, answers, state, { heads, known, erased });
}

/** The request's event with its id, time, author and link, sealed; or why it cannot be. */
function sealNew<Sealed extends { readonly event: ConsentEvent }>(
  request: RecordingRequest,
  previousEventHash: string | null,
  command: RecordConsent,
  tools: RecordingTools<Sealed>,
): Sealed | RecordingViolation {
  const { proposed } = request;
  try {
    return tools.seal(
      {
        ...proposed,
        eventId: tools.newEventId(),
        recordedAt: command.now,
        previousEventHash,
        recordedBy: command.recordedBy,
      },
      request,
    );
  } catch (error) {
    return {
      code: 'CONSENT.NOT_SERIALISABLE',
      subjectId: proposed.subjectId,
      idempotencyKey: proposed.idempotencyKey,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The decision to append `events`; the state after them is merged only if someone asks. */
function recorded<Sealed>(
  events: readonly Sealed[],
  answers: readonly RecordingAnswer[],
  before: RecordingState,
  changes: RecordingState,
): RecordingDecision<Sealed> {
  return {
    kind: 'recorded',
    events,
    answers,
    changes,
    get state() {
      return {
        heads: new Map([...before.heads, ...changes.heads]),
        known: new Map([...before.known, ...changes.known]),
        erased: new Set([...before.erased, ...changes.erased]),
      };
    },
  };
}

function refused(violation: RecordingViolation): {
  kind: 'refused';
  violation: RecordingViolation;
} {
  return { kind: 'refused', violation };
}
