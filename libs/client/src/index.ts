export * from './consent-view';
