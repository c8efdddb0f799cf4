/** A data key wrapped by a key-encryption key, with the id of the key that wrapped it. */
export interface WrappedKey {
  readonly kekId: string;
  readonly bytes: Buffer;
}

/**
 * The small KMS port of the identity vault: it wraps and unwraps subjects' data keys with a
 * key-encryption key (KEK) it never hands out. The local key file is the default adapter; a
 * production team plugs in its KMS or HSM behind the same three calls.
 */
export interface KeyEncryptionKeyService {
  /** The id of the KEK new data keys are wrapped with. */
  currentKekId(): string;
  wrap(dataKey: Buffer): Promise<WrappedKey>;
  /** Unwraps with the KEK that wrapped it (an older one stays usable until every key is rewrapped). */
  unwrap(wrapped: WrappedKey): Promise<Buffer>;
  /** Makes a new KEK current and returns its id; the older ones keep unwrapping. */
  rotate(): Promise<string>;
}
