import { preferredMediaType } from './content-negotiation';

const offered = ['application/json', 'text/html'];

describe('preferredMediaType', () => {
  it.each([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['text/html', 'text/html'],
    ['application/json', 'application/json'],
    // A browser's own header: HTML named, anything else at a lower quality.
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8', 'text/html'],
    ['text/*;q=0.5, application/json;q=0.4', 'text/html'],
    ['application/json;q=0.9, text/html;q=0.9', 'application/json'],
    ['text/html;q=0, */*', 'application/json'],
    ['TEXT/HTML', 'text/html'],
    ['image/png', undefined],
  ])('given Accept %p, prefers %p', (accept, expected) => {
    expect(preferredMediaType(accept, offered)).toBe(expected);
  });
});
