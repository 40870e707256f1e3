import { ReplayableBody } from '../../../src/core/forwarding/replayable-body';
import { FakeBodySource, RecordingSink } from '../support/bodies';

function setup(limitBytes = 1024) {
  const source = new FakeBodySource();
  const body = new ReplayableBody(source, limitBytes);
  return { source, body };
}

describe('ReplayableBody: the first attempt', () => {
  test('streams live: the source starts only when the view starts, once', () => {
    const { source, body } = setup();
    const view = body.nextAttempt();
    expect(source.starts).toBe(0);
    const sink = new RecordingSink();
    view.start(sink);
    expect(source.starts).toBe(1);
    expect(source.sink).toBe(body);
    source.push('he');
    expect(sink.log).toEqual(['chunk:he']);
    source.push('llo');
    source.end();
    expect(sink.log).toEqual(['chunk:he', 'chunk:llo', 'end']);
    expect(body.replayable).toBe(true);
    expect([source.pauses, source.resumes]).toEqual([0, 0]);
  });

  test('an empty body ends at once', () => {
    const { source, body } = setup();
    const sink = new RecordingSink();
    body.nextAttempt().start(sink);
    source.end();
    expect(sink.log).toEqual(['end']);
  });

  test('a client body error reaches the view and makes the body unreplayable', () => {
    const { source, body } = setup();
    const sink = new RecordingSink();
    body.nextAttempt().start(sink);
    source.push('a');
    source.fail(new Error('client went away'));
    expect(sink.log).toEqual(['chunk:a', 'error:client went away']);
    expect(body.replayable).toBe(false);
  });

  test('pause and resume of the view reach the source once it is started', () => {
    const { source, body } = setup();
    const view = body.nextAttempt();
    view.pause();
    view.resume();
    expect([source.pauses, source.resumes]).toEqual([0, 0]);
    view.start(new RecordingSink());
    view.pause();
    expect([source.pauses, source.resumes]).toEqual([1, 0]);
    view.resume();
    expect([source.pauses, source.resumes]).toEqual([1, 1]);
  });
});

describe('ReplayableBody: a second attempt', () => {
  test('mid-body: recorded chunks first, then live ones; the first view goes quiet', () => {
    const { source, body } = setup();
    const first = new RecordingSink();
    body.nextAttempt().start(first);
    source.push('a');
    source.push('b');
    const second = new RecordingSink();
    const view = body.nextAttempt();
    expect(source.paused).toBe(true); // nobody reads until the retry starts
    source.push('c'); // already on its way when the pause came
    expect(second.log).toEqual([]);
    view.start(second);
    expect(second.log).toEqual(['chunk:a', 'chunk:b', 'chunk:c']);
    expect(source.paused).toBe(false);
    source.push('d');
    source.end();
    expect(second.log).toEqual(['chunk:a', 'chunk:b', 'chunk:c', 'chunk:d', 'end']);
    expect(first.log).toEqual(['chunk:a', 'chunk:b']);
    expect(source.starts).toBe(1);
  });

  test('after the body ended: the whole body from memory, no pause or resume', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.push('hello ');
    source.push('world');
    source.end();
    const second = new RecordingSink();
    body.nextAttempt().start(second);
    expect(second.log).toEqual(['chunk:hello ', 'chunk:world', 'end']);
    expect(second.body).toBe('hello world');
    expect([source.pauses, source.resumes]).toEqual([0, 0]);
  });

  test('the replayed chunks are the very bytes received', () => {
    const { source, body } = setup();
    const chunks: Uint8Array[] = [];
    body.nextAttempt().start(new RecordingSink());
    source.push('xyz');
    const second = new RecordingSink();
    second.onChunk = (chunk) => chunks.push(chunk);
    body.nextAttempt().start(second);
    expect(new TextDecoder().decode(chunks[0])).toBe('xyz');
  });

  test('when the first view never started, the second starts the source', () => {
    const { source, body } = setup();
    const unused = body.nextAttempt();
    const view = body.nextAttempt();
    expect(source.pauses).toBe(0);
    const sink = new RecordingSink();
    view.start(sink);
    expect(source.starts).toBe(1);
    source.push('a');
    source.end();
    expect(sink.log).toEqual(['chunk:a', 'end']);
    const late = new RecordingSink();
    unused.start(late);
    expect(late.log).toEqual([]);
    expect(source.starts).toBe(1);
  });

  test('a third attempt replays everything the first two saw', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.push('a');
    body.nextAttempt().start(new RecordingSink());
    source.push('b');
    const third = new RecordingSink();
    body.nextAttempt().start(third);
    source.push('c');
    source.end();
    expect(third.log).toEqual(['chunk:a', 'chunk:b', 'chunk:c', 'end']);
  });

  test('an error recorded before the retry is replayed after the chunks', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.push('a');
    source.fail(new Error('boom'));
    const second = new RecordingSink();
    body.nextAttempt().start(second);
    expect(second.log).toEqual(['chunk:a', 'error:boom']);
  });

  test('an error after the retry started goes to the new view only', () => {
    const { source, body } = setup();
    const first = new RecordingSink();
    body.nextAttempt().start(first);
    source.push('a');
    const second = new RecordingSink();
    body.nextAttempt().start(second);
    source.fail(new Error('boom'));
    expect(first.log).toEqual(['chunk:a']);
    expect(second.log).toEqual(['chunk:a', 'error:boom']);
  });
});

describe('ReplayableBody: between attempts', () => {
  test('endAttempt quiets the view and pauses the client until the next view reads', () => {
    const { source, body } = setup();
    const first = new RecordingSink();
    body.nextAttempt().start(first);
    source.push('a');
    body.endAttempt();
    expect(source.paused).toBe(true);
    source.push('b');
    expect(first.log).toEqual(['chunk:a']);
    body.endAttempt();
    const view = body.nextAttempt();
    expect(source.pauses).toBe(1);
    const second = new RecordingSink();
    view.start(second);
    expect(source.paused).toBe(false);
    expect(second.log).toEqual(['chunk:a', 'chunk:b']);
  });

  test('endAttempt after the body ended or before it started pauses nothing', () => {
    const ended = setup();
    ended.body.nextAttempt().start(new RecordingSink());
    ended.source.end();
    ended.body.endAttempt();
    const unstarted = setup();
    unstarted.body.nextAttempt();
    unstarted.body.endAttempt();
    unstarted.body.endAttempt();
    expect([ended.source.pauses, unstarted.source.pauses]).toEqual([0, 0]);
  });

  test('a body that overflows between attempts is no longer replayable', () => {
    const { source, body } = setup(4);
    body.nextAttempt().start(new RecordingSink());
    source.push('abc');
    body.endAttempt();
    expect(body.replayable).toBe(true);
    source.push('de');
    expect(body.replayable).toBe(false);
    expect(body.truncated).toBe(true);
  });

  test('a client error makes the body unreplayable but not truncated', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.fail(new Error('gone'));
    expect([body.replayable, body.truncated]).toEqual([false, false]);
  });
});

describe('ReplayableBody: the memory limit', () => {
  test.each<[string, number, string[], boolean]>([
    // name, limit, chunks, replayable after
    ['below the limit', 10, ['abc', 'de'], true],
    ['exactly the limit', 5, ['abc', 'de'], true],
    ['one byte over', 5, ['abc', 'de', 'f'], false],
    ['one chunk larger than the limit', 5, ['abcdef'], false],
    ['limit 0 keeps nothing', 0, ['a'], false],
    ['limit 0 with an empty body', 0, [], true],
  ])('%s', (_name, limit, chunks, replayable) => {
    const { source, body } = setup(limit);
    const sink = new RecordingSink();
    body.nextAttempt().start(sink);
    for (const chunk of chunks) source.push(chunk);
    source.end();
    expect(body.replayable).toBe(replayable);
    expect(body.truncated).toBe(!replayable);
    // the live attempt gets every chunk whatever the limit
    expect(sink.log).toEqual([...chunks.map((c) => `chunk:${c}`), 'end']);
  });

  test('once overflowed it stays unreplayable', () => {
    const { source, body } = setup(3);
    body.nextAttempt().start(new RecordingSink());
    source.push('abcd');
    source.push('e');
    expect(body.replayable).toBe(false);
  });
});

describe('ReplayableBody: detached views', () => {
  test('a detached view receives nothing more: chunks, end or error', () => {
    const { source, body } = setup();
    const first = new RecordingSink();
    body.nextAttempt().start(first);
    source.push('a');
    body.nextAttempt();
    source.push('b');
    source.end();
    source.fail(new Error('late'));
    expect(first.log).toEqual(['chunk:a']);
  });

  test('starting a detached view does nothing', () => {
    const { source, body } = setup();
    const stale = body.nextAttempt();
    body.nextAttempt().start(new RecordingSink());
    source.push('a');
    const sink = new RecordingSink();
    stale.start(sink);
    expect(sink.log).toEqual([]);
    expect(source.starts).toBe(1);
  });

  test('pause and resume act only for the current view', () => {
    const { source, body } = setup();
    const first = body.nextAttempt();
    first.start(new RecordingSink());
    first.pause();
    expect(source.pauses).toBe(1);
    const second = body.nextAttempt();
    expect(source.pauses).toBe(2);
    first.resume();
    first.pause();
    expect([source.pauses, source.resumes]).toEqual([2, 0]);
    second.start(new RecordingSink());
    expect(source.resumes).toBe(1);
    second.pause();
    second.resume();
    expect([source.pauses, source.resumes]).toEqual([3, 2]);
    first.resume();
    first.pause();
    expect([source.pauses, source.resumes]).toEqual([3, 2]);
  });
});

describe('ReplayableBody: flow control while replaying', () => {
  test('a pause asked for during the replay holds until the view resumes', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.push('a');
    source.push('b');
    const view = body.nextAttempt();
    const sink = new RecordingSink();
    sink.onChunk = () => view.pause(); // the upstream's buffer is full after each chunk
    view.start(sink);
    expect(sink.log).toEqual(['chunk:a', 'chunk:b']);
    expect(source.paused).toBe(true);
    sink.onChunk = null;
    view.resume();
    expect(source.paused).toBe(false);
    source.push('c');
    source.end();
    expect(sink.log).toEqual(['chunk:a', 'chunk:b', 'chunk:c', 'end']);
  });

  test('a sink that pauses and resumes during the replay leaves the source flowing', () => {
    const { source, body } = setup();
    body.nextAttempt().start(new RecordingSink());
    source.push('a');
    const view = body.nextAttempt();
    const sink = new RecordingSink();
    sink.onChunk = () => {
      view.pause();
      view.resume();
    };
    view.start(sink);
    expect(source.paused).toBe(false);
  });
});
