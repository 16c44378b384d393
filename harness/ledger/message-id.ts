// The values the agents write and the message id a record of this run carries in its
// value (`producerId:seq`), written and read the same way by every agent and by the final
// read, whatever the client.
import type { MessageId, MessagePayload } from './events.ts';

/** Parses a message value of this run into its id; null for anything else. */
export function parseMessageId(value: Buffer | null, runId: string): MessageId | null {
  if (!value) return null;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<MessagePayload>;
    if (m.runId !== runId || typeof m.producerId !== 'string' || typeof m.seq !== 'number') return null;
    return `${m.producerId}:${m.seq}`;
  } catch {
    return null;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * parseMessageId for one run, fast: the agents write `{"runId":"<run>","producerId":"<id>",
 * "seq":<n>,...`, so the id is read off that prefix without parsing the JSON; a value of
 * any other shape goes through JSON.parse (same answer, slower).
 */
export function messageIdParser(runId: string): (value: Buffer | null) => MessageId | null {
  const head = Buffer.from(`{"runId":${JSON.stringify(runId)},"producerId":"`);
  const seqKey = Buffer.from('","seq":');
  return (value) => {
    if (!value) return null;
    if (value.length > head.length && value.compare(head, 0, head.length, 0, head.length) === 0) {
      const pidEnd = value.indexOf(QUOTE, head.length);
      if (pidEnd > head.length && value.compare(seqKey, 0, seqKey.length, pidEnd, pidEnd + seqKey.length) === 0) {
        let i = pidEnd + seqKey.length;
        let seq = 0;
        const first = i;
        while (i < value.length && value[i]! >= 0x30 && value[i]! <= 0x39 && i - first < 15) seq = seq * 10 + (value[i++]! - 0x30);
        const pid = value.toString('utf8', head.length, pidEnd);
        if (i > first && value[i] === COMMA && !pid.includes('\\')) return `${pid}:${seq}`;
      }
    }
    return parseMessageId(value, runId);
  };
}

/** The value the producer agent writes: its payload as JSON, padded to `size` bytes where it is shorter. */
export function messageValue(payload: MessagePayload, size: number): string {
  const base = JSON.stringify(payload);
  const room = size - base.length - 9; // ,"pad":"" plus closing brace
  return room <= 0 ? base : `${base.slice(0, -1)},"pad":"${'x'.repeat(room)}"}`;
}

/** The output value: the input value with the transformer and its transaction added before the closing brace. */
export function transformedValue(input: string, by: string, txn: number): string {
  const end = input.lastIndexOf('}');
  if (end < 0) return input;
  return `${input.slice(0, end)},"by":${JSON.stringify(by)},"txn":${txn}}`;
}
