import { parse } from 'smol-toml';
import { TomlPositions } from '../../src/config/formats/toml-positions';

const TEXT = [
  '# a comment with [brackets] and "quotes"', // 1
  'title = "x = [not a table]" # trailing', // 2
  'ports = [', // 3
  '  8080,', // 4
  "  'literal # not a comment',", // 5
  '  """multi', // 6
  'line""",', // 7
  '  9090', // 8
  ']', // 9
  'site.name = "dotted"', // 10
  '"quoted key" = { a = 1, b = [true, false] }', // 11
  '', // 12
  '[server.tls]', // 13
  'cert = \'\'\'c"', // 14
  "x'''", // 15
  'when = 1979-05-27 07:32:00Z', // 16
  '', // 17
  '[[routes]]', // 18
  'path = "/a"', // 19
  '[[routes.backends]]', // 20
  'url = "http://a"', // 21
  '[[routes]]', // 22
  'path = "/b"', // 23
  '[[routes.backends]]', // 24
  'url = "http://b"', // 25
  '[[routes.backends]]', // 26
  'url = "http://c"', // 27
  '',
].join('\n');

describe('TomlPositions', () => {
  // The scanner must read the same document smol-toml reads.
  it('scans a document smol-toml accepts', () => {
    expect(() => parse(TEXT)).not.toThrow();
  });

  it.each([
    [['title'], 'value', '2:9'],
    [['title'], 'key', '2:1'],
    [['ports'], 'value', '3:9'],
    [['ports', '0'], 'value', '4:3'],
    [['ports', '1'], 'value', '5:3'],
    [['ports', '2'], 'value', '6:3'],
    [['ports', '3'], 'value', '8:3'],
    [['site', 'name'], 'value', '10:13'],
    [['site'], 'value', '10:1'],
    [['quoted key', 'b', '1'], 'value', '11:36'],
    [['quoted key', 'a'], 'key', '11:18'],
    [['server', 'tls'], 'value', '13:1'],
    [['server', 'tls', 'when'], 'value', '16:8'],
    [['routes', '0', 'path'], 'value', '19:8'],
    [['routes', '1', 'path'], 'value', '23:8'],
    [['routes', '1', 'backends', '1', 'url'], 'value', '27:7'],
    [['routes', '0', 'backends', '0', 'url'], 'key', '21:1'],
    [['routes', '1', 'backends', '0'], 'value', '24:1'],
  ] as const)('%j (%s) is at %s', (path, anchor, expected) => {
    const at = new TomlPositions(TEXT).locate(path, anchor);
    expect(`${at.line}:${at.col}`).toBe(expected);
  });

  it('resolves a path that is not written to its deepest written part, or the start of the file', () => {
    const positions = new TomlPositions(TEXT);
    expect(positions.locate(['routes', '1', 'timeout'])).toEqual({ line: 22, col: 1 });
    expect(positions.locate(['nowhere', 'at', 'all'])).toEqual({ line: 1, col: 1 });
  });

  it('never loops on text it cannot read', () => {
    expect(new TomlPositions('= = ]]] [[ "unterminated\n{').locate(['x'])).toEqual({ line: 1, col: 1 });
  });
});
