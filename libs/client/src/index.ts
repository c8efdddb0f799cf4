export * from './consent-view';
export * from './webhook-signature';
