import { fixtureTaxonomy } from './consent-domain.fixtures';
import { defaultPolicy } from './consent-policy';
import { diffPolicies } from './policy-diff';
import { createTaxonomy } from './purpose-taxonomy';

describe('diffPolicies', () => {
  const before = { taxonomy: fixtureTaxonomy, policy: defaultPolicy };

  it('sees no change between a policy and itself', () => {
    expect(diffPolicies(before, before)).toEqual({ changes: [], versionNotBumped: false });
  });

  it('names each effect of a change, and flags a change without a new version', () => {
    const definitions = [...fixtureTaxonomy.purposes.values()]
      .filter((purpose) => purpose.id !== 'sensitive.processing')
      .map((purpose) =>
        purpose.id === 'ml.training'
          ? { ...purpose, usCategory: 'sale_sharing' as const }
          : purpose,
      );
    const after = {
      taxonomy: createTaxonomy('test', [
        ...definitions,
        {
          id: 'ml.fine_tuning',
          description: 'Fine-tuning language models on support chats',
          basis: 'consent' as const,
          dataCategories: ['behavioural' as const],
          usCategory: 'profiling' as const,
        },
      ]),
      policy: {
        ...defaultPolicy,
        jurisdictions: { ...defaultPolicy.jurisdictions, 'US-NY': 'US_STATE_OPT_OUT' as const },
        globalPrivacyControl: {
          ...defaultPolicy.globalPrivacyControl,
          honouredIn: [...defaultPolicy.globalPrivacyControl.honouredIn, 'US-VA'],
        },
        minimumNoticeVersions: { privacy: '4' },
      },
    };
    const diff = diffPolicies(before, after);
    expect(diff.changes).toEqual([
      '~ purpose ml.training: usCategory "profiling" -> "sale_sharing"',
      '+ purpose ml.fine_tuning (consent; behavioural; US profiling): Fine-tuning language models on support chats',
      '- purpose sensitive.processing',
      '~ jurisdiction US-NY: UNKNOWN -> US_STATE_OPT_OUT',
      '+ GPC honoured in US-VA',
      '~ minimum notice version privacy: (none) -> 4 (grants under older versions need re-consent)',
    ]);
    expect(diff.versionNotBumped).toBe(true);
    const versioned = diffPolicies(before, {
      ...after,
      policy: { ...after.policy, version: 'next' },
    });
    expect(versioned.versionNotBumped).toBe(false);
    expect(versioned.changes[0]).toBe('~ version default -> next');
  });
});
