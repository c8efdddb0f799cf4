export * from './temporary-database';
export * from './unique-name';
export * from './wait-for';
