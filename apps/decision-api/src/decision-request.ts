import { jurisdictionPattern, UnknownPurposeError } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';
import { z } from 'zod';

/** Most subjects one batch decision may ask about. */
export const MAX_BATCH_SUBJECTS = 10_000;

export const subjectIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'must be a pseudonymous subject id');
export const purposeSchema = z.string().min(1).max(200);
export const jurisdictionSchema = z
  .string()
  .regex(jurisdictionPattern, 'must be ISO 3166-1 alpha-2 (DE) or ISO 3166-2 (US-CA)');

/** Who is using the answer: a campaign or a training job (recorded with the decision). */
const usage = {
  campaignId: z.string().min(1).max(200).optional(),
  jobId: z.string().min(1).max(200).optional(),
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

/** 422 naming the purpose the taxonomy does not define. */
export function unknownPurpose(error: UnknownPurposeError): AppError {
  return new AppError(422, error.code, 'Unknown purpose', error.message, [
    { field: 'purpose', code: error.code, message: error.message },
  ]);
}

/** Runs `decide`, turning an unknown purpose into its problem document. */
export function withKnownPurpose<T>(decide: () => T): T {
  try {
    return decide();
  } catch (error) {
    if (error instanceof UnknownPurposeError) throw unknownPurpose(error);
    throw error;
  }
}

/** `true`/`false` (or 1/0) in a query string. */
export const booleanQuery = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');
