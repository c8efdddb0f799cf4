export * from './key-encryption-key';
export * from './envelope';
export * from './local-key-file.kms';
export * from './identifier-kinds';
export * from './vault-keys';
export * from './evidence';
export * from './pkcs11.kms';
