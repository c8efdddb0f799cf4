/** The languages the preference centre speaks; the first is the fallback. */
export const LOCALES = ['en', 'de', 'fr', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/**
 * The page's language: the one the person picked on the page (kept in a cookie), else the best
 * match of the browser's Accept-Language (by quality, then order; `de-AT` matches `de`), else
 * English.
 */
export function negotiateLocale(acceptLanguage: string | undefined, picked?: string): Locale {
  if (isLocale(picked)) return picked;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((entry, order) => {
      const [tag = '', ...parameters] = entry.trim().split(';');
      const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return {
        language: tag.toLowerCase().split('-')[0],
        quality: q ? Number(q.slice(2)) : 1,
        order,
      };
    })
    .filter((entry) => entry.quality > 0 && !Number.isNaN(entry.quality))
    .sort((a, b) => b.quality - a.quality || a.order - b.order);
  return ranked.map((entry) => entry.language).find(isLocale) ?? 'en';
}
