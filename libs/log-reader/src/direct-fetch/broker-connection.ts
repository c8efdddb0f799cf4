import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** How to reach one broker: plaintext, or TLS with an optional CA (as the kafkajs client is set up). */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly ssl: false | { readonly ca?: string };
}

/**
 * One connection to a broker for size-prefixed requests and responses, answered in the order
 * they were sent (as Kafka answers a connection). A response's bytes are copied once, however
 * many socket chunks they arrive in; a caller that reads many large responses hands each back
 * with {@link release} when done, and the next is assembled in its memory.
 */
export class BrokerConnection {
  private readonly waiting: Array<{
    resolve: (body: Buffer) => void;
    reject: (error: Error) => void;
  }> = [];
  private readonly sizePrefix = Buffer.alloc(4);
  private sizeBytes = 0;
  /** The response being received, and how much of it has arrived. */
  private response: Buffer | null = null;
  private filled = 0;
  private readonly spare: Buffer[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the broker')));
  }

  static open(address: BrokerAddress, timeoutMs: number): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const options = { host: address.host, port: address.port };
      const socket =
        address.ssl === false
          ? connectTcp(options)
          : connectTls({
              ...options,
              servername: address.host,
              ...(address.ssl.ca ? { ca: address.ssl.ca } : {}),
            });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`cannot connect to ${address.host}:${address.port} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once(address.ssl === false ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${address.host}:${address.port}: ${error.message}`));
      });
    });
  }

  /**
   * Sends a size-prefixed request; resolves with its response's body (without the size). A
   * broker that has not answered within `timeoutMs` fails the connection: responses come in
   * order, so nothing after a lost one can be trusted.
   */
  request(frame: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failure ??= new Error(`no answer within ${timeoutMs} ms`);
        this.socket.destroy();
      }, timeoutMs);
      this.waiting.push({
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.failure ??= new Error('connection closed');
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.response) {
        // The 4-byte size prefix, which may itself arrive split.
        const take = Math.min(4 - this.sizeBytes, chunk.length - at);
        chunk.copy(this.sizePrefix, this.sizeBytes, at, at + take);
        this.sizeBytes += take;
        at += take;
        if (this.sizeBytes < 4) return;
        this.response = this.nextResponseBuffer(this.sizePrefix.readInt32BE(0));
        this.filled = 0;
      }
      const take = Math.min(this.response.length - this.filled, chunk.length - at);
      chunk.copy(this.response, this.filled, at, at + take);
      this.filled += take;
      at += take;
      if (this.filled < this.response.length) return;
      const body = this.response;
      this.response = null;
      this.sizeBytes = 0;
      const waiter = this.waiting.shift();
      if (!waiter) {
        this.close();
        return;
      }
      waiter.resolve(body);
    }
  }

  /**
   * Hands a response's bytes back once the caller is done with them, for a later response to be
   * assembled in: a read of a whole log then copies each byte once into memory already mapped
   * instead of into a new allocation of megabytes per fetch. The body must not be used after.
   */
  release(body: Buffer): void {
    if (this.spare.length < 2) this.spare.push(Buffer.from(body.buffer, 0, body.buffer.byteLength));
  }

  /** A released buffer large enough, or a new one (never from Node's shared pool). */
  private nextResponseBuffer(size: number): Buffer {
    const index = this.spare.findIndex((buffer) => buffer.length >= size);
    const buffer = index >= 0 ? this.spare.splice(index, 1)[0]! : Buffer.allocUnsafeSlow(size);
    return buffer.subarray(0, size);
  }
}
