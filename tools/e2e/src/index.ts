// This project holds only tests (src/*.int.test.ts); see README.md.
export {};
