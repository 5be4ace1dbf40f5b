const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:${DAY}) (${MONTH}) ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7) in epoch ms, or `undefined` when `value` is not one. Only the
 * grammar's three forms are read: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
 * (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). Unlike
 * `Date.parse`, nothing else is guessed at: `"1.5"` or `"-1"` are no dates.
 */
export function parseHttpDate(value: string, now: number): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match) return utc(match[3], match[2], match[1], match.slice(4));
  match = RFC_850.exec(value);
  if (match) return utc(fullYear(Number(match[3]), now), match[2], match[1], match.slice(4));
  match = ASCTIME.exec(value);
  if (match) return utc(match[6], match[1], match[2], match.slice(3, 6));
  return undefined;
}

function utc(year: string | number | undefined, month: string | undefined, day: string | undefined, time: readonly (string | undefined)[]): number | undefined {
  const [y, mo, d] = [Number(year), MONTHS.indexOf(month ?? ''), Number(day)];
  const [h, mi, s] = time.map(Number) as [number, number, number];
  if (h > 23 || mi > 59 || s > 60) return undefined;
  const date = new Date(Date.UTC(y, mo, d));
  // Rejects days the month does not have (31 Feb) instead of rolling over into the next month.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== mo || date.getUTCFullYear() !== y) return undefined;
  // A leap second (60, always at 23:59) is allowed by the grammar; Date has none, so it reads as the next second.
  return date.getTime() + ((h * 60 + mi) * 60 + s) * 1000;
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is the most recent past
// year with the same last two digits.
function fullYear(twoDigits: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  let year = thisYear - (thisYear % 100) + twoDigits;
  if (year > thisYear + 50) year -= 100;
  return year;
}
