export * from './link-token';
export * from './link-signing-keys';
