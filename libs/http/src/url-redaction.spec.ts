import { REDACTED_IDENTIFIER, urlWithoutDirectIdentifiers } from './url-redaction';

describe('urlWithoutDirectIdentifiers', () => {
  it('replaces path segments and query values that look like direct identifiers', () => {
    expect(urlWithoutDirectIdentifiers('/v1/subjects/alice%40example.com/consents')).toBe(
      `/v1/subjects/${REDACTED_IDENTIFIER}/consents`,
    );
    expect(urlWithoutDirectIdentifiers('/v1/subjects/alice@example.com/events?limit=5')).toBe(
      `/v1/subjects/${REDACTED_IDENTIFIER}/events?limit=5`,
    );
    expect(urlWithoutDirectIdentifiers('/v1/audit/replay?subjectId=%2B4930123456789&asOf=x')).toBe(
      `/v1/audit/replay?subjectId=${REDACTED_IDENTIFIER}&asOf=x`,
    );
  });

  it('leaves pseudonymous ids and ordinary values as they are', () => {
    const url =
      '/v1/subjects/subject-7f3a/consents?jurisdiction=US-CA&asOf=2026-03-29T01%3A30%3A00Z';
    expect(urlWithoutDirectIdentifiers(url)).toBe(url);
  });
});
