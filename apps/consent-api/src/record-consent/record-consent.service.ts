import { Injectable } from '@nestjs/common';
import type { Caller } from '@consent-ledger/http';
import type { ConsentEventRequest } from './record-consent.request';
import { ConsentEventWriter } from './consent-event.writer';
import type { AcceptedEvent } from './consent-event.writer';
import { GlobalPrivacyControlService } from './global-privacy-control.service';

/** The answer to a single event; with a GPC signal, what was done about it. */
export interface RecordedEvent extends AcceptedEvent {
  readonly globalPrivacyControl?: {
    readonly honoured: boolean;
    readonly optOuts: ReadonlyArray<{ purpose: string } & AcceptedEvent>;
  };
}

/** The answer to a batch. */
export interface RecordedBatch {
  readonly accepted: number;
  readonly duplicates: number;
  readonly events: readonly AcceptedEvent[];
}

/**
 * Records what collection channels send: one event (with the opt-outs a Global Privacy Control
 * signal implies, in the same commit) or a batch, all or nothing.
 */
@Injectable()
export class RecordConsentService {
  constructor(
    private readonly writer: ConsentEventWriter,
    private readonly globalPrivacyControl: GlobalPrivacyControlService,
  ) {}

  async recordOne(
    request: ConsentEventRequest,
    caller: Caller,
    gpcSignal: boolean,
  ): Promise<RecordedEvent> {
    const author = { kind: 'key', caller } as const;
    if (!gpcSignal) {
      const [accepted] = await this.writer.accept([request], () => '', author);
      return accepted!;
    }
    const gpc = await this.globalPrivacyControl.plan(request);
    const [accepted, ...optOuts] = await this.writer.accept(
      [request, ...gpc.optOuts],
      (index) => (index === 0 ? '' : `(Sec-GPC opt-out ${gpc.optOuts[index - 1]!.purpose}).`),
      author,
    );
    const purposes = gpc.optOuts.map(({ purpose }) => purpose);
    return {
      ...accepted!,
      globalPrivacyControl: {
        honoured: gpc.honoured,
        optOuts: optOuts.map((event, index) => ({ purpose: purposes[index]!, ...event })),
      },
    };
  }

  async recordBatch(
    events: readonly ConsentEventRequest[],
    caller: Caller,
  ): Promise<RecordedBatch> {
    const accepted = await this.writer.accept(events, (index) => `events[${index}].`, {
      kind: 'key',
      caller,
    });
    const duplicates = accepted.filter((event) => event.duplicate).length;
    return { accepted: accepted.length - duplicates, duplicates, events: accepted };
  }
}
