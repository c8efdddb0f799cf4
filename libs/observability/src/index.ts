export * from './health.controller';
export * from './observability.module';
export * from './log-redaction';
export * from './app-module';
export * from './periodic-sweep';
export * from './timed-pass';
