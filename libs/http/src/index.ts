export * from './api-key.guard';
export * from './app-error';
export * from './problem-details.filter';
export * from './zod-body.pipe';
export * from './request-fields';
export * from './json-body.parser';
export * from './open-api';
export * from './plain-json-routes';
