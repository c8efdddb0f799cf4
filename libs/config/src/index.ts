export * from './app-config';
export * from './api-key-roles';
export * from './config.module';
export * from './consent-policy.loader';
export * from './downstream-systems.loader';
export * from './data-fields.loader';
export * from './preference-centre-settings';
