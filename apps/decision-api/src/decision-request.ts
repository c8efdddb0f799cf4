import { jurisdictionSchema, subjectIdSchema, textField } from '@consent-ledger/http';
import { z } from 'zod';

/** Most subjects one batch decision may ask about. */
export const MAX_BATCH_SUBJECTS = 10_000;

export const purposeSchema = textField(200);
export { jurisdictionSchema };

/** A campaign or job id, recorded in the usage log with the decision. */
export const usageReferenceSchema = textField(200);

/** Who is using the answer: a campaign or a training job (recorded with the decision). */
const usage = {
  campaignId: usageReferenceSchema.optional(),
  jobId: usageReferenceSchema.optional(),
};
const oneUsage = (value: { campaignId?: string; jobId?: string }) =>
  !(value.campaignId && value.jobId);
const oneUsageMessage = { message: 'give campaignId or jobId, not both', path: ['jobId'] };

export const decisionRequestSchema = z
  .strictObject({
    subjectId: subjectIdSchema,
    purpose: purposeSchema,
    jurisdiction: jurisdictionSchema.optional(),
    ...usage,
  })
  .refine(oneUsage, oneUsageMessage);
export type DecisionRequest = z.output<typeof decisionRequestSchema>;

export const batchDecisionRequestSchema = z
  .strictObject({
    purpose: purposeSchema,
    subjectIds: z.array(subjectIdSchema).min(1).max(MAX_BATCH_SUBJECTS),
    jurisdiction: jurisdictionSchema.optional(),
    ...usage,
  })
  .refine(oneUsage, oneUsageMessage);
export type BatchDecisionRequest = z.output<typeof batchDecisionRequestSchema>;

/** `true`/`false` (or 1/0) in a query string. */
export const booleanQuery = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
