export * from './wait';
export * from './ports';
export * from './redis';
export * from './processes';
export * from './stack';
export * from './sim-client';
export * from './cluster';
export * from './json-lines';
