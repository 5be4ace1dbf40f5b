import { redactUrl } from '../util/redact-url.js';

/** The origins that may receive the access token (rule 9). */
export interface OriginAllowList {
  /** Whether `url` (absolute) is on an allowed origin. Malformed URLs are not. */
  allows(url: string): boolean;
}

/**
 * The origin (`https://api.example.com`) of an absolute http(s) URL, resolved against `base`
 * when given. Throws a TypeError naming `what` otherwise; the URL is quoted redacted.
 */
export function originOf(url: string, what: string, base?: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url, base);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    throw new TypeError(`${what} must be an absolute http or https URL, got ${JSON.stringify(redactUrl(String(url)))}`);
  }
  return parsed.origin;
}

/** An {@link OriginAllowList} of `origins` (already checked with {@link originOf}). */
export function createOriginAllowList(origins: Iterable<string>): OriginAllowList {
  const allowed = new Set(origins);
  const list = [...allowed];
  return {
    allows(url) {
      // A prefix test first: parsing every request's URL again costs more than the rest of the
      // auth step. Only a URL that does not start with an allowed origin is parsed to be sure.
      // (An indexed loop: a Set's iterator is an allocation per request.)
      for (let i = 0; i < list.length; i++) {
        const origin = list[i] as string;
        if (url.startsWith(origin) && url.charCodeAt(origin.length) === 47 /* / */) return true;
      }
      try {
        return allowed.has(new URL(url).origin);
      } catch {
        return false;
      }
    },
  };
}
