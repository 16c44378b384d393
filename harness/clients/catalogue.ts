// The client catalogue: every client an agent can run, by the name a profile uses
// (`client: kafkajs | librdkafka | java`).
import type { ClientDriver } from './driver.ts';
import { javaDriver } from './java/driver.ts';
import { kafkajsDriver } from './kafkajs.ts';
import { librdkafkaDriver } from './librdkafka/driver.ts';
import type { ClientName } from './protocol.ts';

export { CLIENT_NAMES, DEFAULT_CLIENT } from './protocol.ts';

export const CLIENTS: Record<ClientName, ClientDriver> = {
  kafkajs: kafkajsDriver,
  librdkafka: librdkafkaDriver,
  java: javaDriver,
};

export function clientDriver(name: ClientName): ClientDriver {
  return CLIENTS[name];
}
