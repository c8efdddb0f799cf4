import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConsentPolicy } from './consent-policy.loader';

describe('loadConsentPolicy', () => {
  it('loads the shipped default taxonomy with the purposes DESIGN.md lists', () => {
    const { taxonomy, policy } = loadConsentPolicy({
      file: 'deploy/policy/consent-policy.yaml',
      strictestEverywhere: false,
    });
    for (const id of [
      'transactional',
      'marketing.email',
      'marketing.sms',
      'marketing.push',
      'personalization.recommendations',
      'analytics.behavioral',
      'ads.targeted',
      'data.sale_sharing',
      'ml.training',
      'sensitive.processing',
    ]) {
      expect(taxonomy.purposes.has(id)).toBe(true);
    }
    expect(taxonomy.purposes.get('marketing')?.children).toEqual([
      'marketing.email',
      'marketing.sms',
      'marketing.push',
    ]);
    expect(policy.version).toBe(taxonomy.version);
  });

  it('reads the jurisdiction table and the GPC rules from the file', () => {
    const { policy } = loadConsentPolicy({
      file: 'deploy/policy/consent-policy.yaml',
      strictestEverywhere: false,
    });
    expect(policy.jurisdictions).toMatchObject({
      DE: 'GDPR',
      GB: 'UK_GDPR',
      'US-CA': 'CCPA_CPRA',
      'US-VA': 'US_STATE_OPT_OUT',
    });
    expect(policy.globalPrivacyControl.honouredIn).toContain('US-CA');
    expect(policy.globalPrivacyControl.honouredIn).not.toContain('US-VA');
    expect(policy.globalPrivacyControl.optOutOf).toEqual(['data.sale_sharing', 'ads.targeted']);
  });

  const rules =
    'jurisdictions: { GDPR: [DE] }\nglobalPrivacyControl: { honouredIn: [US-CA], optOutOf: [a] }\n';

  it('refuses a place under two regimes and a GPC purpose that does not exist', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
    const purposes =
      'purposes:\n  - { id: a, description: x, basis: consent, dataCategories: [behavioural], usCategory: other }\n';
    writeFileSync(
      file,
      `version: "1"\n${purposes}jurisdictions: { GDPR: [DE], UK_GDPR: [DE] }\nglobalPrivacyControl: { honouredIn: [], optOutOf: [b] }\n`,
    );
    expect(() => loadConsentPolicy({ file, strictestEverywhere: false })).toThrow(
      /DE is under both GDPR and UK_GDPR[\s\S]*unknown purpose 'b'/,
    );
  });

  it('names the bad entry of an invalid file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
    writeFileSync(
      file,
      rules +
        'version: "1"\npurposes:\n  - { id: a.b, description: x, basis: consent, dataCategories: [behavioural], usCategory: other }\n',
    );
    expect(() => loadConsentPolicy({ file, strictestEverywhere: false })).toThrow(
      /'a.b' has no parent 'a' defined/,
    );
    writeFileSync(
      file,
      rules +
        'version: "1"\npurposes:\n  - { id: a, description: x, basis: maybe, dataCategories: [behavioural], usCategory: other }\n',
    );
    expect(() => loadConsentPolicy({ file, strictestEverywhere: false })).toThrow(
      /purposes.0.basis/,
    );
  });
});
