/**
 * Sends through an idempotent producer one at a time per partition, and through a new producer
 * (a new producer id) once a send failed.
 *
 * Why: an idempotent kafkajs producer numbers each partition's batches, and when an attempt
 * fails it takes the attempt's numbers back and hands them out again. The attempt may have been
 * written all the same (a leader that replicated a batch and died before it answered), and the
 * broker then takes the next batch given those numbers for a repeat of it: it answers success
 * and writes nothing. Two ways lead there: another send to the same partition starting while the
 * failed one waits to retry (the HTTP API stops waiting for a send after KAFKA_ACK_TIMEOUT_MS
 * and sends the next group while kafkajs still retries the old one), and the next send after a
 * send that failed for good. The fault suite found it: with the leader of a partition SIGKILLed,
 * 1 withdrawal in about 1,700 was answered 202 and never written. So a partition's next send
 * waits until the one before it settled (a retry of the same batch under the same numbers is a
 * true repeat), and once a send failed its producer takes no new sends: they go to a new one,
 * whose numbers start afresh. What a failed send may have written is sent again by its caller
 * (the API's unacknowledged events, the outbox), and a repeat is applied once by its event id.
 *
 * Pure scheduling: knows nothing of Kafka but a producer's connect, send and disconnect.
 */
interface LiveGeneration<P> {
  readonly producer: P;
  /** Resolves when the producer takes no new sends. */
  readonly retired: Promise<void>;
  connected?: Promise<void>;
  isRetired: boolean;
  retire(): void;
  /** Sends started and not settled. */
  active: number;
  /** Per lane (partition): the latest send's turn, which the next one waits for. */
  readonly tails: Map<string, Promise<void>>;
}

export interface ProducerLifecycle<P> {
  create(): P;
  connect(producer: P): Promise<void>;
  disconnect(producer: P): Promise<void>;
  /** Told when a producer is retired because a send failed (for a log line). */
  onRetired?(error: unknown): void;
}

export class ProducerGenerations<P> {
  private current: LiveGeneration<P>;
  private stopped = false;

  constructor(private readonly lifecycle: ProducerLifecycle<P>) {
    this.current = this.newGeneration();
  }

  /** The producer new sends go to (for what is not a send: events, the logger). */
  get producer(): P {
    return this.current.producer;
  }

  async connect(): Promise<void> {
    this.stopped = false;
    // Connected again after a disconnect: the producer it disconnected takes no sends.
    if (this.current.isRetired) this.current = this.newGeneration();
    await this.connected(this.current);
  }

  /** Disconnects the current producer; sends still waiting for a turn fail. */
  async disconnect(): Promise<void> {
    this.stopped = true;
    const generation = this.current;
    generation.retire();
    await this.lifecycle.disconnect(generation.producer);
  }

  /**
   * Runs `send` with the current producer once every earlier send of this lane (partition) has
   * settled. If the producer is retired meanwhile, waits its turn in the new one instead, behind
   * the sends that waited before it. If `send` fails, retires the producer.
   */
  async run<T>(lane: string, send: (producer: P) => Promise<T>): Promise<T> {
    if (this.stopped) throw new Error('the producer is disconnected');
    const generation = this.current;
    const previous = generation.tails.get(lane);
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    generation.tails.set(lane, turn);
    try {
      if (previous) await Promise.race([previous, generation.retired]);
      if (generation.isRetired) return await this.run(lane, send);
      return await this.sendIn(generation, send);
    } finally {
      release();
      if (generation.tails.get(lane) === turn) generation.tails.delete(lane);
    }
  }

  private async sendIn<T>(
    generation: LiveGeneration<P>,
    send: (producer: P) => Promise<T>,
  ): Promise<T> {
    generation.active += 1;
    try {
      await this.connected(generation);
      return await send(generation.producer);
    } catch (error) {
      if (!generation.isRetired) {
        this.lifecycle.onRetired?.(error);
        this.retire(generation);
      }
      throw error;
    } finally {
      generation.active -= 1;
      if (generation.isRetired && generation.active === 0 && generation !== this.current)
        void this.lifecycle.disconnect(generation.producer).catch(() => undefined);
    }
  }

  private retire(generation: LiveGeneration<P>): void {
    generation.retire();
    if (generation === this.current && !this.stopped) this.current = this.newGeneration();
  }

  private connected(generation: LiveGeneration<P>): Promise<void> {
    generation.connected ??= this.lifecycle.connect(generation.producer);
    return generation.connected;
  }

  private newGeneration(): LiveGeneration<P> {
    let signal!: () => void;
    const retired = new Promise<void>((resolve) => (signal = resolve));
    const generation: LiveGeneration<P> = {
      producer: this.lifecycle.create(),
      retired,
      isRetired: false,
      retire: () => {
        generation.isRetired = true;
        signal();
      },
      active: 0,
      tails: new Map(),
    };
    return generation;
  }
}
