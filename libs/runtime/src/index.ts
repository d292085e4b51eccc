export * from './errors';
export * from './config';
export * from './logger';
export * from './redis';
export * from './queues';
export * from './metrics';
export * from './ops-server';
export * from './shutdown';
