export * from './link-token';
export * from './link-signing-keys';
export * from './signed-cookie';
