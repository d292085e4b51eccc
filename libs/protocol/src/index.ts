export * from './frames';
export * from './routing';
export * from './job-data';
export * from './scrub';
export * from './payloads';
export * from './queue-serving';
