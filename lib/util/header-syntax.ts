// RFC 9110 §5.1 (field-name is a token) and §5.5 (field-value: visible characters, obs-text,
// spaces and tabs; never CR, LF, NUL or another control character).
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7E\x80-\xFF]*$/;

/** Whether `name` may be sent as an HTTP header name. */
export function isHeaderName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/** Whether `value` may be sent as an HTTP header value (what `fetch` would refuse, and more). */
export function isHeaderValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

/**
 * Throws a TypeError naming the first header `fetch` must not see. The message names the header,
 * never its value: a value may be a credential, and undici's own error would quote it.
 *
 * A value must be a string. `Headers` would turn `42` into `"42"`, but it would as readily turn
 * `undefined` into `"undefined"` and an object into `"[object Object]"`; the types say string, and
 * a number is one `String(n)` away, so anything else is refused, naming its type.
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderName(name)) throw new TypeError(`Invalid header name ${JSON.stringify(name.replace(/[^\x21-\x7E]/g, '?'))}: only RFC 9110 token characters are allowed`);
    if (typeof value !== 'string') {
      throw new TypeError(`Invalid value for header "${name}": it must be a string, got ${value === null ? 'null' : typeof value}${typeof value === 'number' ? ` (pass String(value))` : ''}`);
    }
    if (!isHeaderValue(value)) throw new TypeError(`Invalid value for header "${name}": it contains characters not allowed in a header (CR, LF or another control character)`);
  }
}
