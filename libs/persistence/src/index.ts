export * from './data-source.factory';
export * from './entities';
export * from './migrations';
export * from './persistence.module';
