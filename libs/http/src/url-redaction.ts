import { directIdentifierKind } from '@consent-ledger/consent-domain';

/** What stands in a logged URL for a part that looked like an email address, phone or card. */
export const REDACTED_IDENTIFIER = '[direct-identifier]';

function redacted(part: string): string {
  let decoded = part;
  try {
    decoded = decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    // Not valid percent-encoding: judge it as it is.
  }
  return directIdentifierKind(decoded) ? REDACTED_IDENTIFIER : part;
}

/**
 * A request URL as it may be logged: each path segment and query value that looks like a direct
 * identifier (a caller that sent an email address as a subject id, which the API refuses) is
 * replaced, so that a refused request does not leave the identifier in the logs.
 */
export function urlWithoutDirectIdentifiers(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const maskedPath = path.split('/').map(redacted).join('/');
  if (queryAt < 0) return maskedPath;
  const maskedQuery = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0
        ? redacted(pair)
        : `${pair.slice(0, equals + 1)}${redacted(pair.slice(equals + 1))}`;
    })
    .join('&');
  return `${maskedPath}?${maskedQuery}`;
}
