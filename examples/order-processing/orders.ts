// A small order-processing service: the application code under test. It knows nothing
// about kafka-chaos; the test in orders.test.ts runs it against a cluster in trouble.
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';

export interface Order {
  id: string;
  customer: string;
  amountCents: number;
}

/** Places orders on the `orders` topic, keyed by order id. */
export class OrderPublisher {
  private readonly producer: Producer;

  constructor(brokers: string[]) {
    const kafka = new Kafka({ clientId: 'orders-publisher', brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, maxRetryTime: 2000 } });
    // acks=all with idempotence: an order is placed once it is on every in-sync replica
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async place(order: Order): Promise<void> {
    await this.producer.send({ topic: 'orders', acks: -1, messages: [{ key: order.id, value: JSON.stringify(order) }] });
  }

  /** Bounded, like the processor's stop: a service's shutdown must not wait forever. */
  async disconnect(timeoutMs = 15_000): Promise<void> {
    await within(this.producer.disconnect(), timeoutMs);
  }
}

/**
 * Processes orders: books each one, then commits its offset (process first, commit
 * after: a crash between the two processes an order again, never skips one).
 */
export class OrderProcessor {
  private readonly consumer: Consumer;
  readonly booked = new Map<string, number>();

  constructor(
    brokers: string[],
    private readonly book: (order: Order) => Promise<void>,
  ) {
    const kafka = new Kafka({ clientId: 'orders-processor', brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, maxRetryTime: 2000 } });
    this.consumer = kafka.consumer({ groupId: 'order-processing', sessionTimeout: 10_000, maxWaitTimeInMs: 200 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const order = JSON.parse(message.value!.toString('utf8')) as Order;
        await this.book(order);
        this.booked.set(order.id, (this.booked.get(order.id) ?? 0) + 1);
        await this.consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
  }

  /**
   * Leaves the group. Bounded: kafkajs's disconnect can hang after a broker came back
   * (its fetchers keep retrying), and a service's shutdown must not wait on it forever.
   */
  async stop(timeoutMs = 15_000): Promise<void> {
    await within(this.consumer.disconnect(), timeoutMs);
  }
}

/** Waits for `work`, or for `ms`, whichever comes first. */
async function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
