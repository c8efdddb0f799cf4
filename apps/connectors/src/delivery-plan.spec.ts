import { fixtureDecisionRecord } from '@consent-ledger/testing';
import { planDeliveryRounds } from './delivery-plan';
import type { CallShape } from './delivery-plan';
import type { SuppressionUpdate } from './suppression-update';

const update = (
  subjectId: string,
  purpose: string,
  sourceOffset: number,
  allowed = false,
): { update: SuppressionUpdate } => ({
  update: fixtureDecisionRecord(subjectId, purpose, {
    allowed,
    sourceOffset,
    causeEventId: `${subjectId}-${sourceOffset}`,
  }),
});

/** Email-platform-like: one call per purpose and state, up to `max` subjects. */
const byPurposeAndState = (max: number): CallShape => ({
  maxUpdatesPerCall: max,
  callKey: (item) => `${item.purpose}|${item.allowed}`,
});

const subjectsOf = (calls: Array<Array<{ update: SuppressionUpdate }>>) =>
  calls.map((call) => call.map(({ update: item }) => `${item.subjectId}@${item.sourceOffset}`));

describe('planDeliveryRounds', () => {
  it('puts one subject’s later update in a later round, so the vendor hears them in order', () => {
    const { rounds } = planDeliveryRounds(
      [
        update('a', 'marketing.email', 1),
        update('b', 'marketing.email', 2),
        update('a', 'marketing.email', 3, true),
      ],
      new Map(),
      byPurposeAndState(50),
    );
    expect(rounds.map(subjectsOf)).toEqual([[['a@1', 'b@2']], [['a@3']]]);
  });

  it('shares calls only between updates with the same call key, up to the vendor’s limit', () => {
    const items = [
      ...['a', 'b', 'c', 'd', 'e'].map((subject, index) =>
        update(subject, 'marketing.email', index),
      ),
      update('f', 'marketing.email', 10, true),
      update('a', 'marketing.sms', 11),
    ];
    const { rounds } = planDeliveryRounds(items, new Map(), byPurposeAndState(2));
    expect(rounds).toHaveLength(1);
    expect(subjectsOf(rounds[0]!)).toEqual([
      ['a@0', 'b@1'],
      ['c@2', 'd@3'],
      ['e@4'],
      ['f@10'],
      ['a@11'],
    ]);
  });

  it('leaves out what was delivered already, and a later update of the same subject moves up', () => {
    const { rounds, skipped } = planDeliveryRounds(
      [
        update('a', 'marketing.email', 5),
        update('a', 'marketing.email', 9),
        update('b', 'marketing.email', 6),
      ],
      new Map([
        ['a|marketing.email', 5n],
        ['b|marketing.email', 7n],
      ]),
      byPurposeAndState(50),
    );
    expect(skipped).toBe(2);
    expect(rounds.map(subjectsOf)).toEqual([[['a@9']]]);
  });

  it('plans nothing for an empty batch', () => {
    expect(planDeliveryRounds([], new Map(), byPurposeAndState(50))).toEqual({
      rounds: [],
      skipped: 0,
    });
  });
});
