import { isStatusRangeProblem, parseStatusRanges } from '../../src/config/status-ranges';

describe('expected_status parsing', () => {
  it.each<[number | string, { from: number; to: number }[]]>([
    [200, [{ from: 200, to: 200 }]],
    [599, [{ from: 599, to: 599 }]],
    ['200', [{ from: 200, to: 200 }]],
    ['200-399', [{ from: 200, to: 399 }]],
    ['200 - 399', [{ from: 200, to: 399 }]],
    ['204-204', [{ from: 204, to: 204 }]],
    ['100-599', [{ from: 100, to: 599 }]],
    [
      '200,204,300-399',
      [
        { from: 200, to: 200 },
        { from: 204, to: 204 },
        { from: 300, to: 399 },
      ],
    ],
    [
      ' 200 , 301-302 ',
      [
        { from: 200, to: 200 },
        { from: 301, to: 302 },
      ],
    ],
  ])('%j -> %j', (written, ranges) => {
    expect(parseStatusRanges(written)).toEqual(ranges);
  });

  it.each<[number | string, RegExp, RegExp]>([
    [99, /99 is not an HTTP status code \(100-599\)/, /e\.g\. "200-399"/],
    [600, /600 is not an HTTP status code/, /200,204,300-399/],
    ['', /no status codes given/, /separated by commas/],
    ['   ', /no status codes given/, /separated by commas/],
    ['2xx', /"2xx" is not a status code or range/, /"200,204,300-399"/],
    ['200;204', /"200;204" is not a status code or range/, /separated by commas/],
    ['200,', /"200," has an empty entry/, /separated by commas/],
    ['200,,204', /has an empty entry/, /separated by commas/],
    ['-200', /"-200" is not a status code or range/, /separated by commas/],
    ['200-', /"200-" is not a status code or range/, /separated by commas/],
    ['200-300-400', /is not a status code or range/, /separated by commas/],
    ['99-200', /99 is not an HTTP status code/, /separated by commas/],
    ['200-600', /600 is not an HTTP status code/, /separated by commas/],
    ['399-200', /range "399-200" runs backwards/, /write the lower code first: 200-399/],
    ['200.5', /is not a status code or range/, /separated by commas/],
  ])('%j is refused', (written, message, hint) => {
    const parsed = parseStatusRanges(written);
    expect(isStatusRangeProblem(parsed)).toBe(true);
    if (!isStatusRangeProblem(parsed)) return;
    expect(parsed.message).toMatch(message);
    expect(parsed.hint).toMatch(hint);
  });
});
