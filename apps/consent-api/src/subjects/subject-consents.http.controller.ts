import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CONSENT_POLICY, type LoadedConsentPolicy } from '@consent-ledger/config';
import {
  decide,
  foldEvents,
  jurisdictionPattern,
  type ConsentDecision,
  type PurposeChoice,
} from '@consent-ledger/consent-domain';
import {
  ConsentReadModelRepository,
  InvalidCursorError,
  type EventPage,
} from '@consent-ledger/persistence';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  ApiKeyGuard,
  RequireScopes,
  AppError,
  subjectIdSchema,
  textField,
  ZodPipe,
} from '@consent-ledger/http';

const consentsQuerySchema = z.strictObject({
  jurisdiction: textField(10, {
    minLength: 2,
    pattern: { regex: jurisdictionPattern, message: 'must be ISO 3166-1 alpha-2 or ISO 3166-2' },
  }).optional(),
  asOf: z.iso
    .datetime({
      offset: true,
      message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-03-29T01:30:00+01:00',
    })
    .optional(),
});
const eventsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: textField(500).optional(),
});

interface PurposeConsent extends ConsentDecision {
  /** The choice that decided, when one did. */
  readonly choice: PurposeChoice | null;
}

/** What is allowed for one subject, and what they chose. */
@ApiTags('subjects')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireScopes('consent:read')
@Controller('v1/subjects/:subjectId')
export class SubjectConsentsHttpController {
  private readonly readModel = new ConsentReadModelRepository();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONSENT_POLICY) private readonly consentPolicy: LoadedConsentPolicy,
  ) {}

  @Get('consents')
  @ApiOperation({
    summary:
      "The subject's current state for every purpose, with the regime's default where no choice was made",
  })
  @ApiQuery({
    name: 'jurisdiction',
    required: false,
    description: "Decide under this jurisdiction instead of the subject's last known one",
  })
  async consents(
    @Param('subjectId', new ZodPipe(subjectIdSchema)) subjectId: string,
    @Query(new ZodPipe(consentsQuerySchema)) query: z.output<typeof consentsQuerySchema>,
  ) {
    // Now: the read model's current state. As of a past moment: the fold of the events the
    // system had recorded by then (the same fold the projector and a replay use).
    const at = query.asOf ? new Date(query.asOf) : new Date();
    const state = query.asOf
      ? foldEvents(await this.readModel.eventsRecordedBy(this.dataSource.manager, subjectId, at))
      : (await this.readModel.loadStates(this.dataSource.manager, [subjectId])).get(subjectId)!;
    const { taxonomy, policy } = this.consentPolicy;
    const purposes: PurposeConsent[] = [...taxonomy.purposes.keys()].map((purpose) => {
      const decision = decide(state, purpose, {
        taxonomy,
        policy,
        at,
        ...(query.jurisdiction ? { jurisdiction: query.jurisdiction } : {}),
      });
      return {
        ...decision,
        choice: decision.decidedBy ? (state.choices[decision.decidedBy] ?? null) : null,
      };
    });
    return {
      subjectId,
      known: state.subjectId !== null,
      jurisdiction: query.jurisdiction ?? state.jurisdiction,
      ageBand: state.ageBand,
      policyVersion: policy.version,
      asOf: at.toISOString(),
      purposes,
    };
  }

  @Get('events')
  @ApiOperation({ summary: "The subject's consent events in the order they were recorded, paged" })
  async events(
    @Param('subjectId', new ZodPipe(subjectIdSchema)) subjectId: string,
    @Query(new ZodPipe(eventsQuerySchema)) query: z.output<typeof eventsQuerySchema>,
  ): Promise<{ subjectId: string } & EventPage> {
    try {
      return {
        subjectId,
        ...(await this.readModel.listEvents(
          this.dataSource.manager,
          subjectId,
          query.limit,
          query.after ?? null,
        )),
      };
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new AppError(400, error.code, 'Invalid cursor', error.message, [
          { field: 'after', code: error.code, message: error.message },
        ]);
      }
      throw error;
    }
  }
}
