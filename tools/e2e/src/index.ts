// This project holds tests (src/*.int.test.ts), the apps they load and the stack they share (src/stack.ts).
export {};
