// Mutants reviewed and found equivalent (no test can tell them apart from the original code).
// They are left out of the mutation score and listed in docs/testing.md with the reason.
// Match: the file, Stryker's mutator name, the original code and the replacement (whitespace-trimmed).

/** @type {{ file: string; mutator: string; original: string; replacement: string; reason: string }[]} */
export const EQUIVALENT_MUTANTS = [];
