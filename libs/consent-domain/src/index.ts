export * from './consent-event';
export * from './consent-event.validation';
export * from './consent-policy';
export * from './consent-state';
export * from './decide';
export * from './jurisdiction-regimes';
export * from './purpose-taxonomy';
export * from './event-chain';
