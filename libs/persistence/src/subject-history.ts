import type { Provider } from '@nestjs/common';
import type { ConsentEvent, SubjectConsentState } from '@consent-ledger/consent-domain';
import { DataSource } from 'typeorm';
import { ConsentReadModelRepository } from './consent-read-model.repository';
import type { EventPage } from './consent-read-model.repository';

/** The DI token of the {@link SubjectHistory}. */
export const SUBJECT_HISTORY = Symbol('SUBJECT_HISTORY');

/** One subject's consent as the read model holds it: now, as recorded by a moment, and paged. */
export interface SubjectHistory {
  /** The current state (the initial state for a subject never seen). */
  currentState(subjectId: string): Promise<SubjectConsentState>;
  /** The events the system had recorded by `asOf`, in the order it recorded them. */
  eventsRecordedBy(subjectId: string, asOf: Date): Promise<ConsentEvent[]>;
  /** A page of events after the cursor `after` (InvalidCursorError for a cursor it did not give). */
  eventPage(subjectId: string, limit: number, after: string | null): Promise<EventPage>;
}

export const subjectHistoryProvider: Provider = {
  provide: SUBJECT_HISTORY,
  inject: [DataSource],
  useFactory: (dataSource: DataSource): SubjectHistory => {
    const readModel = new ConsentReadModelRepository();
    return {
      currentState: async (subjectId) =>
        (await readModel.loadStates(dataSource.manager, [subjectId])).get(subjectId)!,
      eventsRecordedBy: (subjectId, asOf) =>
        readModel.eventsRecordedBy(dataSource.manager, subjectId, asOf),
      eventPage: (subjectId, limit, after) =>
        readModel.listEvents(dataSource.manager, subjectId, limit, after),
    };
  },
};
