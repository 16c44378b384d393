// The kafka-chaos agent on the reference Kafka client (kafka-clients): one producer,
// consumer or transformer per process, as harness/clients/protocol.ts defines it.
//
//   java -cp <classes>:<kafka libs>/* KafkaChaosAgent <config.json>
//
// stdout is the protocol (one JSON object per line); everything else, the client's own
// logging included, goes to stderr. The ledger (JSON lines, harness/ledger/events.ts,
// keys in the order of its interfaces) is written with unbuffered appends: each write is
// one write(2), so a SIGKILL keeps everything written before it.
// The semantics mirror the kafkajs agent (harness/agents/producer.ts, consumer.ts).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

public final class KafkaChaosAgent {
  /** Grace the agent gives itself when its stdin closes (protocol.ts ORPHAN_GRACE_MS). */
  static final long ORPHAN_GRACE_MS = 2000;
  /** A graceful stop that takes longer than its grace plus this ends the process. */
  static final long HARD_EXIT_AFTER_MS = 10_000;
  static final ObjectMapper MAPPER = new ObjectMapper();

  static PrintStream proto;
  static Ledger ledger;
  static String agentId;
  /** agentId as a JSON string */
  static String qid;
  static String runId;

  static volatile boolean stopping = false;
  static volatile long stopAt = 0;
  static volatile long graceMs = 0;
  static final CountDownLatch stopRequested = new CountDownLatch(1);
  static final CountDownLatch finished = new CountDownLatch(1);

  public static void main(String[] args) {
    proto = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    // stdout is the protocol: anything a library prints goes to the log instead
    System.setOut(System.err);
    Role role = null;
    try {
      if (args.length != 1) throw new IllegalArgumentException("usage: KafkaChaosAgent <agent-config.json>");
      JsonNode cfg = MAPPER.readTree(new java.io.File(args[0]));
      agentId = cfg.path("agentId").asText();
      qid = quote(agentId);
      runId = cfg.path("runId").asText();
      ledger = new Ledger(cfg.path("ledgerFile").asText());
      ledger.write(new StringBuilder(96).append("{\"e\":\"start\",\"agent\":").append(qid).append(",\"os\":").append(ProcessHandle.current().pid())
          .append(",\"t\":").append(System.currentTimeMillis()).append("}\n"));
      startStdinReader();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        // SIGTERM / SIGINT: stop as if asked to, and keep the JVM up until done
        if (finished.getCount() == 0) return;
        requestStop(ORPHAN_GRACE_MS);
        try {
          finished.await(ORPHAN_GRACE_MS + HARD_EXIT_AFTER_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          // exiting anyway
        }
      }, "shutdown"));
      String r = cfg.path("role").asText();
      switch (r) {
        case "producer" -> role = new ProducerRole(cfg);
        case "consumer" -> role = new ConsumerRole(cfg);
        case "transformer" -> role = new TransformerRole(cfg);
        default -> throw new IllegalArgumentException("unknown role " + r);
      }
      role.start();
      send("{\"type\":\"ready\"}");
      final Role statsOf = role;
      Thread stats = new Thread(() -> {
        while (true) {
          try {
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          }
          statsOf.tick();
          send(statsOf.stats());
        }
      }, "stats");
      stats.setDaemon(true);
      stats.start();
      role.run();
      stats.interrupt();
      send(role.stats());
      send("{\"type\":\"stopped\"}");
      finished.countDown();
      exit(0);
    } catch (StoppedDuringStartup e) {
      log("asked to stop while the client was starting: stopping");
      send("{\"type\":\"stopped\"}");
      finished.countDown();
      exit(0);
    } catch (Throwable e) {
      fatal(e);
    }
  }

  /** The work of one role: start() connects (ready follows), run() works until stopped and closes the client. */
  interface Role {
    void start() throws Exception;

    void run() throws Exception;

    /** every 250 ms, before stats() */
    default void tick() {}

    String stats();
  }

  // ---------------------------------------------------------------- process plumbing

  static void send(String json) {
    synchronized (proto) {
      proto.print(json);
      proto.print('\n');
      proto.flush();
    }
  }

  static void log(String line) {
    System.err.println("[" + agentId + "] " + line);
  }

  static void fatal(Throwable e) {
    e.printStackTrace(System.err);
    String msg = e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage() : e.getClass().getName();
    send("{\"type\":\"fatal\",\"message\":" + quote(msg) + "}");
    finished.countDown();
    exit(1);
  }

  static void exit(int code) {
    System.err.flush();
    proto.flush();
    Runtime.getRuntime().halt(code);
  }

  static synchronized void requestStop(long grace) {
    if (stopping) return;
    graceMs = Math.max(0, grace);
    stopAt = System.currentTimeMillis();
    stopping = true;
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(graceMs + HARD_EXIT_AFTER_MS);
      } catch (InterruptedException e) {
        return;
      }
      log("agent did not finish within " + (graceMs + HARD_EXIT_AFTER_MS) + "ms of being asked to stop: exiting");
      exit(0);
    }, "stop-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    stopRequested.countDown();
  }

  /** Wall clock by which a graceful stop must be done (Long.MAX_VALUE before one is asked for). */
  static long stopDeadline() {
    return stopping ? stopAt + graceMs : Long.MAX_VALUE;
  }

  static void startStdinReader() {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          String s = line.trim();
          if (!s.startsWith("{")) continue;
          try {
            JsonNode m = MAPPER.readTree(s);
            if ("stop".equals(m.path("type").asText())) requestStop(m.path("graceMs").asLong(5000));
          } catch (IOException e) {
            log("ignoring a line on stdin that is not JSON: " + s);
          }
        }
      } catch (IOException e) {
        log("stdin: " + e.getMessage());
      }
      // the harness went away: stop as if asked to
      requestStop(ORPHAN_GRACE_MS);
    }, "stdin");
    t.setDaemon(true);
    t.start();
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Retries a client's start-up like an application would (a broker may be down when an agent starts). */
  static <T> T retryStartup(String what, java.util.concurrent.Callable<T> fn) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    for (int attempt = 1;; attempt++) {
      try {
        return fn.call();
      } catch (Exception e) {
        if (e instanceof ProducerFencedException || e instanceof AuthorizationException) throw e;
        if (stopping) throw new StoppedDuringStartup();
        if (System.currentTimeMillis() > deadline) throw new KafkaException(what + " failed for 60s: " + e.getMessage(), e);
        log(what + " failed (attempt " + attempt + "): " + e + "; retrying");
        sleepQuietly(1000);
      }
    }
  }

  /** Asked to stop before the client was up: the agent ends without having been ready. */
  static final class StoppedDuringStartup extends RuntimeException {
    StoppedDuringStartup() {
      super("asked to stop while starting");
    }
  }

  // ---------------------------------------------------------------- ledger and JSON

  /** Append-only ledger: unbuffered, so every write is one write(2) that survives a SIGKILL. */
  static final class Ledger {
    private final FileOutputStream out;

    Ledger(String file) throws IOException {
      out = new FileOutputStream(file, true);
    }

    synchronized void write(CharSequence lines) {
      if (lines.length() == 0) return;
      try {
        out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A JSON string, as JSON.stringify writes it. */
  static String quote(String s) {
    if (s == null) return "null";
    StringBuilder sb = new StringBuilder(s.length() + 2);
    quote(sb, s);
    return sb.toString();
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  static String offsetsJson(Map<Integer, Long> offsets) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<Integer, Long> e : new TreeMap<>(offsets).entrySet()) {
      if (!first) sb.append(',');
      first = false;
      sb.append('"').append(e.getKey()).append("\":").append(e.getValue());
    }
    return sb.append('}').toString();
  }

  /** A `commit-failed` event: the commit of these partitions failed with `e`. */
  static void commitFailed(Collection<TopicPartition> tps, Throwable e) {
    StringBuilder sb = new StringBuilder(96).append("{\"e\":\"commit-failed\",\"agent\":").append(qid).append(",\"p\":").append(partitionsJson(tps)).append(",\"code\":");
    quote(sb, rootCause(e).getClass().getSimpleName());
    ledger.write(sb.append(",\"t\":").append(System.currentTimeMillis()).append("}\n"));
  }

  /** A `rebalance` event: the group assigned, revoked or took (lost) these partitions. */
  static void rebalance(String kind, Collection<TopicPartition> tps) {
    ledger.write(new StringBuilder(96).append("{\"e\":\"rebalance\",\"agent\":").append(qid).append(",\"kind\":\"").append(kind).append("\",\"p\":").append(partitionsJson(tps))
        .append(",\"t\":").append(System.currentTimeMillis()).append("}\n"));
  }

  /** A rebalance listener that writes the group's moves as `rebalance` events; roles extend it with their own work. */
  static class RecordingRebalanceListener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      if (!revoked.isEmpty()) rebalance("revoked", revoked);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      rebalance("assigned", assigned);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      if (!lost.isEmpty()) rebalance("lost", lost);
    }
  }

  static String partitionsJson(Collection<TopicPartition> tps) {
    StringBuilder sb = new StringBuilder("[");
    tps.stream().map(TopicPartition::partition).sorted().forEach((p) -> {
      if (sb.length() > 1) sb.append(',');
      sb.append(p);
    });
    return sb.append(']').toString();
  }

  /** The client properties the driver mapped, plus the ones every agent sets. */
  static Properties clientProperties(JsonNode cfg, String field) {
    Properties props = new Properties();
    JsonNode given = cfg.path(field);
    if (!given.isObject()) throw new IllegalArgumentException(field + " missing from the agent config: the java driver maps the settings to client properties (withClientProperties)");
    for (Iterator<Map.Entry<String, JsonNode>> it = given.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      props.setProperty(e.getKey(), e.getValue().asText());
    }
    List<String> servers = new ArrayList<>();
    cfg.path("bootstrap").forEach((n) -> servers.add(n.asText()));
    props.setProperty("bootstrap.servers", String.join(",", servers));
    props.setProperty("client.id", "kafka-chaos-" + agentId);
    return props;
  }

  // ---------------------------------------------------------------- message ids

  /** Reads `<producerId>:<seq>` off a value of this run; null for anything else (consumer.ts messageIdParser). */
  static final class IdParser {
    private final String head;

    IdParser(String runId) {
      head = "{\"runId\":" + quote(runId) + ",\"producerId\":\"";
    }

    String idOf(String v) {
      if (v == null) return null;
      if (v.length() > head.length() && v.startsWith(head)) {
        int pidEnd = v.indexOf('"', head.length());
        if (pidEnd > head.length() && v.startsWith("\",\"seq\":", pidEnd)) {
          int i = pidEnd + 8;
          int first = i;
          long seq = 0;
          while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9' && i - first < 15) seq = seq * 10 + (v.charAt(i++) - '0');
          String pid = v.substring(head.length(), pidEnd);
          if (i > first && i < v.length() && v.charAt(i) == ',' && pid.indexOf('\\') < 0) return pid + ":" + seq;
        }
      }
      try {
        JsonNode m = MAPPER.readTree(v);
        if (m == null || !m.isObject()) return null;
        JsonNode r = m.get("runId"), p = m.get("producerId"), s = m.get("seq");
        if (r == null || !r.isTextual() || !r.asText().equals(runId) || p == null || !p.isTextual() || s == null || !s.isNumber()) return null;
        String seq = s.canConvertToExactIntegral() ? s.bigIntegerValue().toString() : s.asText();
        return p.asText() + ":" + seq;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  // ---------------------------------------------------------------- errors

  /** Errors after which the write is known not to have been appended (when the batch was sent once). */
  static final Set<String> DEFINITE = Set.of("NotEnoughReplicasException", "RecordTooLargeException", "RecordBatchTooLargeException", "InvalidRecordException",
      "CorruptRecordException", "InvalidRequiredAcksException", "TopicAuthorizationException", "InvalidTopicException");

  /** The root Kafka exception: the deepest KafkaException in the cause chain, else the first past ExecutionExceptions. */
  static Throwable rootCause(Throwable e) {
    Throwable kafka = null;
    Throwable cur = e;
    for (int depth = 0; cur != null && depth < 16; depth++) {
      if (cur instanceof KafkaException) kafka = cur;
      cur = cur.getCause();
    }
    if (kafka != null) return kafka;
    cur = e;
    while ((cur instanceof ExecutionException || cur instanceof CompletionException) && cur.getCause() != null) cur = cur.getCause();
    return cur;
  }

  // ---------------------------------------------------------------- producer

  static final class ProducerRole implements Role {
    record Pending(long seq, int partition, String value) {}

    /** A second's worth of waiting messages means the producer is behind its target rate. */
    static final long BEHIND_AFTER_MS = 1000;

    final String topic;
    final int partitions;
    final double rate;
    final int messageSize;
    final String mode;
    final boolean sync;
    final Properties props;
    /** the ErrorEvent's attempts: 1 when the client never retries, else unknown (0) */
    final int attemptsField;
    KafkaProducer<String, String> producer;

    final Object lock = new Object();
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** taken from the queue by the sender, not yet through send() */
    int taken = 0;
    volatile boolean handingOver = true;
    final AtomicLong attempted = new AtomicLong();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();
    volatile Throwable senderFailure;

    boolean behind = false;
    long lastBacklogEvent = 0;

    ProducerRole(JsonNode cfg) {
      topic = cfg.path("topic").asText();
      partitions = Math.max(1, cfg.path("partitions").asInt(1));
      rate = cfg.path("rate").asDouble();
      messageSize = cfg.path("messageSize").asInt(0);
      mode = cfg.path("producer").path("mode").asText("async");
      sync = mode.equals("sync");
      props = clientProperties(cfg, "producerProperties");
      props.setProperty("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
      props.setProperty("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
      // transactions run in the transformer role; the driver refuses transactional.id here
      props.remove("transactional.id");
      long retries = Long.parseLong(props.getProperty("retries", String.valueOf(Integer.MAX_VALUE)));
      attemptsField = retries == 0 ? 1 : 0;
    }

    @Override
    public void start() throws Exception {
      producer = new KafkaProducer<>(props);
      retryStartup("producer metadata for " + topic, () -> producer.partitionsFor(topic));
    }

    /** The value the producer writes: its payload as JSON, padded to messageSize where shorter (producer.ts messageValue). */
    String value(long seq, long sentAt) {
      StringBuilder sb = new StringBuilder(Math.max(96, messageSize + 2));
      sb.append("{\"runId\":");
      quote(sb, runId);
      sb.append(",\"producerId\":").append(qid).append(",\"seq\":").append(seq).append(",\"sentAt\":").append(sentAt).append('}');
      int room = messageSize - sb.length() - 9;
      if (room <= 0) return sb.toString();
      sb.setLength(sb.length() - 1);
      sb.append(",\"pad\":\"");
      for (int i = 0; i < room; i++) sb.append('x');
      return sb.append("\"}").toString();
    }

    @Override
    public void run() throws Exception {
      Thread generator = new Thread(this::generate, "generator");
      Thread sender = new Thread(() -> {
        try {
          sendLoop();
        } catch (Throwable e) {
          senderFailure = e;
          stopRequested.countDown();
        }
      }, "sender");
      generator.setDaemon(true);
      sender.setDaemon(true);
      generator.start();
      sender.start();
      stopRequested.await();
      if (senderFailure != null) throw new RuntimeException("producer send loop failed: " + senderFailure, senderFailure);
      generator.join();
      long until = stopDeadline();
      // like a producer's close(): what the application generated is handed to the client
      // for the first half of the grace period; the second half is for what is in flight
      long flushUntil = stopAt + graceMs / 2;
      while (System.currentTimeMillis() < flushUntil) {
        boolean empty;
        synchronized (lock) {
          empty = queue.isEmpty() && taken == 0;
        }
        if (empty) break;
        Thread.sleep(20);
      }
      synchronized (lock) {
        handingOver = false;
        lock.notifyAll();
      }
      long left = until - System.currentTimeMillis();
      if (!sync) sender.join(Math.max(1, left));
      // what is in flight settles (or fails) within the rest of the grace period
      while (inFlight.get() > 0 && System.currentTimeMillis() < until) Thread.sleep(10);
      producer.close(Duration.ofMillis(Math.max(0, until - System.currentTimeMillis())));
      sender.join(2000);
      // what is still waiting was never handed to the client: unsent, not unknown
      Map<Integer, List<Long>> unsent = new TreeMap<>();
      synchronized (lock) {
        for (Pending m : queue) unsent.computeIfAbsent(m.partition, (k) -> new ArrayList<>()).add(m.seq);
        queue.clear();
      }
      long t = System.currentTimeMillis();
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<Integer, List<Long>> e : unsent.entrySet()) {
        sb.append("{\"e\":\"unsent\",\"pid\":").append(qid).append(",\"p\":").append(e.getKey()).append(",\"seqs\":[");
        List<Long> seqs = e.getValue();
        for (int i = 0; i < seqs.size(); i++) {
          if (i > 0) sb.append(',');
          sb.append(seqs.get(i));
        }
        sb.append("],\"t\":").append(t).append("}\n");
      }
      ledger.write(sb);
    }

    /** The application: generates cfg.rate messages a second into the agent's queue. */
    void generate() {
      long started = System.currentTimeMillis();
      long seq = 0;
      List<Pending> made = new ArrayList<>();
      while (!stopping) {
        long now = System.currentTimeMillis();
        long due = (long) Math.floor((now - started) * rate / 1000.0);
        while (seq < due) {
          made.add(new Pending(seq, (int) (seq % partitions), value(seq, now)));
          seq++;
        }
        if (!made.isEmpty()) {
          synchronized (lock) {
            queue.addAll(made);
            lock.notifyAll();
          }
          made.clear();
        }
        LockSupport.parkNanos(2_000_000);
      }
    }

    /** Hands queued messages to the client: all that are waiting (async), or one at a time with send().get() (sync). */
    void sendLoop() throws InterruptedException {
      List<Pending> batch = new ArrayList<>();
      StringBuilder sb = new StringBuilder(8192);
      while (true) {
        batch.clear();
        synchronized (lock) {
          while (queue.isEmpty() && handingOver) lock.wait(5);
          if (!handingOver) return;
          int n = sync ? 1 : Math.min(queue.size(), 500);
          for (int i = 0; i < n; i++) batch.add(queue.poll());
          taken = n;
        }
        // the attempts are in the ledger before the client has the records
        sb.setLength(0);
        long t = System.currentTimeMillis();
        for (Pending m : batch) {
          sb.append("{\"e\":\"attempt\",\"pid\":").append(qid).append(",\"seq\":").append(m.seq).append(",\"p\":").append(m.partition).append(",\"t\":").append(t).append("}\n");
        }
        ledger.write(sb);
        attempted.addAndGet(batch.size());
        for (Pending m : batch) {
          Outcome cb = new Outcome(m.seq, m.partition);
          inFlight.incrementAndGet();
          Future<RecordMetadata> f;
          try {
            f = producer.send(new ProducerRecord<>(topic, m.partition, agentId + ":" + m.seq, m.value), cb);
          } catch (Exception e) {
            // a send that throws (buffer full past max.block.ms, producer closed): an error for this message
            cb.onCompletion(null, e);
            f = null;
          }
          synchronized (lock) {
            taken--;
          }
          if (sync && f != null) {
            try {
              f.get();
            } catch (ExecutionException e) {
              // the callback recorded it
            }
          }
        }
      }
    }

    /** The client's report on one message, written to the ledger whatever the mode. */
    final class Outcome implements Callback {
      final long seq;
      final int partition;
      boolean done;

      Outcome(long seq, int partition) {
        this.seq = seq;
        this.partition = partition;
      }

      @Override
      public void onCompletion(RecordMetadata md, Exception ex) {
        synchronized (this) {
          if (done) return;
          done = true;
        }
        inFlight.decrementAndGet();
        long t = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder(128);
        if (ex == null) {
          sb.append("{\"e\":\"ack\",\"pid\":").append(qid).append(",\"seq\":").append(seq).append(",\"p\":").append(partition).append(",\"o\":");
          if (md != null && md.hasOffset()) sb.append(md.offset());
          else sb.append("null");
          sb.append(",\"t\":").append(t).append("}\n");
          ledger.write(sb);
          acked.incrementAndGet();
        } else {
          Throwable root = rootCause(ex);
          String code = root.getClass().getSimpleName();
          boolean retriable = root instanceof RetriableException;
          boolean definite = attemptsField == 1 && DEFINITE.contains(code);
          sb.append("{\"e\":\"error\",\"pid\":").append(qid).append(",\"seq\":").append(seq).append(",\"p\":").append(partition).append(",\"code\":");
          quote(sb, code);
          sb.append(",\"retriable\":").append(retriable).append(",\"definite\":").append(definite).append(",\"attempts\":").append(attemptsField).append(",\"t\":").append(t).append("}\n");
          ledger.write(sb);
          errors.incrementAndGet();
        }
      }
    }

    int queued() {
      synchronized (lock) {
        return queue.size();
      }
    }

    @Override
    public void tick() {
      int queued = queued();
      long limit = Math.max(1, (long) Math.floor(rate * BEHIND_AFTER_MS / 1000.0));
      long now = System.currentTimeMillis();
      String state = null;
      if (!behind && queued >= limit) {
        behind = true;
        lastBacklogEvent = now;
        state = "behind";
      } else if (behind && queued < Math.max(1, limit / 10)) {
        behind = false;
        state = "caught-up";
      } else if (behind && now - lastBacklogEvent >= 1000) {
        lastBacklogEvent = now;
        state = "behind";
      }
      if (state != null) {
        ledger.write(new StringBuilder(96).append("{\"e\":\"backlog\",\"pid\":").append(qid).append(",\"state\":\"").append(state).append("\",\"queued\":").append(queued)
            .append(",\"t\":").append(now).append("}\n"));
      }
    }

    @Override
    public String stats() {
      return "{\"type\":\"stats\",\"role\":\"producer\",\"attempted\":" + attempted.get() + ",\"acked\":" + acked.get() + ",\"errors\":" + errors.get() + ",\"inFlight\":"
          + Math.max(0, inFlight.get()) + ",\"queued\":" + queued() + "}";
    }
  }

  // ---------------------------------------------------------------- consumer

  /** Offsets handed out and finished, per partition, for the contiguous processed prefix. */
  static final class PartState {
    /** offsets handed out, in order (poll thread only) */
    final ArrayDeque<Long> inHand = new ArrayDeque<>();
    final Set<Long> done = ConcurrentHashMap.newKeySet();
    /** next offset after the contiguous processed prefix; -1: nothing yet */
    long prefix = -1;
    /** the last offset a commit was asked for */
    long requested = -1;

    long advance() {
      Long head;
      while ((head = inHand.peekFirst()) != null && done.remove(head)) {
        inHand.pollFirst();
        prefix = head + 1;
      }
      return prefix;
    }
  }

  static final class ConsumerRole implements Role {
    final String topic;
    final long processingMs;
    final String strategy;
    final boolean autoCommit;
    final String commitMode;
    final boolean commitOnRevoke;
    final long commitIntervalMs;
    final int workers;
    final boolean ahead;
    final Properties props;
    final IdParser ids;
    KafkaConsumer<String, String> consumer;
    ExecutorService pool;

    final AtomicLong received = new AtomicLong();
    final AtomicLong processed = new AtomicLong();
    final AtomicLong commits = new AtomicLong();
    final ConcurrentHashMap<Integer, Long> maxProcessed = new ConcurrentHashMap<>();
    volatile boolean busy = false;
    final AtomicInteger outstanding = new AtomicInteger();
    /** set at the end of a graceful stop: workers drop what they have not started */
    volatile boolean abandon = false;
    /** poll thread only */
    final Map<Integer, PartState> parts = new HashMap<>();

    ConsumerRole(JsonNode cfg) {
      topic = cfg.path("topic").asText();
      processingMs = cfg.path("processingTimeMs").asLong(0);
      JsonNode c = cfg.path("consumer");
      strategy = c.path("strategy").asText("auto-commit");
      autoCommit = strategy.equals("auto-commit");
      commitMode = c.path("commit").asText("sync");
      commitOnRevoke = c.path("commitOnRevoke").asBoolean(false);
      commitIntervalMs = c.path("commitIntervalMs").asLong(0);
      workers = Math.max(1, c.path("workers").asInt(1));
      ahead = c.path("workerCommit").asText("in-order").equals("ahead");
      props = clientProperties(cfg, "consumerProperties");
      if (props.getProperty("group.id") == null) props.setProperty("group.id", cfg.path("groupId").asText());
      props.setProperty("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
      props.setProperty("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
      props.setProperty("enable.auto.commit", String.valueOf(autoCommit));
      if (autoCommit) props.setProperty("interceptor.classes", CommitInterceptor.class.getName());
      ids = new IdParser(runId);
    }

    @Override
    public void start() throws Exception {
      CommitInterceptor.role = this;
      consumer = new KafkaConsumer<>(props);
      consumer.subscribe(List.of(topic), new RecordingRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
          if (commitOnRevoke && !autoCommit) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
            for (TopicPartition tp : revoked) {
              PartState s = parts.get(tp.partition());
              if (s != null && s.advance() >= 0) offsets.put(tp, new OffsetAndMetadata(s.prefix));
            }
            if (!offsets.isEmpty()) {
              try {
                long sent = System.currentTimeMillis();
                consumer.commitSync(offsets);
                committed(offsets, sent);
              } catch (Exception e) {
                commitFailed(offsets.keySet(), e);
                log("commit on revoke of " + offsets + " failed: " + e);
              }
            }
          }
          super.onPartitionsRevoked(revoked);
          for (TopicPartition tp : revoked) {
            parts.remove(tp.partition());
            // not ours any more: what was processed and not committed stays uncommitted
            pendingCommit.remove(tp);
          }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
          super.onPartitionsLost(lost);
          // the group moved on without us: nothing may be committed for them
          for (TopicPartition tp : lost) {
            parts.remove(tp.partition());
            pendingCommit.remove(tp);
          }
        }
      });
      if (workers > 1) {
        pool = Executors.newFixedThreadPool(workers, (r) -> {
          Thread t = new Thread(r, "worker");
          t.setDaemon(true);
          return t;
        });
      }
    }

    PartState part(int p) {
      return parts.computeIfAbsent(p, (k) -> new PartState());
    }

    /** Writes `committed` events for a commit that succeeded; `sent` is when it was sent (-1: unknown). */
    void committed(Map<TopicPartition, OffsetAndMetadata> offsets, long sent) {
      long t = System.currentTimeMillis();
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
        sb.append("{\"e\":\"committed\",\"cid\":").append(qid).append(",\"p\":").append(e.getKey().partition()).append(",\"o\":").append(e.getValue().offset())
            .append(",\"t\":").append(t);
        if (sent >= 0) sb.append(",\"s\":").append(sent);
        sb.append("}\n");
      }
      ledger.write(sb);
      commits.addAndGet(offsets.size());
    }

    /** A manual commit, made the way cfg.consumer.commit says. */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      if (offsets.isEmpty()) return;
      for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
        PartState s = parts.get(e.getKey().partition());
        if (s != null) s.requested = Math.max(s.requested, e.getValue().offset());
      }
      long sent = System.currentTimeMillis();
      switch (commitMode) {
        case "async" -> consumer.commitAsync(offsets, (o, ex) -> {
          if (ex == null) {
            committed(offsets, sent);
          } else {
            commitFailed(offsets.keySet(), ex);
            log("async commit of " + offsets + " failed: " + ex);
          }
        });
        case "async-retry" -> commitAsyncRetry(offsets, 0);
        default -> {
          try {
            consumer.commitSync(offsets);
            committed(offsets, sent);
          } catch (Exception e) {
            // a failed commit is what the application would see: the records stay uncommitted
            commitFailed(offsets.keySet(), e);
            log("commit of " + offsets + " failed: " + e);
          }
        }
      }
    }

    /** a failed async commit to make again, not before `notBefore` (ms) */
    record Retry(Map<TopicPartition, OffsetAndMetadata> offsets, int retry, long notBefore) {}

    /** how long a retried async commit waits, like a callback that retries with a backoff */
    static final long RETRY_BACKOFF_MS = 2000;

    /** failed async commits to make again (poll thread only) */
    final ArrayDeque<Retry> retries = new ArrayDeque<>();

    /**
     * The anti-pattern: a failed async commit is retried with the same offsets, possibly after a
     * later commit succeeded. The callback queues the retry and the poll loop makes it right
     * after (commitAsync runs completed callbacks itself, so a commitAsync inside the callback
     * would nest one stack frame deeper for every failed commit still to be reported).
     */
    void commitAsyncRetry(Map<TopicPartition, OffsetAndMetadata> offsets, int retry) {
      long sent = System.currentTimeMillis();
      try {
        consumer.commitAsync(offsets, (o, ex) -> {
          if (ex == null) {
            committed(offsets, sent);
          } else {
            commitFailed(offsets.keySet(), ex);
            log("async commit of " + offsets + " failed: " + ex + (retry < 10 ? "; committing the same offsets again in " + RETRY_BACKOFF_MS + " ms" : ""));
            if (retry < 10) retries.add(new Retry(offsets, retry + 1, System.currentTimeMillis() + RETRY_BACKOFF_MS));
          }
        });
      } catch (Exception e) {
        commitFailed(offsets.keySet(), e);
        log("async commit of " + offsets + " could not be made: " + e);
      }
    }

    /**
     * Makes the queued retries of failed async commits whose backoff is over (those queued
     * meanwhile wait for the next round). Meanwhile the poll loop goes on committing newer
     * offsets: a retry that succeeds after one of them moves the committed offset back.
     */
    void retryCommits() {
      long now = System.currentTimeMillis();
      for (int n = retries.size(); n > 0; n--) {
        Retry r = retries.poll();
        if (r == null) return;
        if (r.notBefore() > now) {
          retries.add(r);
          continue;
        }
        commitAsyncRetry(r.offsets(), r.retry());
      }
    }

    Map<TopicPartition, OffsetAndMetadata> endPositions(ConsumerRecords<String, String> recs) {
      Map<TopicPartition, OffsetAndMetadata> ends = new LinkedHashMap<>();
      for (TopicPartition tp : recs.partitions()) {
        List<ConsumerRecord<String, String>> l = recs.records(tp);
        ends.put(tp, new OffsetAndMetadata(l.get(l.size() - 1).offset() + 1));
      }
      return ends;
    }

    /** The application's side effect for one record; false when the process is told to drop it. */
    boolean process(ConsumerRecord<String, String> r, String id, Set<Long> done) {
      if (abandon) return false;
      if (processingMs > 0) {
        try {
          Thread.sleep(processingMs);
        } catch (InterruptedException e) {
          return false;
        }
      }
      StringBuilder sb = new StringBuilder(112);
      sb.append("{\"e\":\"processed\",\"cid\":").append(qid).append(",\"id\":");
      if (id == null) sb.append("null");
      else quote(sb, id);
      sb.append(",\"p\":").append(r.partition()).append(",\"o\":").append(r.offset()).append(",\"t\":").append(System.currentTimeMillis()).append("}\n");
      ledger.write(sb);
      processed.incrementAndGet();
      maxProcessed.merge(r.partition(), r.offset(), Math::max);
      done.add(r.offset());
      return true;
    }

    /** Writes the `received` events of a poll; returns the ids in record order. */
    List<String> receive(ConsumerRecords<String, String> recs) {
      List<String> out = new ArrayList<>(recs.count());
      StringBuilder sb = new StringBuilder(recs.count() * 96);
      long t = System.currentTimeMillis();
      for (ConsumerRecord<String, String> r : recs) {
        String id = ids.idOf(r.value());
        out.add(id);
        sb.append("{\"e\":\"received\",\"cid\":").append(qid).append(",\"id\":");
        if (id == null) sb.append("null");
        else quote(sb, id);
        sb.append(",\"p\":").append(r.partition()).append(",\"o\":").append(r.offset()).append(",\"t\":").append(t).append("}\n");
      }
      ledger.write(sb);
      received.addAndGet(recs.count());
      return out;
    }

    @Override
    public void run() throws Exception {
      if (workers > 1) runWorkers();
      else runSingle();
      // a graceful stop commits what was processed, whatever the interval; retries still
      // waiting for their backoff die with the application (a stale one sent now would
      // land after the final commit)
      commitPending();
      if (!retries.isEmpty()) log("closing: " + retries.size() + " commit retries still waiting for their backoff are dropped");
      retries.clear();
      long left = Math.max(1000, stopDeadline() - System.currentTimeMillis());
      // a graceful close: leaves the group at once (auto-commit commits its position;
      // pending async commits get their callbacks)
      consumer.close(Duration.ofMillis(left));
    }

    void runSingle() {
      while (!stopping) {
        ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(100));
        retryCommits();
        if (recs.isEmpty()) continue;
        busy = true;
        try {
          List<String> idList = receive(recs);
          Map<TopicPartition, OffsetAndMetadata> ends = endPositions(recs);
          for (ConsumerRecord<String, String> r : recs) part(r.partition()).inHand.add(r.offset());
          if (strategy.equals("commit-then-process")) commit(ends);
          // a graceful stop never cuts the records in hand short, unless the grace is over
          int i = 0;
          boolean complete = true;
          for (ConsumerRecord<String, String> r : recs) {
            String id = idList.get(i++);
            if (System.currentTimeMillis() > stopDeadline()) {
              complete = false;
              break;
            }
            process(r, id, part(r.partition()).done);
          }
          if (strategy.equals("process-then-commit")) {
            if (!complete) commit(processedPrefix(ends.keySet()));
            else if (commitIntervalMs <= 0) commit(ends);
            else {
              // commits spaced by commitInterval: what was processed since the last one waits
              pendingCommit.putAll(ends);
              if (System.currentTimeMillis() - lastCommitAt >= commitIntervalMs) commitPending();
            }
          }
          for (TopicPartition tp : ends.keySet()) part(tp.partition()).advance();
        } finally {
          busy = false;
        }
      }
    }

    /** process-then-commit with commitInterval: processed positions not committed yet (poll thread only) */
    final Map<TopicPartition, OffsetAndMetadata> pendingCommit = new LinkedHashMap<>();
    long lastCommitAt = System.currentTimeMillis();

    void commitPending() {
      lastCommitAt = System.currentTimeMillis();
      if (pendingCommit.isEmpty()) return;
      Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>(pendingCommit);
      pendingCommit.clear();
      commit(offsets);
    }

    Map<TopicPartition, OffsetAndMetadata> processedPrefix(Collection<TopicPartition> tps) {
      Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
      for (TopicPartition tp : tps) {
        PartState s = parts.get(tp.partition());
        if (s != null && s.advance() >= 0) out.put(tp, new OffsetAndMetadata(s.prefix));
      }
      return out;
    }

    /** in-order: commits, per partition, the prefix every worker has finished (when it moved). */
    void commitInOrder() {
      Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
      for (Map.Entry<Integer, PartState> e : parts.entrySet()) {
        PartState s = e.getValue();
        long next = s.advance();
        if (next >= 0 && next > s.requested) offsets.put(new TopicPartition(topic, e.getKey()), new OffsetAndMetadata(next));
      }
      commit(offsets);
    }

    void runWorkers() throws InterruptedException {
      // records in hand are bounded: past this many the assignment is paused (poll still runs the group)
      int limit = Math.max(1000, workers * 100);
      boolean paused = false;
      while (!stopping) {
        ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(100));
        retryCommits();
        if (!recs.isEmpty()) {
          List<String> idList = receive(recs);
          int i = 0;
          for (ConsumerRecord<String, String> r : recs) {
            String id = idList.get(i++);
            PartState s = part(r.partition());
            s.inHand.add(r.offset());
            Set<Long> done = s.done;
            outstanding.incrementAndGet();
            pool.execute(() -> {
              try {
                process(r, id, done);
              } finally {
                outstanding.decrementAndGet();
              }
            });
          }
          if (!autoCommit && ahead) commit(endPositions(recs));
        }
        if (!autoCommit && !ahead) commitInOrder();
        busy = outstanding.get() > 0;
        if (!paused && outstanding.get() >= limit) {
          consumer.pause(consumer.assignment());
          paused = true;
        } else if (paused && outstanding.get() < limit / 2) {
          consumer.resume(consumer.paused());
          paused = false;
        }
      }
      // the workers finish what they have within the grace
      while (outstanding.get() > 0 && System.currentTimeMillis() < stopDeadline()) Thread.sleep(10);
      abandon = true;
      pool.shutdownNow();
      pool.awaitTermination(1, TimeUnit.SECONDS);
      if (!autoCommit && !ahead) commitInOrder();
      busy = false;
    }

    @Override
    public String stats() {
      StringBuilder sb = new StringBuilder("{\"type\":\"stats\",\"role\":\"consumer\",\"received\":").append(received.get()).append(",\"processed\":").append(processed.get())
          .append(",\"commits\":").append(commits.get()).append(",\"maxProcessed\":").append(offsetsJson(maxProcessed)).append(",\"busy\":").append(busy).append('}');
      return sb.toString();
    }
  }

  /**
   * Sees the commits the client makes by itself with enable.auto.commit (on its timer, before
   * a rebalance, on close): onCommit is called once such a commit succeeded.
   */
  public static final class CommitInterceptor implements org.apache.kafka.clients.consumer.ConsumerInterceptor<String, String> {
    static volatile ConsumerRole role;

    public CommitInterceptor() {}

    @Override
    public ConsumerRecords<String, String> onConsume(ConsumerRecords<String, String> records) {
      return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      ConsumerRole r = role;
      if (r != null && r.autoCommit && !offsets.isEmpty()) r.committed(offsets, -1);
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  // ---------------------------------------------------------------- transformer

  /** An error the transformer does not recover from. */
  static final class Fatal extends RuntimeException {
    Fatal(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static final class TransformerRole implements Role {
    final String inputTopic;
    final String outputTopic;
    final long processingMs;
    final Properties consumerProps;
    final Properties producerProps;
    final IdParser ids;
    KafkaConsumer<String, String> consumer;
    KafkaProducer<String, String> producer;
    long nextTxn = 0;

    final AtomicLong consumed = new AtomicLong();
    final AtomicLong produced = new AtomicLong();
    final AtomicLong committedTxns = new AtomicLong();
    final AtomicLong abortedTxns = new AtomicLong();
    final ConcurrentHashMap<Integer, Long> maxProcessed = new ConcurrentHashMap<>();
    volatile boolean busy = false;

    TransformerRole(JsonNode cfg) {
      inputTopic = cfg.path("inputTopic").asText();
      outputTopic = cfg.path("outputTopic").asText();
      processingMs = cfg.path("processingTimeMs").asLong(0);
      consumerProps = clientProperties(cfg, "consumerProperties");
      if (consumerProps.getProperty("group.id") == null) consumerProps.setProperty("group.id", cfg.path("groupId").asText());
      consumerProps.setProperty("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
      consumerProps.setProperty("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
      consumerProps.setProperty("isolation.level", "read_committed");
      consumerProps.setProperty("enable.auto.commit", "false");
      producerProps = clientProperties(cfg, "producerProperties");
      producerProps.setProperty("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
      producerProps.setProperty("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
      producerProps.setProperty("transactional.id", cfg.path("transactionalId").asText());
      producerProps.setProperty("enable.idempotence", "true");
      ids = new IdParser(runId);
    }

    @Override
    public void start() throws Exception {
      producer = new KafkaProducer<>(producerProps);
      retryStartup("initTransactions", () -> {
        producer.initTransactions();
        return null;
      });
      consumer = new KafkaConsumer<>(consumerProps);
      consumer.subscribe(List.of(inputTopic), new RecordingRebalanceListener());
    }

    /** Errors after which the transactional producer cannot go on (KafkaProducer's documentation). */
    static boolean fatalError(Throwable e) {
      Throwable r = rootCause(e);
      return r instanceof ProducerFencedException || r instanceof OutOfOrderSequenceException || r instanceof AuthorizationException
          || r instanceof UnsupportedVersionException || r instanceof FencedInstanceIdException || r instanceof IllegalStateException;
    }

    static String transformed(String v, String qid, long txn) {
      String add = ",\"by\":" + qid + ",\"txn\":" + txn;
      if (v == null) return "{" + add.substring(1) + "}";
      int last = v.lastIndexOf('}');
      if (last < 0) return v;
      return v.substring(0, last) + add + v.substring(last);
    }

    @Override
    public void run() throws Exception {
      try {
        while (!stopping) {
          ConsumerRecords<String, String> recs = consumer.poll(Duration.ofMillis(100));
          if (recs.isEmpty()) continue;
          busy = true;
          try {
            transaction(recs);
          } finally {
            busy = false;
          }
        }
      } finally {
        long left = Math.max(1000, stopDeadline() - System.currentTimeMillis());
        try {
          consumer.close(Duration.ofMillis(left / 2));
        } finally {
          producer.close(Duration.ofMillis(Math.max(500, stopDeadline() - System.currentTimeMillis())));
        }
      }
    }

    void transaction(ConsumerRecords<String, String> recs) {
      long txn = nextTxn++;
      Map<TopicPartition, OffsetAndMetadata> ends = new LinkedHashMap<>();
      Map<Integer, Long> offsets = new LinkedHashMap<>();
      for (TopicPartition tp : recs.partitions()) {
        List<ConsumerRecord<String, String>> l = recs.records(tp);
        long next = l.get(l.size() - 1).offset() + 1;
        ends.put(tp, new OffsetAndMetadata(next));
        offsets.put(tp.partition(), next);
      }
      try {
        producer.beginTransaction();
        List<String> idList = new ArrayList<>(recs.count());
        StringBuilder sb = new StringBuilder(recs.count() * 96);
        long t = System.currentTimeMillis();
        for (ConsumerRecord<String, String> r : recs) {
          String id = ids.idOf(r.value());
          idList.add(id);
          sb.append("{\"e\":\"consumed\",\"xid\":").append(qid).append(",\"id\":");
          if (id == null) sb.append("null");
          else quote(sb, id);
          sb.append(",\"p\":").append(r.partition()).append(",\"o\":").append(r.offset()).append(",\"t\":").append(t).append("}\n");
        }
        ledger.write(sb);
        consumed.addAndGet(recs.count());
        int i = 0;
        String key = agentId + ":" + txn;
        for (ConsumerRecord<String, String> r : recs) {
          String id = idList.get(i++);
          if (processingMs > 0) sleepQuietly(processingMs);
          sb.setLength(0);
          sb.append("{\"e\":\"produced\",\"xid\":").append(qid).append(",\"id\":");
          if (id == null) sb.append("null");
          else quote(sb, id);
          sb.append(",\"p\":").append(r.partition()).append(",\"txn\":").append(txn).append(",\"t\":").append(System.currentTimeMillis()).append("}\n");
          ledger.write(sb);
          producer.send(new ProducerRecord<>(outputTopic, r.partition(), key, transformed(r.value(), qid, txn)), (md, ex) -> {
            if (ex != null) log("send in transaction " + txn + " failed: " + ex);
          });
          produced.incrementAndGet();
        }
        producer.sendOffsetsToTransaction(ends, consumer.groupMetadata());
        commitTransaction(txn);
        ledger.write("{\"e\":\"txn\",\"xid\":" + qid + ",\"txn\":" + txn + ",\"state\":\"commit\",\"offsets\":" + offsetsJson(offsets) + ",\"t\":" + System.currentTimeMillis() + "}\n");
        committedTxns.incrementAndGet();
        for (Map.Entry<Integer, Long> e : offsets.entrySet()) maxProcessed.merge(e.getKey(), e.getValue() - 1, Math::max);
      } catch (KafkaException | IllegalStateException e) {
        if (fatalError(e)) throw e;
        log("transaction " + txn + " failed: " + e + "; aborting");
        try {
          producer.abortTransaction();
        } catch (KafkaException | IllegalStateException abortErr) {
          throw new Fatal("abortTransaction of transaction " + txn + " failed after " + e + ": " + abortErr, abortErr);
        }
        ledger.write("{\"e\":\"txn\",\"xid\":" + qid + ",\"txn\":" + txn + ",\"state\":\"abort\",\"offsets\":" + offsetsJson(offsets) + ",\"t\":" + System.currentTimeMillis() + "}\n");
        abortedTxns.incrementAndGet();
        seekBack(recs);
      }
    }

    /** commitTransaction, retried after a timeout (the outcome is then unknown and only a retry of the commit may follow). */
    void commitTransaction(long txn) {
      for (int attempt = 1;; attempt++) {
        try {
          producer.commitTransaction();
          return;
        } catch (TimeoutException e) {
          // not abortable: the commit may be under way, and only a retry of the commit may follow
          if (attempt >= 3) throw new Fatal("commitTransaction of transaction " + txn + " timed out " + attempt + " times", e);
          log("commitTransaction of transaction " + txn + " timed out; retrying");
        }
      }
    }

    /** After an abort: the input is read again from the last committed position. */
    void seekBack(ConsumerRecords<String, String> recs) {
      Set<TopicPartition> tps = recs.partitions();
      Map<TopicPartition, OffsetAndMetadata> committed;
      try {
        committed = consumer.committed(tps, Duration.ofSeconds(10));
      } catch (KafkaException e) {
        log("reading the committed offsets failed: " + e + "; rewinding to the poll's first records");
        committed = Map.of();
      }
      for (TopicPartition tp : tps) {
        OffsetAndMetadata c = committed.get(tp);
        long to = c != null ? c.offset() : recs.records(tp).get(0).offset();
        consumer.seek(tp, to);
      }
    }

    @Override
    public String stats() {
      return "{\"type\":\"stats\",\"role\":\"transformer\",\"consumed\":" + consumed.get() + ",\"produced\":" + produced.get() + ",\"committedTxns\":" + committedTxns.get()
          + ",\"abortedTxns\":" + abortedTxns.get() + ",\"maxProcessed\":" + offsetsJson(maxProcessed) + ",\"busy\":" + busy + "}";
    }
  }
}
