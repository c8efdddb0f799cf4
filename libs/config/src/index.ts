export * from './app-config';
export * from './config.module';
export * from './consent-policy.loader';
export * from './downstream-systems.loader';
export * from './data-fields.loader';
