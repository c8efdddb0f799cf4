import type {
  AgeBand,
  CollectionChannel,
  CollectionMethod,
  ConsentAction,
  ConsentEvent,
  LegalBasis,
  NoticeReference,
} from './consent-event';

/** The latest choice a subject made about one purpose. */
export interface PurposeChoice {
  readonly purpose: string;
  readonly action: ConsentAction;
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
  readonly expiresAt: Date | null;
  readonly legalBasis: LegalBasis;
  readonly channel: CollectionChannel;
  readonly method: CollectionMethod;
  readonly notice: NoticeReference | null;
  readonly jurisdiction: string;
}

/** Orders facts: the person's action time, then the time-ordered event id. */
interface FactOrder {
  readonly occurredAt: Date;
  readonly eventId: string;
}

/**
 * What the fold reads of an event: the rest (actor, evidence, idempotency key, chain link) is
 * for proof and verification and never changes a state, so a replay may leave it undecoded.
 */
export type FoldableEvent = Pick<
  ConsentEvent,
  | 'eventId'
  | 'subjectId'
  | 'purpose'
  | 'action'
  | 'jurisdiction'
  | 'legalBasis'
  | 'channel'
  | 'method'
  | 'notice'
  | 'occurredAt'
  | 'recordedAt'
  | 'expiresAt'
  | 'ageBand'
>;

/** Everything the fold knows about one subject. */
export interface SubjectConsentState {
  readonly subjectId: string | null;
  /** Where the person was at their latest event; selects the regime. */
  readonly jurisdiction: string | null;
  readonly jurisdictionAsOf: FactOrder | null;
  readonly ageBand: AgeBand | null;
  readonly ageBandAsOf: FactOrder | null;
  readonly choices: Readonly<Record<string, PurposeChoice>>;
}

export function initialState(): SubjectConsentState {
  return {
    subjectId: null,
    jurisdiction: null,
    jurisdictionAsOf: null,
    ageBand: null,
    ageBandAsOf: null,
    choices: {},
  };
}

/** True when `a` happened after `b`: later action time, or the same time and a later event id. */
export function isLater(a: FactOrder, b: FactOrder | null): boolean {
  if (b === null) return true;
  const byTime = a.occurredAt.getTime() - b.occurredAt.getTime();
  return byTime !== 0 ? byTime > 0 : a.eventId > b.eventId;
}

function choiceOf(event: FoldableEvent): PurposeChoice {
  return {
    purpose: event.purpose,
    action: event.action,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    expiresAt: event.expiresAt,
    legalBasis: event.legalBasis,
    channel: event.channel,
    method: event.method,
    notice: event.notice,
    jurisdiction: event.jurisdiction,
  };
}

/**
 * Applies one event. Each purpose keeps the latest choice by (occurredAt, eventId), so a choice
 * that arrives late never overrides a newer one, re-applying an event changes nothing, and the
 * result does not depend on the order events of different times arrive in.
 */
export function evolve(state: SubjectConsentState, event: FoldableEvent): SubjectConsentState {
  const current = state.choices[event.purpose] ?? null;
  const choices = isLater(event, current)
    ? { ...state.choices, [event.purpose]: choiceOf(event) }
    : state.choices;
  const newerPlace = isLater(event, state.jurisdictionAsOf);
  const newerAge = event.ageBand !== null && isLater(event, state.ageBandAsOf);
  if (choices === state.choices && !newerPlace && !newerAge && state.subjectId !== null)
    return state;
  return {
    subjectId: state.subjectId ?? event.subjectId,
    jurisdiction: newerPlace ? event.jurisdiction : state.jurisdiction,
    jurisdictionAsOf: newerPlace
      ? { occurredAt: event.occurredAt, eventId: event.eventId }
      : state.jurisdictionAsOf,
    ageBand: newerAge ? event.ageBand : state.ageBand,
    ageBandAsOf: newerAge
      ? { occurredAt: event.occurredAt, eventId: event.eventId }
      : state.ageBandAsOf,
    choices,
  };
}

/** Folds a subject's events from the initial state. */
export function foldEvents(
  events: Iterable<FoldableEvent>,
  from: SubjectConsentState = initialState(),
): SubjectConsentState {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}
