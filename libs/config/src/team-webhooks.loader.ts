import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** What internal teams can subscribe to. */
export const teamEventTypes = [
  'withdrawal-spike',
  'dead-letter',
  'propagation-over-objective',
  'erasure-done',
  'verify-finding',
  'reconsent-campaign-finished',
] as const;
export type TeamEventType = (typeof teamEventTypes)[number];

const fileSchema = z.object({
  rules: z
    .object({
      withdrawalSpike: z
        .object({
          withdrawals: z.number().int().min(1).default(500),
          withinSeconds: z.number().int().min(1).max(86_400).default(60),
        })
        .prefault({}),
    })
    .prefault({}),
  subscriptions: z
    .array(
      z
        .strictObject({
          name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and - only'),
          url: z.url({ protocol: /^https?$/ }),
          events: z.array(z.enum(teamEventTypes)).min(1),
          format: z.enum(['json', 'slack']).default('json'),
          secret: z.string().min(16).optional(),
          secretFile: z.string().min(1).optional(),
        })
        .refine((subscription) => subscription.secret || subscription.secretFile, {
          message: 'needs a secret (secretFile, or secret for development): receivers verify it',
        }),
    )
    .default([]),
});

/** One team's subscription: where to send which notifications, signed with its secret. */
export interface TeamWebhookSubscription {
  readonly name: string;
  readonly url: string;
  readonly events: readonly TeamEventType[];
  /** `json` (our payload) or `slack` (a Slack-compatible `text`, for incoming webhooks). */
  readonly format: 'json' | 'slack';
  readonly secret: string;
}

/** The subscriptions, and the thresholds of the notifications raised from counts. */
export interface TeamWebhooks {
  readonly withdrawalSpike: { readonly withdrawals: number; readonly withinSeconds: number };
  readonly subscriptions: readonly TeamWebhookSubscription[];
}

/** Reads team-webhooks.yaml; fails naming the file and each bad entry. */
export function loadTeamWebhooks(file: string): TeamWebhooks {
  const parsed = fileSchema.safeParse(parse(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success)
    throw new Error(
      `TEAM_WEBHOOKS_FILE ${file} is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const names = new Set<string>();
  const subscriptions = parsed.data.subscriptions.map(({ secret, secretFile, ...rest }) => {
    if (names.has(rest.name))
      throw new Error(`TEAM_WEBHOOKS_FILE ${file}: subscription '${rest.name}' is named twice`);
    names.add(rest.name);
    return { ...rest, secret: secret ?? readFileSync(secretFile!, 'utf8').trim() };
  });
  return { withdrawalSpike: parsed.data.rules.withdrawalSpike, subscriptions };
}
