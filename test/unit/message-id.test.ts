import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageIdParser, parseMessageId } from '../../harness/agents/consumer.ts';
import { messageValue } from '../../harness/agents/producer.ts';

const RUN = '20261122T120000Z-exp';

/** a value as the producer agent writes it */
const agentValue = (runId: string, producerId: string, seq: number, size = 0) => Buffer.from(messageValue({ runId, producerId, seq, sentAt: 1 }, size));

describe('the fast message id parser', () => {
  const fast = messageIdParser(RUN);

  it('reads the id of every agent-written value, as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 400 }), (pid, seq, size) => {
        const v = agentValue(RUN, pid, seq, size);
        expect(fast(v)).toBe(`${pid}:${seq}`);
        expect(fast(v)).toBe(parseMessageId(v, RUN));
      }),
    );
  });

  it('gives the same answer as JSON.parse for anything else', () => {
    const cases = [
      agentValue('another-run', 'p0', 1),
      agentValue(`${RUN}x`, 'p0', 1),
      agentValue(RUN, 'p\\"0', 7), // an escaped producer id
      Buffer.from(`{"runId":"${RUN}","producerId":"p0","seq":-1,"sentAt":1}`),
      Buffer.from(`{"runId":"${RUN}","producerId":"p0","seq":"3"}`),
      Buffer.from(`{"runId":"${RUN}","producerId":"p0","seq":12`), // truncated
      Buffer.from(`{"producerId":"p0","runId":"${RUN}","seq":4}`), // other key order
      Buffer.from('not json'),
      Buffer.alloc(0),
    ];
    for (const v of cases) expect(fast(v), v.toString()).toBe(parseMessageId(v, RUN));
    expect(fast(null)).toBeNull();
    expect(fast(Buffer.from(`{"producerId":"p0","runId":"${RUN}","seq":4}`))).toBe('p0:4');
  });
});
