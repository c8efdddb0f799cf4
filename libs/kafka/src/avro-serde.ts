import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Type } from 'avsc';
import type { Resolver, Schema } from 'avsc';
import type { SchemaRegistrySettings } from '@consent-ledger/config';
import { avroLogicalTypes } from './avro-logical-types';
import { SCHEMA_REGISTRY_RETRY } from './retry-policies';
import { NonRetriableError, RetriableError } from './processing-errors';

/** Connects to a Confluent-compatible registry (Confluent, Karapace, Apicurio ccompat, Redpanda). */
export function createSchemaRegistry(settings: SchemaRegistrySettings): SchemaRegistry {
  return new SchemaRegistry(
    {
      host: settings.url,
      ...(settings.auth ? { auth: { ...settings.auth } } : {}),
      retry: SCHEMA_REGISTRY_RETRY,
    },
    { [SchemaType.AVRO]: { logicalTypes: avroLogicalTypes } },
  );
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

/**
 * Avro values in the Confluent wire format (magic byte, schema id, Avro body), with schemas kept
 * in the registry under BACKWARD compatibility so that today's code reads every past event.
 */
export class AvroSerde {
  private readonly latestIds = new Map<string, number>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly settings: SchemaRegistrySettings,
  ) {}

  /** Builds a serde for the configured registry. */
  static connect(settings: SchemaRegistrySettings): AvroSerde {
    return new AvroSerde(createSchemaRegistry(settings), settings);
  }

  /**
   * Registers the versions of a schema (oldest first) under `subject`, with BACKWARD
   * compatibility set on the subject first. Idempotent: an already registered version keeps its
   * id. An incompatible version fails with a {@link NonRetriableError} naming the subject.
   */
  async registerVersions(subject: string, versions: readonly string[]): Promise<number> {
    await this.setBackwardCompatibility(subject);
    let id = -1;
    for (const schema of versions) {
      try {
        ({ id } = await this.registry.register(
          { type: SchemaType.AVRO, schema },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        ));
      } catch (error) {
        if (statusOf(error) === 409) {
          throw new NonRetriableError(
            'SCHEMA.INCOMPATIBLE',
            `Schema for subject ${subject} is not BACKWARD compatible with the registered versions: ${(error as Error).message}`,
          );
        }
        throw error;
      }
    }
    this.latestIds.set(subject, id);
    return id;
  }

  private async setBackwardCompatibility(subject: string): Promise<void> {
    // The library sets compatibility only on a subject's first registration and refuses a
    // mismatch afterwards; setting it explicitly first makes registration idempotent.
    const { auth } = this.settings;
    const put = () =>
      fetch(`${this.settings.url}/config/${encodeURIComponent(subject)}`, {
        method: 'PUT',
        headers: {
          'Content-Type': 'application/vnd.schemaregistry.v1+json',
          ...(auth
            ? {
                Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
              }
            : {}),
        },
        body: JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD }),
      });
    let response = await put();
    // Apps starting together race to create the rule; Apicurio answers the loser 409 "already
    // exists". The rule is there now, and a second PUT updates it.
    for (let attempt = 0; response.status === 409 && attempt < 3; attempt += 1)
      response = await put();
    if (!response.ok) {
      throw new RetriableError(
        'REGISTRY.CONFIG_FAILED',
        `cannot set BACKWARD compatibility on ${subject}: HTTP ${response.status} ${await response.text()}`,
      );
    }
  }

  /** Encodes `value` with the latest schema registered under `subject` by this serde. */
  async encode(subject: string, value: unknown): Promise<Buffer> {
    const id = this.latestIds.get(subject) ?? (await this.registry.getLatestSchemaId(subject));
    this.latestIds.set(subject, id);
    return this.registry.encode(id, value);
  }

  /**
   * Encodes many values with the latest schema registered under `subject`: the schema is looked
   * up once and each value is written without a promise of its own (the usage log writes
   * thousands a second). A value that does not fit the schema is a {@link NonRetriableError}.
   */
  async encodeAll(subject: string, values: readonly unknown[]): Promise<Buffer[]> {
    const { id, writer, header } = await this.latestWriter(subject);
    return values.map((value) => {
      try {
        return Buffer.concat([header, writer.toBuffer(value)]);
      } catch (error) {
        throw new NonRetriableError(
          'RECORD.DOES_NOT_FIT_SCHEMA',
          `value does not fit schema ${id} of ${subject}: ${(error as Error).message}`,
        );
      }
    });
  }

  /**
   * A synchronous encoder for the latest schema registered under `subject`: each value becomes
   * its wire-format bytes and the value those bytes hold, as every reader will decode it (Avro
   * can normalise a value on the way: a lone surrogate becomes U+FFFD, for example). Whatever is
   * derived from the value after it is written (a hash-chain link) must be derived from `written`.
   */
  async encoderFor<T>(subject: string): Promise<(value: T) => { bytes: Buffer; written: T }> {
    const { id, writer, header } = await this.latestWriter(subject);
    return (value: T) => {
      let body: Buffer;
      try {
        body = writer.toBuffer(value);
      } catch (error) {
        throw new NonRetriableError(
          'RECORD.DOES_NOT_FIT_SCHEMA',
          `value does not fit schema ${id} of ${subject}: ${(error as Error).message}`,
        );
      }
      return { bytes: Buffer.concat([header, body]), written: writer.fromBuffer(body) as T };
    };
  }

  /** The latest schema registered under `subject` (looked up once), and its wire-format header. */
  private async latestWriter(
    subject: string,
  ): Promise<{ id: number; writer: Type; header: Buffer }> {
    const id = this.latestIds.get(subject) ?? (await this.registry.getLatestSchemaId(subject));
    this.latestIds.set(subject, id);
    let writer = this.writers.get(id);
    if (!writer) {
      writer = await this.fetchWriter(id);
      this.writers.set(id, writer);
    }
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    return { id, writer, header };
  }

  /**
   * Decodes a wire-format value. With `readerSchema` the writer's schema is resolved to it, so old
   * events come out in today's shape. A malformed record is a {@link NonRetriableError} (dead-letter
   * it); an unreachable registry is a {@link RetriableError}.
   */
  async decode<T>(buffer: Buffer | null, readerSchema?: string): Promise<T> {
    if (!buffer || buffer.length < 5 || buffer.readUInt8(0) !== 0) {
      throw new NonRetriableError(
        'RECORD.NOT_AVRO',
        'value is not in the Confluent Avro wire format',
      );
    }
    const id = buffer.readInt32BE(1);
    let writer = this.writers.get(id);
    if (!writer) {
      writer = await this.fetchWriter(id);
      this.writers.set(id, writer);
    }
    return this.decodeWith<T>(buffer, id, writer, readerSchema);
  }

  /**
   * Decodes a value lying in `buffer` at `start` (a record in a fetched batch) in place and
   * without waiting, when the writer's schema is already known (every record after the first of
   * each schema: replaying millions of events should not pay a promise per record). Returns
   * undefined when the schema must first be fetched, or the value is not in the wire format: use
   * {@link decode} then. The value must end exactly at `start + length`: a value cut short, or
   * with bytes left over, is a {@link NonRetriableError} rather than a misread.
   */
  decodeKnownAt<T>(
    buffer: Buffer,
    start: number,
    length: number,
    readerSchema: string,
  ): T | undefined {
    if (length < 5 || buffer[start] !== 0) return undefined;
    const id = buffer.readInt32BE(start + 1);
    const writer = this.writers.get(id);
    if (!writer) return undefined;
    const reader = this.readerType(readerSchema);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = reader.decode(buffer, start + 5, this.resolver(id, reader, writer));
    } catch (error) {
      throw undecodable(id, (error as Error).message);
    }
    if (decoded.offset !== start + length)
      throw undecodable(
        id,
        decoded.offset < 0 || decoded.offset > start + length
          ? 'the value is cut short'
          : 'bytes left over after the value',
      );
    return decoded.value as T;
  }

  /** Writer schemas by id, as the registry returned them (ids are immutable). */
  private readonly writers = new Map<number, Type>();

  private async fetchWriter(id: number): Promise<Type> {
    try {
      return (await this.registry.getSchema(id)) as unknown as Type;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404)
        throw new NonRetriableError(
          'RECORD.UNKNOWN_SCHEMA',
          `schema id ${id} is not in the registry`,
        );
      throw new RetriableError(
        'REGISTRY.UNAVAILABLE',
        `schema registry unavailable: ${(error as Error).message}`,
      );
    }
  }

  private decodeWith<T>(buffer: Buffer, id: number, writer: Type, readerSchema?: string): T {
    try {
      if (!readerSchema) return writer.fromBuffer(buffer.subarray(5)) as T;
      const reader = this.readerType(readerSchema);
      return reader.fromBuffer(buffer.subarray(5), this.resolver(id, reader, writer)) as T;
    } catch (error) {
      throw undecodable(id, (error as Error).message);
    }
  }

  /** Compiled reader types and writer-to-reader resolvers, built once: decoding is a hot path. */
  private readonly readers = new Map<string, Type>();
  private readonly resolvers = new Map<Type, Map<number, Resolver>>();

  private readerType(text: string): Type {
    let reader = this.readers.get(text);
    if (!reader) {
      reader = Type.forSchema(JSON.parse(text) as Schema, { logicalTypes: avroLogicalTypes });
      this.readers.set(text, reader);
    }
    return reader;
  }

  private resolver(id: number, reader: Type, writer: Type): Resolver {
    // Keyed by the reader Type object and the writer id: no string is built per record.
    let byWriter = this.resolvers.get(reader);
    if (!byWriter) {
      byWriter = new Map();
      this.resolvers.set(reader, byWriter);
    }
    let resolver = byWriter.get(id);
    if (!resolver) {
      resolver = reader.createResolver(writer);
      byWriter.set(id, resolver);
    }
    return resolver;
  }
}

function undecodable(schemaId: number, reason: string): NonRetriableError {
  return new NonRetriableError(
    'RECORD.UNDECODABLE',
    `cannot decode value with schema id ${schemaId}: ${reason}`,
  );
}
