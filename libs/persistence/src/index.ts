export * from './consent-read-model.repository';
export * from './consent-read-model.rows';
export * from './data-source.factory';
export * from './entities';
export * from './migrations';
export * from './persistence.module';
export * from './projection-checkpoint.repository';
export * from './consent-outbox.repository';
