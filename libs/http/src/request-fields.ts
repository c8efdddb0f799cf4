import { subjectIdPattern } from '@consent-ledger/consent-domain';
import { z } from 'zod';

/** A subject id in a path, query or body. */
export const subjectIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(subjectIdPattern, 'must be a pseudonymous subject id');
