export * from './temporary-database';
export * from './test-environment';
export * from './unique-name';
export * from './wait-for';
export * from './local-broker';
export * from './fake-vendor';
export * from './app-process';
export * from './projection-settled';
