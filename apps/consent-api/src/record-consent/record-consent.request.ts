import {
  actorTypes,
  ageBands,
  collectionChannels,
  collectionMethods,
  legalBases,
} from '@consent-ledger/consent-domain';
import type { ConsentAction, ProposedEvent } from '@consent-ledger/consent-domain';
import { textField } from '@consent-ledger/http';
import { z } from 'zod';

/** Most events a batch request may carry (imports). */
export const MAX_BATCH_SIZE = 1_000;

const isoInstant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z',
});

/** One consent event as a collection channel sends it. */
export const consentEventRequestSchema = z
  .strictObject({
    // Its shape is the recording rules' (SUBJECT_ID_PATTERN; never a direct identifier): 422.
    subjectId: textField(200).describe(
      'Pseudonymous id of the person (letters, digits and . _ : @ -, at most 128). Never an email address, a phone number or a card number.',
    ),
    purpose: textField(200).describe('Purpose id from GET /v1/purposes, e.g. marketing.email'),
    action: z.enum(['GRANT', 'WITHDRAW', 'EXPIRE']),
    jurisdiction: textField(10, { minLength: 2 }).describe(
      'ISO 3166-1 alpha-2 or ISO 3166-2 (DE, GB, US-CA); ZZ when unknown',
    ),
    legalBasis: z.enum(legalBases).default('CONSENT'),
    channel: z.enum(collectionChannels),
    method: z.enum(collectionMethods),
    notice: z
      .strictObject({
        noticeId: textField(200),
        version: textField(50),
        textSha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex SHA-256 of the text shown'),
      })
      .nullable()
      .default(null),
    occurredAt: isoInstant.describe('When the person acted'),
    expiresAt: isoInstant.nullable().default(null),
    actor: z
      .strictObject({
        type: z.enum(actorTypes),
        id: textField(200).nullable().default(null),
      })
      .default({ type: 'SUBJECT', id: null }),
    evidence: z
      .strictObject({
        ipAddressHash: textField(128, { minLength: 0 }).nullable().default(null),
        userAgent: textField(1000, { minLength: 0 }).nullable().default(null),
        reference: textField(500, { minLength: 0 }).nullable().default(null),
      })
      .nullable()
      .default(null),
    ageBand: z.enum(ageBands).nullable().default(null),
    idempotencyKey: textField(200).describe(
      'Chosen by the channel: the same key always yields the same event',
    ),
  })
  .describe('A consent event');

export type ConsentEventRequest = z.output<typeof consentEventRequestSchema>;

/** An event the API records: a caller's request, or the system's own (EXPIRE, ERASE). */
export type RecordableEvent = Omit<ConsentEventRequest, 'action'> & {
  readonly action: ConsentAction;
};

export const consentEventBatchRequestSchema = z.strictObject({
  events: z
    .array(consentEventRequestSchema)
    .min(1)
    .max(MAX_BATCH_SIZE, `at most ${MAX_BATCH_SIZE} events per batch`),
});

/** The request as the domain's proposed event. */
export function toProposedEvent(request: RecordableEvent): ProposedEvent {
  return {
    ...request,
    occurredAt: new Date(request.occurredAt),
    expiresAt: request.expiresAt === null ? null : new Date(request.expiresAt),
  };
}

/** JSON Schema of a request body, for the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return jsonSchema;
}
