import type { TeamWebhookSubscription } from '@consent-ledger/config';
import {
  campaignFinishedEvent,
  notificationsFor,
  webhookBody,
  WithdrawalSpikes,
} from './team-events';
import type { TeamEvent } from './team-events';

const subscription = (
  name: string,
  events: TeamWebhookSubscription['events'],
  format: TeamWebhookSubscription['format'] = 'json',
): TeamWebhookSubscription => ({
  name,
  url: 'https://example.com/hook',
  events,
  format,
  secret: 's'.repeat(16),
});

const event: TeamEvent = {
  id: 'dead-letter:t:0:5',
  type: 'dead-letter',
  occurredAt: '2026-12-07T12:00:00.000Z',
  summary: 'projector dead-lettered a record: RECORD.NOT_AVRO',
  details: {},
};

describe('team events', () => {
  it('notifies each subscription that asked for the type, once per event', () => {
    const notifications = notificationsFor(
      [event, event],
      [subscription('ops', ['dead-letter']), subscription('legal', ['erasure-done'])],
    );
    expect(notifications.map(({ notificationId }) => notificationId)).toEqual([
      'ops:dead-letter:t:0:5',
      'ops:dead-letter:t:0:5',
    ]);
  });

  it('sends our JSON, or a Slack-compatible text', () => {
    expect(JSON.parse(webhookBody('ops:x', event, 'json'))).toMatchObject({
      notificationId: 'ops:x',
      type: 'dead-letter',
    });
    expect(JSON.parse(webhookBody('ops:x', event, 'slack'))).toMatchObject({
      text: 'Consent Ledger · projector dead-lettered a record: RECORD.NOT_AVRO',
    });
  });

  it('raises a withdrawal spike over the threshold within the window, once per window', () => {
    const spikes = new WithdrawalSpikes({ withdrawals: 3, withinSeconds: 10 });
    const raised = [0, 1_000, 2_000, 3_000, 4_000, 20_000, 21_000, 22_000, 23_000].map((at) =>
      spikes.record('marketing.email', at),
    );
    expect(raised.map((spike) => spike !== undefined)).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(raised[3]).toMatchObject({ type: 'withdrawal-spike', details: { withdrawals: 4 } });
    expect(spikes.record('marketing.sms', 23_000)).toBeUndefined();
  });

  it('tells of a finished campaign only', () => {
    const finished = {
      recordId: 'r',
      type: 'RECONSENT_CAMPAIGN_FINISHED' as const,
      occurredAt: '2026-12-07T12:00:00.000Z',
      subjectId: null,
      campaignId: 'privacy-notice@3',
      purposes: [],
      details: { answered: 5, lapsed: 2 },
    };
    expect(campaignFinishedEvent(finished)?.summary).toBe(
      'Re-consent campaign privacy-notice@3 finished: 5 answered, 2 lapsed',
    );
    expect(campaignFinishedEvent({ ...finished, type: 'RECONSENT_REQUESTED' })).toBeUndefined();
  });
});
