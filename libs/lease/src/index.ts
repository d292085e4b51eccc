export * from './lease-lock';
