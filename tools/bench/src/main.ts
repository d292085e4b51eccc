// placeholder: replaced by the benchmark CLI
export {};
