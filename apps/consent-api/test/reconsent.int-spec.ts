import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaClient } from '@consent-ledger/kafka';
import {
  choiceRequest,
  externalIds,
  readTopicUntil,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import type { VendorRequest } from '@consent-ledger/testing';
import { startCentrePipeline } from '../../preference-centre/test/centre-pipeline';
import type { CentrePipeline } from '../../preference-centre/test/centre-pipeline';

/** The centre shows privacy-notice version 3 (deploy/policy/preference-centre.yaml). */
const OLD_NOTICE = { noticeId: 'privacy-notice', version: '2', textSha256: 'ab'.repeat(32) };

interface LifecycleRecordSeen {
  readonly recordId: string;
  readonly type: string;
  readonly subjectId: string | null;
  readonly campaignId: string | null;
}

/**
 * The lifecycle of consent through every app as a process of its own and a fake email platform:
 * a material notice change asks the people it concerns again, reminds them, stops when they answer
 * in the preference centre and applies the policy when the grace period ends; a sender killed
 * mid-campaign neither loses nor repeats a send; renewals are reminded and lapses told.
 */
describe('consent lifecycle messages', () => {
  let system: CentrePipeline;

  beforeAll(async () => {
    // The deployed policy, but reminding of a renewal 4 s before it lapses (not 30 days)
    const policyFile = join(mkdtempSync(join(tmpdir(), 'lifecycle-')), 'consent-policy.yaml');
    const deployed = readFileSync('deploy/policy/consent-policy.yaml', 'utf8');
    writeFileSync(
      policyFile,
      deployed.replace(/renewalReminderLead: \S+/, 'renewalReminderLead: PT4S'),
    );
    system = await startCentrePipeline({
      LIFECYCLE_SCAN_INTERVAL_MS: '300',
      CONSENT_POLICY_FILE: policyFile,
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  const grant = async (subjectId: string, notice = OLD_NOTICE, purpose = 'marketing.email') => {
    const answer = await system.api('POST', '/v1/consent-events', {
      ...choiceRequest(subjectId, purpose, 'GRANT', { notice }),
    });
    if (answer.status !== 202) throw new Error(`grant refused: ${JSON.stringify(answer)}`);
    return answer.body.eventId as string;
  };
  const allowed = async (subjectId: string, purpose = 'marketing.email') => {
    const { body } = await system.api('GET', `/v1/subjects/${subjectId}/consents`);
    return (body.purposes as Array<{ purpose: string; allowed: boolean }>).find(
      (state) => state.purpose === purpose,
    )?.allowed;
  };
  /** Sends of a transactional campaign the platform took, by recipient. */
  const sends = (campaign: string, subjectId: string): VendorRequest[] =>
    system.emailPlatform.requests.filter(
      (request) =>
        request.path === `/transactional/v1/campaigns/${campaign}/send` &&
        request.status < 300 &&
        (request.body.recipient as { external_user_id?: string }).external_user_id === subjectId,
    );
  /** The sends, once there is one. */
  const sent = (campaign: string, subjectId: string) => {
    const found = sends(campaign, subjectId);
    return found.length > 0 ? found : undefined;
  };
  const campaign = async (campaignId: string) =>
    (await system.api('GET', `/v1/re-consent-campaigns/${encodeURIComponent(campaignId)}`)).body;
  const lifecycleRecords = (until: (records: LifecycleRecordSeen[]) => boolean) => {
    const { kafka: settings } = system.environment.config;
    const parse = (records: readonly { value: string | null }[]) =>
      records.map((record) => JSON.parse(record.value ?? '{}') as LifecycleRecordSeen);
    return readTopicUntil(
      createKafkaClient(settings, 'lifecycle-reader'),
      `${settings.topicPrefix}consent.lifecycle.v1`,
      (records) => until(parse(records)),
    ).then(parse);
  };

  it('asks the people a notice change concerns, once each, until they answer or the grace ends', async () => {
    const [asked, answers, current, withdrew] = ['asked', 'answers', 'current', 'withdrew'].map(
      (name) => uniqueName(name),
    ) as [string, string, string, string];
    const askedGrant = await grant(asked);
    await grant(answers);
    await grant(current, { ...OLD_NOTICE, version: '3' });
    await grant(withdrew);
    await system.choose(withdrew, 'marketing.email', 'WITHDRAW');
    await waitFor(
      async () => (await allowed(asked)) && (await allowed(answers)) && !(await allowed(withdrew)),
      { timeoutMs: 10_000, description: 'the grants projected' },
    );

    const started = await system.api('POST', '/v1/notices/privacy-notice/versions/3/re-consent', {
      gracePeriod: 'PT16S',
      remindAfter: ['PT8S'],
    });
    expect(started.status).toBe(202);
    const campaignId = started.body.campaignId as string;
    await waitFor(() => sends('consent-reconsent-request', asked).length > 0, {
      timeoutMs: 10_000,
      description: () =>
        `the re-consent request at the email platform; the API said ${system.pipeline.process('consent-api').output()}`,
    });
    await answerInTheCentre(answers);

    await waitFor(async () => (await campaign(campaignId)).finishedAt, {
      timeoutMs: 30_000,
      description: 'the grace period applied',
    });
    await expectTheStoryOf(campaignId, { asked, askedGrant, answers, current, withdrew });
  });

  /** Opens the link of the request in a browser, as the person does, and keeps marketing on. */
  const answerInTheCentre = async (subjectId: string) => {
    const [request] = await waitFor(() => sent('consent-reconsent-request', subjectId), {
      timeoutMs: 10_000,
      description: 'the request to the person who answers',
    });
    const properties = request!.body.trigger_properties as Record<string, unknown>;
    expect(properties).toMatchObject({ notice_id: 'privacy-notice', notice_version: '3' });
    const page = await system.openPage();
    await page.goto(properties.preference_link as string);
    const section = page.locator('section', {
      has: page.getByRole('heading', { name: 'Offers and news by email', exact: true }),
    });
    await expect(section.locator('.state').textContent()).resolves.toContain(
      'earlier version of our privacy notice',
    );
    await section.getByRole('button', { name: 'Keep it on' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(
      'Offers and news by email is now on',
    );
    await page.context().close();
  };

  const expectTheStoryOf = async (
    campaignId: string,
    people: {
      asked: string;
      askedGrant: string;
      answers: string;
      current: string;
      withdrew: string;
    },
  ) => {
    const { asked, askedGrant, answers, current, withdrew } = people;
    expect(await campaign(campaignId)).toMatchObject({
      subjects: { pending: 0, answered: 1, lapsed: 1 },
    });
    // Exactly one request each to the two people concerned; the reminder only to who did not answer
    for (const subjectId of [asked, answers])
      expect(sends('consent-reconsent-request', subjectId)).toHaveLength(1);
    for (const subjectId of [current, withdrew])
      expect(sends('consent-reconsent-request', subjectId)).toHaveLength(0);
    expect(sends('consent-reconsent-reminder', asked)).toHaveLength(1);
    expect(sends('consent-reconsent-reminder', answers)).toHaveLength(0);
    // The grace end: the old grant stops counting, through the log, to the email platform
    expect(await allowed(asked)).toBe(false);
    expect(await allowed(answers)).toBe(true);
    const { body: history } = await system.api('GET', `/v1/subjects/${asked}/events`);
    expect(history.events).toContainEqual(
      expect.objectContaining({
        action: 'EXPIRE',
        idempotencyKey: `reconsent:${campaignId}:${askedGrant}`,
      }),
    );
    await waitFor(
      () =>
        system.emailPlatform.requests.some(
          (request) =>
            request.body.subscription_state === 'unsubscribed' &&
            externalIds(request).includes(asked),
        ),
      { timeoutMs: 10_000, description: 'the lapse at the email platform' },
    );
    const records = await lifecycleRecords((seen) =>
      seen.some((record) => record.type === 'RECONSENT_CAMPAIGN_FINISHED'),
    );
    const story = (subjectId: string) =>
      records.filter((record) => record.subjectId === subjectId).map(({ type }) => type);
    expect(story(asked)).toEqual(['RECONSENT_REQUESTED', 'RECONSENT_REMINDED', 'RECONSENT_LAPSED']);
    expect(story(answers)).toEqual(['RECONSENT_REQUESTED', 'RECONSENT_ANSWERED']);
    expect(story(current)).toEqual([]);
  };

  it('neither loses nor repeats a send when the sender is killed mid-campaign', async () => {
    const people = Array.from({ length: 40 }, () => uniqueName('crash'));
    const notice = { noticeId: 'terms', version: '1', textSha256: 'cd'.repeat(32) };
    for (const subjectId of people) await grant(subjectId, notice);
    await waitFor(async () => allowed(people.at(-1)!), { timeoutMs: 10_000 });
    await system.api('PUT', '/v1/notices/terms/versions/2', { text: 'Terms, version 2.' });
    system.emailPlatform.script((request) =>
      request.path.startsWith('/transactional/') ? { delayMs: 150 } : undefined,
    );

    const started = await system.api('POST', '/v1/notices/terms/versions/2/re-consent', {
      gracePeriod: 'P30D',
      remindAfter: [],
    });
    expect(started.status).toBe(202);
    const taken = () =>
      people.filter((subjectId) => sends('consent-reconsent-request', subjectId).length > 0);
    await waitFor(() => taken().length >= 8, { timeoutMs: 10_000, intervalMs: 5 });
    system.pipeline.process('consent-api').kill('SIGKILL');
    const takenAtKill = taken().length;
    await system.pipeline.restart('consent-api');

    await waitFor(() => taken().length === people.length, {
      timeoutMs: 60_000,
      description: () => `every request sent (${taken().length} of ${people.length})`,
    });
    system.emailPlatform.script(() => undefined);
    expect(takenAtKill).toBeLessThan(people.length);
    for (const subjectId of people) {
      const keys = new Set(
        sends('consent-reconsent-request', subjectId).map(({ idempotencyKey }) => idempotencyKey),
      );
      // The platform applies one send per key: one key per person is one message in effect
      expect([...keys]).toEqual([`reconsent:terms@2:${subjectId}:0`]);
    }
    const records = await lifecycleRecords(
      (seen) => new Set(requestedIn(seen, 'terms@2')).size === people.length,
    );
    expect(new Set(requestedIn(records, 'terms@2'))).toEqual(new Set(people));
  });

  it('reminds a person before a renewal lapses and tells them when it does, never one who withdrew', async () => {
    const [renewing, withdrew] = [uniqueName('renewing'), uniqueName('renewal-withdrew')];
    // Reminded 4 s before the lapse (the test's policy): the withdrawal comes long before that
    const expiresAt = new Date(Date.now() + 8_000).toISOString();
    for (const subjectId of [renewing, withdrew]) {
      const answer = await system.api('POST', '/v1/consent-events', {
        ...choiceRequest(subjectId, 'ml.training', 'GRANT'),
        expiresAt,
      });
      expect(answer.status).toBe(202);
    }
    await system.choose(withdrew, 'ml.training', 'WITHDRAW');

    const [reminder] = await waitFor(() => sent('consent-renewal-reminder', renewing), {
      timeoutMs: 8_000,
      description: 'the renewal reminder',
    });
    expect(reminder!.answeredAt).toBeGreaterThanOrEqual(Date.parse(expiresAt) - 4_000);
    expect(reminder!.body.trigger_properties).toMatchObject({
      purposes: ['ml.training'],
      expires_at: expiresAt,
    });
    const [told] = await waitFor(() => sent('consent-lapsed', renewing), {
      timeoutMs: 15_000,
      description: 'the lapse notice',
    });
    expect(told!.answeredAt).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(told!.answeredAt - Date.parse(expiresAt)).toBeLessThan(3_000);
    for (const campaign of ['consent-renewal-reminder', 'consent-lapsed'])
      expect(sends(campaign, withdrew)).toHaveLength(0);
  });
});

function requestedIn(records: readonly LifecycleRecordSeen[], campaignId: string): string[] {
  return records
    .filter((record) => record.type === 'RECONSENT_REQUESTED' && record.campaignId === campaignId)
    .map(({ subjectId }) => subjectId!);
}
