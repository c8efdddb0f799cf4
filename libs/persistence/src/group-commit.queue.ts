/**
 * Group commit: requests that arrive while a group is being written wait and are written
 * together in the next group, one database transaction and one Kafka produce for all of them.
 * Each request still gets its own outcome (a value or an error), so one request's conflict never
 * fails another's.
 */
export class GroupCommitQueue<Input, Output> {
  private waiting: Array<Waiting<Input, Output>> = [];
  private writing = false;

  constructor(
    private readonly writeGroup: (inputs: Input[]) => Promise<Array<Output | Error>>,
    private readonly maxGroupSize = 2_000,
    private readonly sizeOf: (input: Input) => number = () => 1,
  ) {}

  submit(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.writing || this.waiting.length === 0) return;
    const group: Array<Waiting<Input, Output>> = [];
    let size = 0;
    while (
      this.waiting.length > 0 &&
      (group.length === 0 || size + this.sizeOf(this.waiting[0]!.input) <= this.maxGroupSize)
    ) {
      const next = this.waiting.shift()!;
      size += this.sizeOf(next.input);
      group.push(next);
    }
    this.writing = true;
    this.writeGroup(group.map((entry) => entry.input))
      .then(
        (outcomes) =>
          group.forEach((entry, index) => {
            const outcome = outcomes[index];
            if (outcome instanceof Error) entry.reject(outcome);
            else entry.resolve(outcome as Output);
          }),
        (error: unknown) => group.forEach((entry) => entry.reject(error)),
      )
      .finally(() => {
        this.writing = false;
        this.drain();
      });
  }
}

interface Waiting<Input, Output> {
  readonly input: Input;
  readonly resolve: (output: Output) => void;
  readonly reject: (error: unknown) => void;
}
