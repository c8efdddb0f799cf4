import { textField } from '@consent-ledger/http';
import { z } from 'zod';

export const emailField = z
  .string()
  .max(254)
  .trim()
  .pipe(z.email({ message: 'must be an email address' }));
const phone = textField(32, {
  minLength: 7,
  pattern: {
    regex: /^\+?[\d\s().-]{7,31}$/,
    message: 'must be a phone number: digits, optionally a leading + and separators',
  },
});
const opaqueValue = textField(200);

/** `PUT /v1/subjects/{id}/identifiers`: the kinds given replace those stored; others stay. */
export const putIdentifiersSchema = z
  .strictObject({
    email: emailField.optional(),
    phone: phone.optional(),
    crmId: opaqueValue.optional(),
    deviceIds: z.array(opaqueValue).max(20).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'give at least one of email, phone, crmId, deviceIds',
  });

/** `POST /v1/subjects/lookup`: exactly one identifier to look for. */
export const lookupSchema = z
  .strictObject({
    email: emailField.optional(),
    phone: phone.optional(),
    crmId: opaqueValue.optional(),
    deviceId: opaqueValue.optional(),
  })
  .refine((body) => Object.keys(body).length === 1, {
    message: 'give exactly one of email, phone, crmId, deviceId',
  });
