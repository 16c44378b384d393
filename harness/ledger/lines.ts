// The producer agent's two most frequent events as text, built without JSON.stringify (a
// tracked producer writes two lines per message, tens of thousands a second). Each
// function returns exactly what JSON.stringify of the event object (events.ts, keys in
// that order) and a newline give; a unit test holds them to it.

/** `pid` as a JSON string, made once per agent. */
export function quotedId(pid: string): string {
  return JSON.stringify(pid);
}

/** An AttemptEvent line; `qpid` is quotedId(pid). Integers only. */
export function attemptLine(qpid: string, seq: number, p: number, t: number): string {
  return `{"e":"attempt","pid":${qpid},"seq":${seq},"p":${p},"t":${t}}\n`;
}

/** An AckEvent line; `o` null when the broker did not say the offset. */
export function ackLine(qpid: string, seq: number, p: number, o: number | null, t: number): string {
  return `{"e":"ack","pid":${qpid},"seq":${seq},"p":${p},"o":${o === null ? 'null' : o},"t":${t}}\n`;
}
