/**
 * Coalesces concurrent sends into one request at a time, like the Java producer's linger: while
 * a request is in flight, new submissions queue; when it completes, everything queued goes out
 * together. kafkajs's idempotent producer must keep one request in flight to stay correct, so
 * this is what lets many concurrent HTTP requests share each broker round trip.
 */
export class CoalescingSender<Item> {
  private queue: Array<QueuedSubmission<Item>> = [];
  private inFlight = false;

  constructor(
    private readonly send: (items: Item[]) => Promise<unknown>,
    private readonly maxItemsPerSend = 10_000,
  ) {}

  /**
   * Queues items; the promise settles when the request carrying them does. `cancel()` withdraws
   * them if they have not been sent yet (returns false when they already went out).
   */
  submit(items: readonly Item[]): { readonly done: Promise<void>; cancel(): boolean } {
    let submission!: QueuedSubmission<Item>;
    const done = new Promise<void>((resolve, reject) => {
      submission = { items, resolve, reject, state: 'queued' };
    });
    this.queue.push(submission);
    this.drain();
    return {
      done,
      cancel: () => {
        if (submission.state !== 'queued') return false;
        submission.state = 'cancelled';
        return true;
      },
    };
  }

  private drain(): void {
    if (this.inFlight) return;
    this.queue = this.queue.filter((submission) => submission.state === 'queued');
    if (this.queue.length === 0) return;
    const taken: Array<QueuedSubmission<Item>> = [];
    let count = 0;
    while (
      this.queue.length > 0 &&
      (taken.length === 0 || count + this.queue[0]!.items.length <= this.maxItemsPerSend)
    ) {
      const next = this.queue.shift()!;
      next.state = 'sent';
      taken.push(next);
      count += next.items.length;
    }
    this.inFlight = true;
    this.send(taken.flatMap((submission) => submission.items))
      .then(
        () => taken.forEach((submission) => submission.resolve()),
        (error: unknown) => taken.forEach((submission) => submission.reject(error)),
      )
      .finally(() => {
        this.inFlight = false;
        this.drain();
      });
  }
}

interface QueuedSubmission<Item> {
  readonly items: readonly Item[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  state: 'queued' | 'sent' | 'cancelled';
}
