export * from './wait';
export * from './ports';
export * from './redis';
export * from './processes';
