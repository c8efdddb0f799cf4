/** The DI token of the {@link OneTimeCodeStore}. */
export const ONE_TIME_CODE_STORE = Symbol('ONE_TIME_CODE_STORE');

/** A code to keep: its id, whose it is, its keyed hash (never the code) and until when it works. */
export interface NewOneTimeCode {
  readonly codeId: string;
  readonly subjectId: string;
  readonly codeHash: Buffer;
  readonly expiresAt: Date;
}

/** A code being tried: whose it is and its hash, when it may still be tried. */
export interface TriedOneTimeCode {
  readonly subjectId: string;
  readonly codeHash: Buffer;
}

/** Where one-time codes are kept (hashed), counted and used up. */
export interface OneTimeCodeStore {
  /**
   * Keeps the code unless the subject already had `limit` codes created since `since`: then
   * nothing is kept and false is answered. The count and the insert are one statement.
   */
  issue(code: NewOneTimeCode, limit: number, since: Date): Promise<boolean>;
  /**
   * Counts an attempt on the code, if it is unused, unexpired and has had fewer than
   * `maxAttempts`; answers it then (to compare its hash), else undefined.
   */
  attempt(codeId: string, maxAttempts: number): Promise<TriedOneTimeCode | undefined>;
  /** Uses the code up; false when it was used meanwhile (each code opens one session). */
  useUp(codeId: string): Promise<boolean>;
}
