import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer of a Fastify app (@fastify/helmet): a content security policy
 * that loads nothing from elsewhere and forbids framing (`frame-ancestors 'none'`, and
 * X-Frame-Options DENY for older browsers), `X-Content-Type-Options: nosniff`, no referrer.
 * The HTML these apps serve is the OpenAPI viewer at /docs, whose scripts and images are its own
 * (it sets styles inline).
 */
export async function registerSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
