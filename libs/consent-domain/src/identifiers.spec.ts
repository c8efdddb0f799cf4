import {
  DEFAULT_OPAQUE_ID_RULES,
  directIdentifierKind,
  isKnownJurisdiction,
  opaqueIdProblem,
} from './identifiers';

describe('isKnownJurisdiction', () => {
  it.each(['DE', 'GB', 'US', 'US-CA', 'US-TX', 'GB-ENG', 'FR-75', 'ES-CT', 'BR-SP', 'ZZ'])(
    'accepts %s, a code that exists (or ZZ, unknown)',
    (code) => expect(isKnownJurisdiction(code)).toBe(true),
  );

  it.each(['XX', 'XX-YY', 'US-XX', 'EU', 'UK', 'de', 'us-ca', 'D', 'DEU', 'US-CA-1', '', 'US-'])(
    'refuses %s, which is no ISO 3166 code',
    (code) => expect(isKnownJurisdiction(code)).toBe(false),
  );
});

describe('directIdentifierKind', () => {
  it.each([
    ['alice@example.com', 'EMAIL_ADDRESS'],
    ['user:Alice.Smith@mail.example.co.uk', 'EMAIL_ADDRESS'],
    ['4111111111111111', 'CARD_NUMBER'],
    ['4111-1111-1111-1111', 'CARD_NUMBER'],
    ['5500 0000 0000 0004', 'CARD_NUMBER'],
    ['378282246310005', 'CARD_NUMBER'],
    ['+4930123456789', 'PHONE_NUMBER'],
    ['+1-555-123-4567', 'PHONE_NUMBER'],
    ['004930123456', 'PHONE_NUMBER'],
    ['(030) 123-4567', 'PHONE_NUMBER'],
  ])('takes %s for %s', (value, kind) => expect(directIdentifierKind(value)).toBe(kind));

  it.each([
    'subject-7f3a9c',
    'c0a8012e-7b1d-4c2f-9e55-2d1b8f0a6c31',
    'crm:0012345',
    '123456789',
    // A Snowflake-style id: Luhn-valid, but no card scheme's prefix and length.
    '1790000000000000000',
    // Luhn-invalid with a card's prefix and length.
    '4111111111111112',
    'tenant@42',
  ])('takes %s for an opaque id', (value) => expect(directIdentifierKind(value)).toBeUndefined());
});

describe('opaqueIdProblem', () => {
  it('names what the id looks like without repeating it', () => {
    const problem = opaqueIdProblem('alice@example.com');
    expect(problem?.code).toBe('IDENTIFIER.NOT_OPAQUE');
    expect(problem?.message).toMatch(/email address/);
    expect(problem?.message).not.toContain('alice');
  });

  it('holds an id to the configured shape', () => {
    const rules = { pattern: /^sub_[a-z0-9]{8}$/, refuseDirectIdentifiers: true };
    expect(opaqueIdProblem('sub_abcd1234', rules)).toBeUndefined();
    expect(opaqueIdProblem('abcd1234', rules)?.code).toBe('IDENTIFIER.INVALID_SHAPE');
  });

  it('lets a deployment accept direct identifiers when it chooses to', () => {
    const rules = { ...DEFAULT_OPAQUE_ID_RULES, refuseDirectIdentifiers: false };
    expect(opaqueIdProblem('4111111111111111', rules)).toBeUndefined();
  });
});
