import { consentTopics, createKafkaClient } from '@consent-ledger/kafka';
import {
  choiceRequest,
  columnsHolding,
  topicsHolding,
  uniqueName,
  waitFor,
} from '@consent-ledger/testing';
import { wholePipelineForThisFile } from './whole-pipeline';

describe('no identifier in clear anywhere, against the real stack', () => {
  const { system: running, call, api, decision } = wholePipelineForThisFile();

  it('leaves no identifier in clear in any table, on any topic or at any vendor after a realistic workload', async () => {
    // Given people who put their identifiers into the vault, choose with evidence from their
    // browser, are asked about by a campaign, and of whom some ask to be erased
    const people = Array.from({ length: 20 }, (_, index) => ({
      subjectId: uniqueName('scanned'),
      email: `scan-person-${index}@scan.example.org`,
      phone: `+44 7700 9001${String(index).padStart(2, '0')}`,
      crmId: `CRM-SCAN-${index}`,
      deviceIds: [`DEV-SCAN-${index}`],
    }));
    const evidence = {
      ipAddressHash: '198.51.100.23',
      userAgent: 'ScanBrowser/9.9',
      reference: null,
    };
    for (const [index, { subjectId, ...identifiers }] of people.entries()) {
      expect((await api('PUT', `/v1/subjects/${subjectId}/identifiers`, identifiers)).status).toBe(
        200,
      );
      const choices: Array<[string, 'GRANT' | 'WITHDRAW']> = [
        ['marketing.email', 'GRANT'],
        ['ml.training', 'GRANT'],
        ...(index % 3 === 0 ? [['marketing.email', 'WITHDRAW'] as [string, 'WITHDRAW']] : []),
      ];
      for (const [purpose, action] of choices)
        expect(
          (
            await api('POST', '/v1/consent-events', {
              ...choiceRequest(subjectId, purpose, action),
              evidence,
            })
          ).status,
        ).toBe(202);
    }
    for (const { subjectId } of people)
      await call(`${running().pipeline.url('decision-api')}/v1/decisions`, 'POST', {
        subjectId,
        purpose: 'marketing.email',
        campaignId: 'spring-scan',
      });
    const erased = people.slice(0, 5).map(({ subjectId }) => subjectId);
    for (const subjectId of erased)
      expect((await api('POST', `/v1/subjects/${subjectId}/erasure`, {})).status).toBe(202);
    // When the pipeline has done its work
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          erased.map(
            async (subjectId) =>
              (await api('GET', `/v1/subjects/${subjectId}/erasure`)).body.status,
          ),
        );
        return statuses.every((status) => status === 'COMPLETED');
      },
      { timeoutMs: 60_000, description: 'every erasure confirmed downstream' },
    );
    await waitFor(
      async () => (await decision(people[19]!.subjectId, 'ml.training')).allowed === true,
      { description: 'the last grant answered' },
    );

    // Then no identifier, and no piece of evidence, is anywhere in clear
    const needles = [
      'scan-person',
      '770090',
      'CRM-SCAN',
      'DEV-SCAN',
      '198.51.100.23',
      'ScanBrowser',
    ];
    const kafka = createKafkaClient(running().environment.config.kafka, 'identifier-scan');
    const kept = people[7]!.subjectId;
    const gone = people[0]!.subjectId;
    const scanned = await topicsHolding(kafka, running().environment.config.kafka.topicPrefix, [
      ...needles,
      kept,
      gone,
    ]);
    expect(scanned.filter(({ found }) => found.some((needle) => needles.includes(needle)))).toEqual(
      [],
    );
    // (the scan read every topic, and finds what is there: the pseudonymous ids)
    const topics = consentTopics(running().environment.config.kafka.topicPrefix);
    const foundOn = (topic: string) => scanned.find((entry) => entry.topic === topic)?.found;
    for (const topic of [topics.events, topics.state, topics.usage])
      expect(foundOn(topic)).toEqual([kept, gone].sort());
    expect(foundOn(topics.erasures)).toEqual([gone]);
    for (const needle of needles)
      expect({
        needle,
        holding: await columnsHolding(running().environment.config.database.url, needle),
      }).toEqual({
        needle,
        holding: [],
      });
    const toldVendors = JSON.stringify([
      ...running().emailPlatform.requests,
      ...running().crm.requests,
    ]);
    for (const needle of needles)
      expect({ needle, told: toldVendors.includes(needle) }).toEqual({ needle, told: false });
  });
});
